// The MySQL apply batch text: values inlined as literals arrive exactly, a batch is atomic, an UPDATE's answer is
// read in the middle of a batch, and values too large to inline still travel (as a prepared statement).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { MysqlApplier } from '../../src/engine/mysql/applier';
import { BatchText, Statement, matchedRows, mysqlLiteral } from '../../src/engine/mysql/apply-batch';
import { MYSQL_PASSWORD, createMysqlDb, dropMysqlDb, mysqlUrl } from '../helpers/db';

const AWKWARD_TEXT = [
  '', "'", "''", "it's", "\\", "\\'", "a\\", "\\\\n", 'a\0b', '?', '`x`', '"q"', '-- c', '/* c */', ';', 'x); DROP TABLE t; --',
  'line\nbreak\r\ttab', 'ü€𝄞😀', '\u00a0 ', ' trailing ', 'N\'x\'', '\x1a', "\\' OR 1=1 --",
];

async function session(t: { after: (fn: () => Promise<void>) => void }) {
  const db = await createMysqlDb('apply_batch');
  t.after(() => dropMysqlDb(db));
  const target = withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD);
  const applier = new MysqlApplier(target, 'apply-batch-test', () => [], true);
  const s = await applier.session();
  t.after(async () => { await s.conn.end(); });
  await s.conn.query(`USE \`${db}\``);
  return s;
}

test('literals quoted by Ferry\'s rules store every awkward string and byte string exactly', async (t) => {
  const { conn, maxPacket } = await session(t);
  await conn.query('CREATE TABLE v (id int PRIMARY KEY, s text, vc varchar(100), b blob, vb varbinary(300), j json, bits bit(64))');
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const rows: (string | Buffer | null)[][] = AWKWARD_TEXT.map((s, i) => [String(i), s, s, Buffer.from(s, 'utf8'), i % 2 ? allBytes : Buffer.alloc(0),
    JSON.stringify({ s }), Buffer.from([0, 0, 0, 0, 0, 0, 0x27, i])]);
  rows.push([String(rows.length), null, null, null, null, null, null]);
  const text = new BatchText(conn, maxPacket);
  const insert = { head: 'INSERT INTO v (id, s, vc, b, vb, j, bits) VALUES ', tail: '' };
  for (const r of rows) await text.addRow(insert, r);
  await text.commit();
  const [got] = await conn.query('SELECT id, s, vc, HEX(b) AS b, HEX(vb) AS vb, j, HEX(bits) AS bits FROM v ORDER BY id') as unknown as [Record<string, unknown>[]];
  assert.equal(got.length, rows.length);
  got.forEach((g, i) => {
    const r = rows[i];
    const hex = (v: string | Buffer | null) => (v === null ? null : (v as Buffer).toString('hex').toUpperCase());
    assert.deepEqual([g.s, g.vc, g.b, g.vb, typeof g.j === 'string' ? JSON.parse(g.j) : g.j],
      [r[1], r[2], hex(r[3]), hex(r[4]), r[5] === null ? null : JSON.parse(r[5] as string)], `row ${i}`);
    assert.equal(g.bits === null ? null : BigInt(`0x${g.bits as string}`), r[6] === null ? null : BigInt(`0x${(r[6] as Buffer).toString('hex')}`));
  });
});

test('a failing statement in a batch text leaves nothing of the batch on the target', async (t) => {
  const { conn, maxPacket } = await session(t);
  await conn.query('CREATE TABLE k (id int PRIMARY KEY, v varchar(10))');
  await conn.query("INSERT INTO k VALUES (1, 'before')");
  const text = new BatchText(conn, maxPacket);
  const upsert = { head: 'INSERT INTO k (id, v) VALUES ', tail: ' ON DUPLICATE KEY UPDATE v = VALUES(v)' };
  await text.addRow(upsert, ['1', 'changed']);
  await text.addRow(upsert, ['2', 'new']);
  await text.add(new Statement().sql('INSERT INTO k (id, v) VALUES (').value('3').sql(', ').value('far too long for ten').sql(')'));
  await text.add(new Statement().sql('DELETE FROM k WHERE id = ').value('1'));
  await assert.rejects(text.commit(), /too long|Data too long/i);
  await conn.query('ROLLBACK');
  const [rows] = await conn.query('SELECT id, v FROM k ORDER BY id') as unknown as [{ id: number; v: string }[]];
  assert.deepEqual(rows.map((r) => [r.id, r.v]), [[1, 'before']]);
});

test('an UPDATE in the middle of a batch reports the rows it matched, changed or not, and the batch goes on', async (t) => {
  const { conn, maxPacket } = await session(t);
  await conn.query('CREATE TABLE u (id int PRIMARY KEY, v varchar(10))');
  const text = new BatchText(conn, maxPacket);
  const upsert = { head: 'INSERT INTO u (id, v) VALUES ', tail: ' ON DUPLICATE KEY UPDATE v = VALUES(v)' };
  await text.addRow(upsert, ['1', 'a']);
  await text.addRow(upsert, ['2', 'b']);
  const same = await text.result(new Statement().sql('UPDATE u SET v = ').value('a').sql(' WHERE id = ').value('1'));
  const missing = await text.result(new Statement().sql('UPDATE u SET v = ').value('z').sql(' WHERE id = ').value('9'));
  assert.deepEqual([matchedRows(same), matchedRows(missing)], [1, 0]);
  await text.addRow(upsert, ['3', 'c']);
  await text.commit();
  const [rows] = await conn.query('SELECT id, v FROM u ORDER BY id') as unknown as [{ id: number; v: string }[]];
  assert.deepEqual(rows.map((r) => [r.id, r.v]), [[1, 'a'], [2, 'b'], [3, 'c']]);
});

test('a value too large to inline travels as a prepared statement inside the same transaction', async (t) => {
  const { conn } = await session(t);
  await conn.query('CREATE TABLE big (id int PRIMARY KEY, b longblob, s longtext)');
  // A small packet limit makes the 200 kB values exceed what is inlined.
  const text = new BatchText(conn, 256 * 1024);
  const blob = Buffer.alloc(200_000, 0x27);
  const str = "'".repeat(200_000);
  const insert = { head: 'INSERT INTO big (id, b, s) VALUES ', tail: '' };
  await text.addRow(insert, ['1', Buffer.from('small'), 'small']);
  await text.addRow(insert, ['2', blob, null]);
  await text.add(new Statement().sql('UPDATE big SET s = ').value(str).sql(' WHERE id = ').value('2'));
  await text.add(new Statement().sql('INSERT INTO big (id, b, s) VALUES (').value('2').sql(', NULL, NULL)'));
  await assert.rejects(text.commit(), /Duplicate entry/);
  await conn.query('ROLLBACK');
  const [none] = await conn.query('SELECT COUNT(*) AS n FROM big') as unknown as [{ n: number }[]];
  assert.equal(Number(none[0].n), 0);

  const again = new BatchText(conn, 256 * 1024);
  await again.addRow(insert, ['2', blob, null]);
  await again.add(new Statement().sql('UPDATE big SET s = ').value(str).sql(' WHERE id = ').value('2'));
  await again.commit();
  const [rows] = await conn.query('SELECT MD5(b) AS b, MD5(s) AS s FROM big WHERE id = 2') as unknown as [{ b: string; s: string }[]];
  const md5 = (v: string | Buffer) => createHash('md5').update(v).digest('hex');
  assert.deepEqual([rows[0].b, rows[0].s], [md5(blob), md5(str)]);
});

test('mysqlLiteral doubles only the quote, writes bytes as hex and NULL as NULL', () => {
  assert.deepEqual([mysqlLiteral(null), mysqlLiteral("a'b\\"), mysqlLiteral(Buffer.from([0, 255])), mysqlLiteral(Buffer.alloc(0)), mysqlLiteral('12.50')],
    ['NULL', "'a''b\\'", "X'00ff'", "X''", "'12.50'"]);
});
