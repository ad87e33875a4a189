// verify on data moved by the real pipeline (introspection, the conversion rule sets, copyTableOnce):
// equal data compares equal in both directions, and one changed value among 100,000 rows is found and repaired.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPhases, convertTaskSchema } from '../../src/engine/schema';
import { buildReport } from '../../src/engine/convert/report';
import { copyTableOnce } from '../../src/engine/fullload/copy-table';
import type { Conversion } from '../../src/engine/convert';
import { verifyTables } from '../../src/engine/verify';
import { TaskEvents } from '../../src/engine/events';
import { taskConnections, validateTask } from '../../src/engine/task';
import type { ConnectionConfig } from '../../src/engine/connection';
import {
  MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, loadSakila, mariadb, mysqlUrl, pgUrl, psql,
} from '../helpers/db';

interface Moved { conversion: Conversion; source: ConnectionConfig; target: ConnectionConfig }

/** Converts, creates the tables on the target and copies every table once, as the full load would. */
async function move(sourceUrl: string, targetUrl: string, passwords: { source: string; target: string }): Promise<Moved> {
  const task = validateTask({ name: 'verify-test', source: sourceUrl, target: targetUrl });
  const c = taskConnections(task, passwords);
  const conversion = await convertTaskSchema(task, c.source, c.target);
  const applied = await applyPhases(c.target, buildReport(conversion, {}), ['pre-data']);
  assert.deepEqual(applied.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`), []);
  for (const m of conversion.tables) await copyTableOnce(c.source, c.target, m);
  return { conversion, ...c };
}

describe('verify after a PostgreSQL -> MariaDB copy with every kind of type', () => {
  let src = '';
  let tgt = '';
  let moved: Moved;
  before(async () => {
    [src, tgt] = await Promise.all([createPgDb('vc_src'), createMysqlDb('vc_tgt')]);
    psql(src, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE rich (id bigint PRIMARY KEY, i2 smallint, n numeric(12,4), nn numeric, r real, d double precision, b boolean, t text,
        vc varchar(30), c char(5), by bytea, dt date, tm time(3), ts timestamp(6), tstz timestamptz, iv interval, j json, jb jsonb, u uuid,
        ip inet, arr text[], ia int[], m mood, bits bit(5), vb varbit(8), money_col money);
      INSERT INTO rich SELECT g, (g % 30000)::smallint, g * 1.2345, g::numeric / 7, g / 3.0, g / 7.0, g % 2 = 0, 'text ' || g || ' ✓ ''q'' \\ back',
        'vc' || g, 'c' || (g % 10), decode(md5(g::text), 'hex'), date '2000-01-01' + g, time '10:00:00.123' + g * interval '1 second',
        timestamp '2020-01-01 00:00:00.5' + g * interval '1 minute', timestamptz '2020-06-01 12:00:00+02' + g * interval '1 hour',
        g * interval '1 day 2 hours', json_build_object('g', g, 'a', 'x'), jsonb_build_object('g', g, 'nested', jsonb_build_object('z', 1, 'a', 2)),
        md5(g::text)::uuid, ('10.0.' || (g % 256) || '.1')::inet, ARRAY['a' || g, 'b c', NULL], ARRAY[g, g + 1],
        (ARRAY['sad','ok','happy'])[g % 3 + 1]::mood, (g % 32)::bit(5), (g % 256)::bit(8)::varbit, g * 1.25
      FROM generate_series(1, 2000) g;
      UPDATE rich SET t = NULL, n = NULL, j = NULL WHERE id % 50 = 0;
      CREATE TABLE "Bag Of Rows" (label text, qty int);
      ALTER TABLE "Bag Of Rows" REPLICA IDENTITY FULL;
      INSERT INTO "Bag Of Rows" SELECT 'x' || (g % 4), g % 3 FROM generate_series(1, 40) g;`);
    moved = await move(pgUrl(src), mysqlUrl(tgt), { source: PG_PASSWORD, target: MYSQL_PASSWORD });
  });
  after(async () => {
    await Promise.all([dropPgDb(src), dropMysqlDb(tgt)]);
  });

  test('every column compares equal after conversion (numeric, floats, booleans, bytea, times, zones, intervals, JSON, arrays, bits, money)', async () => {
    const report = await verifyTables({ source: moved.source, target: moved.target, tables: moved.conversion.tables, rechecks: 0 });
    assert.deepEqual(report.tables.map((t) => [t.table, t.sourceRows, t.targetRows, t.differences.length]).sort(),
      [['public.Bag Of Rows', 40, 40, 0], ['public.rich', 2000, 2000, 0]]);
    assert.equal(report.equal, true);
  });

  test('a changed JSON value, a deleted row and a stray row on MariaDB are listed by key and repaired from PostgreSQL', async () => {
    const before = mariadb(tgt, 'SELECT jb, hex(`by`), tstz FROM rich WHERE id = 5');
    mariadb(tgt, `UPDATE rich SET jb = '{"g": 0}' WHERE id = 5; DELETE FROM rich WHERE id = 6; INSERT INTO rich (id) VALUES (99999);`);
    const events = new TaskEvents('verify-test');
    const warnings: string[] = [];
    events.onType('warning', (e) => warnings.push(e.code));
    const found = await verifyTables({ source: moved.source, target: moved.target, tables: moved.conversion.tables, rechecks: 1, events });
    const rich = found.tables.find((t) => t.table === 'public.rich')!;
    assert.deepEqual(rich.differences, [{ key: ['5'], kind: 'changed' }, { key: ['6'], kind: 'missing' }, { key: ['99999'], kind: 'extra' }]);
    assert.equal(found.equal, false);
    assert.ok(warnings.includes('VERIFY_DIFFERENCE'));

    const repaired = await verifyTables({ source: moved.source, target: moved.target, tables: moved.conversion.tables, rechecks: 1, repair: true });
    assert.equal(repaired.tables.find((t) => t.table === 'public.rich')!.repaired, 3);
    assert.equal(repaired.equal, true);
    assert.equal(mariadb(tgt, 'SELECT jb, hex(`by`), tstz FROM rich WHERE id = 5'), before);
    assert.equal(mariadb(tgt, 'SELECT count(*) FROM rich WHERE id IN (6, 99999)').trim(), '1');
  });
});

describe('verify after a MariaDB -> PostgreSQL copy', () => {
  let src = '';
  let tgt = '';
  let moved: Moved;
  const N = 100_000;
  before(async () => {
    [src, tgt] = await Promise.all([createMysqlDb('vc_src'), createPgDb('vc_tgt')]);
    mariadb(src, `CREATE TABLE \`order\` (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, customer VARCHAR(40) NOT NULL, total DECIMAL(12,2),
        placed DATETIME(3), paid TIMESTAMP NULL, flag TINYINT(1), status ENUM('new','paid','shipped'), tags SET('a','b','c'), note TEXT, raw VARBINARY(8))
        CHARACTER SET utf8mb4;
      INSERT INTO \`order\` SELECT seq, CONCAT('customer ', seq % 977), seq * 0.37, '2021-03-04 05:06:07.125' + INTERVAL seq MINUTE,
        IF(seq % 3 = 0, NULL, FROM_UNIXTIME(1600000000 + seq)), seq % 2, ELT(seq % 3 + 1, 'new', 'paid', 'shipped'), ELT(seq % 4 + 1, '', 'a', 'a,b', 'b,c'),
        IF(seq % 7 = 0, NULL, CONCAT('nöte ', seq)), UNHEX(LPAD(HEX(seq), 16, '0')) FROM seq_1_to_${N};`);
    moved = await move(mysqlUrl(src), pgUrl(tgt), { source: MYSQL_PASSWORD, target: PG_PASSWORD });
  });
  after(async () => {
    await Promise.all([dropMysqlDb(src), dropPgDb(tgt)]);
  });

  test('one changed value among 100,000 rows is found by its key, repaired, and verify is equal afterwards', async () => {
    const ctx = { source: moved.source, target: moved.target, tables: moved.conversion.tables, chunkRows: 20_000, rechecks: 1 };
    const clean = await verifyTables(ctx);
    assert.deepEqual(clean.tables.map((t) => [t.sourceRows, t.targetRows, t.chunks, t.differences.length]), [[N, N, 5, 0]]);

    psql(tgt, `UPDATE "order" SET total = total + 0.01 WHERE id = 73219`);
    const found = await verifyTables(ctx);
    assert.equal(found.equal, false);
    assert.deepEqual(found.tables[0].differences, [{ key: ['73219'], kind: 'changed' }]);
    assert.equal(found.tables[0].mismatchedChunks, 1);

    const repaired = await verifyTables({ ...ctx, repair: true });
    assert.equal(repaired.tables[0].repaired, 1);
    assert.equal(psql(tgt, 'SELECT total FROM "order" WHERE id = 73219').trim(), mariadb(src, 'SELECT total FROM `order` WHERE id = 73219').trim());
    const after = await verifyTables(ctx);
    assert.equal(after.equal, true);
  });

  test('every Sakila table copied by the real conversion verifies equal', async () => {
    const sakila = await loadSakila('vc_sakila');
    const pgSakila = await createPgDb('vc_sakila');
    try {
      const m = await move(mysqlUrl(sakila), pgUrl(pgSakila), { source: MYSQL_PASSWORD, target: PG_PASSWORD });
      const report = await verifyTables({ source: m.source, target: m.target, tables: m.conversion.tables, rechecks: 0 });
      assert.deepEqual(report.tables.filter((t) => t.differences.length > 0 || t.sourceRows !== t.targetRows).map((t) => t.table), []);
      assert.equal(report.tables.length, 16);
      assert.equal(report.tables.find((t) => t.table.endsWith('.rental'))!.sourceRows, 16044);
      assert.equal(report.equal, true);
    } finally {
      await Promise.all([dropMysqlDb(sakila), dropPgDb(pgSakila)]);
    }
  });
});
