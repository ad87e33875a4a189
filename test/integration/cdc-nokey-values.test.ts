// Tables without a key while replicating, all four engine pairs: an update or delete matches the whole old row
// and touches exactly one of two identical rows, whatever the column types, floats included (a single-precision
// value written as decimal text is not equal to the stored float unless compared as a float).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLiveRun } from '../helpers/live-run';

const PAIRS = [['mysql', 'mysql'], ['postgres', 'postgres'], ['mysql', 'postgres'], ['postgres', 'mysql']] as const;

for (const [src, dst] of PAIRS) {
  test(`${src} -> ${dst}: updates and deletes on a table without a key touch exactly one matching row, float columns included`, { timeout: 240_000 }, async (t) => {
    const f4 = src === 'mysql' ? 'float' : 'real';
    const f8 = src === 'mysql' ? 'double' : 'double precision';
    const ts = src === 'mysql' ? 'datetime(6)' : 'timestamp(6)';
    const { source, targetShows, stop } = await startLiveRun(t, src, dst, `nokey-${src}-${dst}`, [
      `CREATE TABLE m (f ${f4}, d ${f8}, n decimal(12,4), at ${ts}, s varchar(20), tag int)`,
      "INSERT INTO m VALUES (1.1, 0.1, 1.5, '2024-01-01 00:00:00.000001', 'x', 1), (1.1, 0.1, 1.5, '2024-01-01 00:00:00.000001', 'x', 1)",
      // A PostgreSQL source logs whole old rows only with REPLICA IDENTITY FULL (the pre-check asks for it).
      ...(src === 'postgres' ? ['ALTER TABLE m REPLICA IDENTITY FULL'] : []),
      "INSERT INTO m VALUES (16777217, 1e300, -0.0001, '1999-12-31 23:59:59.999999', NULL, 2), (-2.5e-10, -1.7976931348623157e308, 0, NULL, '', 3)",
    ]);
    await source.sql([
      'UPDATE m SET tag = 10 WHERE tag = 2',
      'UPDATE m SET tag = 30, s = NULL WHERE tag = 3',
      // Both duplicates change, one statement: each row event matches one row.
      'UPDATE m SET n = 2.5 WHERE tag = 1',
    ]);
    await source.sql([src === 'mysql' ? 'DELETE FROM m WHERE tag = 1 LIMIT 1' : 'DELETE FROM m WHERE ctid = (SELECT min(ctid) FROM m WHERE tag = 1)']);
    const order = 'SELECT tag, n, s FROM m ORDER BY tag, n';
    const want = await source.rows(order);
    assert.deepEqual(want, [['1', '2.5000', 'x'], ['10', '-0.0001', 'NULL'], ['30', '0.0000', 'NULL']]);
    await targetShows('the one remaining duplicate and the updated rows', order, want);
    if (src === dst) {
      // Same engine: the floating-point values arrive bit for bit (FLOAT as its exact value, not 6 digits).
      const exact = `SELECT tag, ${src === 'mysql' ? 'CAST(f AS DOUBLE)' : 'f::float8'}, d FROM m ORDER BY tag, n`;
      const values = await source.rows(exact);
      assert.ok(values.some((r) => r[1] === '16777216'), JSON.stringify(values));
      await targetShows('the same float values', exact, values);
    }
    await stop();
  });
}
