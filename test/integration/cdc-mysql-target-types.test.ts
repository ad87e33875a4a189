// MySQL -> MySQL replication of every matrix type through the batch-text applier: inserts, a whole-row update,
// a key change, a delete, and on a table without a key an update and a delete that match the whole old row
// (values written as literals must compare equal to the stored ones: BIT compares as a number, a FLOAT(7,3)
// holding 1234.567 only as a single-precision value; JSON and geometry included).
import { test } from 'node:test';
import { startLiveRun } from '../helpers/live-run';

const COLUMNS: [string, string][] = [
  ['ti', 'tinyint'], ['tiu', 'tinyint unsigned'], ['mi', 'mediumint'], ['biu', 'bigint unsigned'], ['bi', 'bigint'],
  ['d', 'decimal(65,30)'], ['d2', 'decimal(10,2)'], ['f', 'float'], ['db', 'double'], ['fd', 'float(7,3)'],
  ['dt', 'datetime(6)'], ['dt0', 'datetime'], ['ts', 'timestamp(6) NULL DEFAULT NULL'], ['dte', 'date'],
  ['tm', 'time(6)'], ['tm0', 'time'], ['y', 'year'], ['b1', 'bit(1)'], ['b10', 'bit(10)'], ['b64', 'bit(64)'],
  ['e', "enum('a','b','c d','it''s')"], ['st', "set('x','y','z','w')"], ['j', 'json'], ['bl', 'blob'], ['lb', 'longblob'],
  ['tx', 'text'], ['vc', 'varchar(300)'], ['c', 'char(10)'], ['bn', 'binary(4)'], ['vb', 'varbinary(20)'],
  ['l1', 'varchar(20) CHARACTER SET latin1'], ['g', 'geometry'],
];

const ROW_1 = `-128, 255, -8388608, 18446744073709551615, -9223372036854775808,
  '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99, 16777217, 3.141592653589793, 1234.567,
  '2024-02-29 23:59:59.999999', '1000-01-01 00:00:00', '2038-01-19 03:14:07.999999', '9999-12-31',
  '-838:59:59.000000', '838:59:59', 2155, b'1', b'1010101010', b'1111111111111111111111111111111111111111111111111111111111111111',
  'it''s', 'x,z', '{"a": [1, 2.5, "ü"], "b": null, "q": "it''s \\\\ back"}', x'00ff27', x'5c27000a',
  'tab\\there "quoted" \`back\` ''single'' \\\\ ?', '😀 emoji ü', 'pad', x'6162', x'00010227',
  'café', ST_GeomFromText('POINT(1 2)', 4326)`;

const ROW_2 = `0, 0, 0, 0, 0, 0, 0, -2.5e-10, -1.7976931348623157e308, 0,
  '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', NULL, '0000-00-00', '00:00:00', '00:00:00', 0,
  b'0', b'0', b'0', 'a', '', '[]', '', '', '', '', '', '', '', '', NULL`;

const names = COLUMNS.map(([n]) => n);

/** Every column as exact text: binary types as hex, geometry as SRID + WKT, floats as doubles. */
function selectAll(table: string, order: string): string {
  const binary = /^(bit|blob|longblob|binary|varbinary)/;
  const exprs = COLUMNS.map(([n, type]) => (binary.test(type) ? `HEX(\`${n}\`)`
    : type === 'geometry' ? `CONCAT(ST_SRID(\`${n}\`), ':', ST_AsText(\`${n}\`))`
      : type === 'float' || type.startsWith('float(') ? `CAST(\`${n}\` AS DOUBLE)` : type === 'json' ? `CAST(\`${n}\` AS CHAR)` : `\`${n}\``));
  return `SELECT ${order === 'id' ? 'id, ' : ''}${exprs.join(', ')} FROM ${table} ORDER BY ${order}`;
}

test('mysql -> mysql: every matrix type replicates exactly through inserts, updates, a key change, deletes and whole-row matching without a key', { timeout: 240_000 }, async (t) => {
  const defs = COLUMNS.map(([n, type]) => `\`${n}\` ${type}`).join(', ');
  const { source, targetShows, stop } = await startLiveRun(t, 'mysql', 'mysql', 'cdc-mysql-target-types', [
    `CREATE TABLE m (id int PRIMARY KEY, ${defs})`,
    `CREATE TABLE n (${defs})`,
  ]);
  const mode = "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'";
  await source.sql([mode, 'START TRANSACTION',
    `INSERT INTO m VALUES (1, ${ROW_1}), (2, ${ROW_2}), (3, ${Array(COLUMNS.length).fill('NULL').join(', ')})`,
    `INSERT INTO n VALUES (${ROW_1}), (${ROW_1}), (${ROW_2})`, 'COMMIT']);
  await source.sql([mode, 'START TRANSACTION',
    // Row 3 takes every value of row 1: an update event carrying each type.
    `UPDATE m AS a JOIN m AS b ON b.id = 1 SET ${names.map((c) => `a.\`${c}\` = b.\`${c}\``).join(', ')} WHERE a.id = 3`,
    // A key change: UPDATE by the old key on the target, every column set from literals.
    'UPDATE m SET id = 20 WHERE id = 2',
    // Without a key: one of the two identical rows changes, matched on every column of the old row.
    'UPDATE n SET ti = 5 WHERE ti = -128 LIMIT 1',
    'COMMIT']);
  await source.sql([mode, 'DELETE FROM m WHERE id = 1', 'DELETE FROM n WHERE ti = 0']);
  for (const [what, query] of [['the keyed table', selectAll('m', 'id')], ['the table without a key', selectAll('n', 'ti')]]) {
    const want = await source.rows(query);
    await targetShows(`${what} equal to the source`, query, want);
  }
  await stop();
});
