// pgoutput type matrix: changes decoded by LogicalReader equal what a SELECT returns under the Ferry session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgDb, dropPgDb, pgUrl, PG_PASSWORD } from '../helpers/db';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { connectPostgres } from '../../src/engine/postgres/connect';
import { PG_SESSION_SQL } from '../../src/engine/sessions';
import { LogicalReader } from '../../src/engine/postgres/logical';
import { collectTransactions } from '../helpers/cdc';
import type { SourceValue } from '../../src/engine/convert/types';

const COLUMNS = `
  id int PRIMARY KEY, sm smallint, bi bigint, nu numeric, n2 numeric(12,4), r real, dp double precision, nan double precision,
  b boolean, t text, vc varchar(20), ch char(5), by bytea, d date, ts timestamp(6), tz timestamptz, tm time, ttz timetz,
  iv interval, u uuid, j json, jb jsonb, ia int[], ta text[], ip inet, cidr cidr, mac macaddr, bits bit(8), vb varbit(16),
  mo money, pt point, tsv tsvector, x xml, big text, "Mixed ""Case"" col" int`;

const ROWS = [
  `(1, -32768, -9223372036854775808, 123456789012345678901234567890.123456789, -12.3456, 3.4028235e38, 1.7976931348623157e308, 'NaN',
    true, 'tab\there ''q'' \\ back', 'ünïcödé ✓', 'ab', '\\x00ff10', '2024-02-29', '2024-02-29 23:59:59.999999', '2024-06-01 12:00:00+02',
    '23:59:59.999999', '12:00:00+05:30', '1 year 2 months 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{"a": [1, 2.5]}', '{"b": {"c": null}, "a": 1}', '{1,NULL,3}', '{"x y","z,w",NULL}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
    B'10101010', B'101', '$1,234.56', '(1.5,-2)', 'a fat cat', '<a>1</a>', repeat('toast me ', 5000), 7)`,
  `(2, 0, 0, 0, 0, 0, -0.0, 'Infinity', false, '', '', '', '\\x', '0001-01-01', '-infinity', 'infinity', '00:00', '00:00+00', '-1 days', '00000000-0000-0000-0000-000000000000',
    'null', '[]', '{}', '{}', '::1', '::/0', '00:00:00:00:00:00', B'00000000', B'', '-$0.01', '(0,0)', '', '<a/>', '', 0)`,
  `(3, ${Array(34).fill('NULL').join(', ')})`,
  `(4, 1, 1, 1e-20, 0.0001, 1.1, 0.1, '-Infinity', true, 'x', 'y', 'z', '\\xdeadbeef', '2000-01-01', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '12:34:56.5', '23:59:59-12', 'P1Y2M', gen_random_uuid(),
    '"s"', '1.50', '{{1,2},{3,4}}', '{"\\"quoted\\""}', '2001:db8::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', B'11111111', B'1111111111111111', '$0.00', '(1e10,1e-10)', 'b:1 a:2', '<r/>', 'small', -1)`,
];

async function selectAll(db: string): Promise<SourceValue[][]> {
  const c = await connectPostgres(withPassword(parseConnectionUrl(pgUrl(db)), PG_PASSWORD));
  try {
    for (const s of PG_SESSION_SQL) await c.query(s);
    const r = await c.query({ text: 'SELECT * FROM matrix ORDER BY id', rowMode: 'array' });
    return r.rows as SourceValue[][];
  } finally {
    await c.end();
  }
}

test('pgoutput changes decode every matrix type exactly as a SELECT returns it, unchanged TOAST included', async (t) => {
  const db = await createPgDb('cdc_pgoutput_types');
  const source = withPassword(parseConnectionUrl(pgUrl(db)), PG_PASSWORD);
  const c = await connectPostgres(source);
  // eslint-disable-next-line prefer-const -- assigned below; the cleanup registered first reads it
  let reader: LogicalReader | undefined;
  const slot = `${db}_slot`;
  t.after(async () => {
    await reader?.close();
    await new Promise((r) => setTimeout(r, 200));
    await c.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
    await c.end();
    await dropPgDb(db);
  });
  // A session with other settings than Ferry's: the walsender settings decide pgoutput's text, not the writer's.
  await c.query("SET DateStyle = 'German'; SET TimeZone = 'Asia/Kolkata'");
  await c.query(`CREATE TABLE matrix (${COLUMNS})`);
  await c.query('ALTER TABLE matrix ALTER big SET STORAGE EXTERNAL');
  await c.query('CREATE PUBLICATION ' + `"${db}_pub"` + ' FOR TABLE matrix');
  const { rows } = await c.query("SELECT lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  const cols = (await c.query("SELECT attname FROM pg_attribute WHERE attrelid = 'matrix'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")).rows.map((r: { attname: string }) => r.attname);
  reader = new LogicalReader({ source, start: { engine: 'postgres', lsn: rows[0].lsn, slot, publication: `${db}_pub` }, tables: [{ name: { schema: 'public', name: 'matrix' }, columns: cols }] });
  await reader.start();

  await c.query('BEGIN');
  for (const r of ROWS) await c.query(`INSERT INTO matrix VALUES ${r}`);
  await c.query('COMMIT');
  const inserted = await selectAll(db);
  // Row 1's big TOASTed text is not part of this update: pgoutput sends it as "unchanged".
  await c.query(`UPDATE matrix SET sm = sm + 1, tz = tz + interval '1 second', ia = '{9}' WHERE id IN (1, 2, 4)`);
  await c.query('UPDATE matrix SET id = 40 WHERE id = 4');
  const updated = await selectAll(db);
  await c.query('DELETE FROM matrix');

  const txs = await collectTransactions(reader, 4);
  assert.deepEqual(txs[0].changes.map((ch) => ch.after), inserted);
  const upd = txs[1].changes;
  assert.deepEqual(upd.map((ch) => ch.kind), ['update', 'update', 'update']);
  const bigAt = cols.indexOf('big');
  const expected = updated.filter((r) => [1, 2, 40].includes(Number(r[0]))).sort((a, b) => Number(a[0]) - Number(b[0]));
  const byId = new Map(expected.map((r) => [Number(r[0]) === 40 ? '4' : String(r[0]), r]));
  for (const ch of upd) {
    const want = [...(byId.get(String(ch.after?.[0])) as SourceValue[])];
    want[0] = ch.after?.[0] as SourceValue; // row 4 was renumbered to 40 by the next transaction
    if (ch.unchanged?.[bigAt]) { assert.equal(ch.after?.[0], '1'); want[bigAt] = null; }
    assert.deepEqual(ch.after, want);
  }
  assert.equal(upd.filter((ch) => ch.unchanged?.[bigAt]).length, 1);
  // A key change sends the old key (replica identity default): only the key column is known.
  assert.equal(txs[2].changes[0].before?.[0], '4');
  assert.equal(txs[2].changes[0].before?.[1], undefined);
  assert.deepEqual(txs[3].changes.map((ch) => ch.before?.[0]).sort(), ['1', '2', '3', '40']);
  assert.ok(txs[0].key < txs[1].key && txs[1].key < txs[2].key && txs[2].key < txs[3].key);
});
