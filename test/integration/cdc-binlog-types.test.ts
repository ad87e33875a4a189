// Binlog type matrix: row events decoded by BinlogReader equal what a SELECT returns under the Ferry session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import { createMysqlDb, dropMysqlDb, mysqlUrl, MYSQL_PASSWORD } from '../helpers/db';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { connectMysql } from '../../src/engine/mysql/connect';
import { MYSQL_SESSION_SQL } from '../../src/engine/sessions';
import { BinlogReader } from '../../src/engine/mysql/binlog';
import { collectTransactions } from '../helpers/cdc';
import type { SourceValue } from '../../src/engine/convert/types';

const COLUMNS = `
  id int NOT NULL PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint, miu mediumint unsigned,
  i int, iu int unsigned, bi bigint, biu bigint unsigned,
  d decimal(65,30), d2 decimal(10,2), d0 decimal(5,0), d18 decimal(18,9),
  f float, db double, fd float(7,3),
  dt datetime(6), dt0 datetime, dt3 datetime(3), ts timestamp(6) NULL DEFAULT NULL, ts0 timestamp NULL DEFAULT NULL, dte date,
  tm time(6), tm0 time, tm3 time(3), tm1 time(1), y year,
  b1 bit(1), b10 bit(10), b64 bit(64),
  e enum('a','b','c d','it''s'), st set('x','y','z','w'),
  j json, bl blob, tb tinyblob, lb longblob, tx text, mt mediumtext, vc varchar(300), vs varchar(20), c char(10), bn binary(4), vb varbinary(20),
  l1 varchar(20) CHARACTER SET latin1, g geometry`;

const ROWS = [
  `(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
    '-12345678901234567890123456789012345.123456789012345678901234567890', -99999999.99, 99999, -0.000000001,
    1.1, 3.141592653589793, 1234.5,
    '2024-02-29 23:59:59.999999', '1000-01-01 00:00:00', '2024-01-01 00:00:00.5', '2038-01-19 03:14:07.999999', '1970-01-01 00:00:01', '9999-12-31',
    '-838:59:59.000000', '838:59:59', '-00:00:01.5', '-12:00:00.1', 2155,
    b'1', b'1010101010', b'1111111111111111111111111111111111111111111111111111111111111111',
    'c d', 'x,z', '{"a": [1, 2.5, "ü"], "b": null}', x'00ff10', x'', x'deadbeef', 'plain text', 'médium ✓', 'tab\\there "quoted" \`back\` ''single''', '😀 emoji', 'pad', x'6162', x'000102',
    'café', ST_GeomFromText('POINT(1 2)', 4326))`,
  `(2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00',
    '00:00:00', '00:00:00', '00:00:00', '00:00:00', 0,
    b'0', b'0', b'0', 'a', '', '[]', '', '', '', '', '', '', '', '', '', '', '', NULL)`,
  `(3, ${Array(46).fill('NULL').join(', ')})`,
  `(4, 127, 1, 32767, 1, 8388607, 1, 2147483647, 1, 9223372036854775807, 9223372036854775808,
    '0.000000000000000000000000000001', 0.01, -1, 123456789.123456789,
    -3.4e38, 1.7976931348623157e308, -0.001,
    '1000-01-01 00:00:00.000001', '9999-12-31 23:59:59', '2000-06-15 12:30:45.123', '2000-06-15 12:30:45.000001', '2000-06-15 12:30:45', '1000-01-01',
    '100:00:00.000001', '-01:02:03', '23:59:59.999', '-00:00:00.1', 1901,
    b'0', b'1111111111', b'1000000000000000000000000000000000000000000000000000000000000001',
    'it''s', 'x,y,z,w', '"str"', x'00', x'ff', repeat(x'ab', 70000), repeat('long ', 10000), 'x', repeat('v', 299), 'trail   ', 'c  ', x'61000000', x'00',
    'Ünïcödé', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 2)'))`,
  `(5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1.5, 2.25, 3, 4.000000001, 1e20, 1e-7, 0, '2020-01-01', '2020-01-01', '2020-01-01', '2020-01-01', '2020-01-01', '2020-01-01',
    '838:59:59.999999', '-838:59:59', '00:00:00.001', '10:00:00.9', 2000, b'1', b'1', b'1', 'b', 'w', '{}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'))`,
];

const BINARY_TYPE_CODES = new Set([16, 249, 250, 251, 252, 253, 254, 255]);

/** The columns as the full-load reader selects them: single-precision FLOAT as CAST(… AS DOUBLE) (exact, not FLOAT's 6-digit text). */
async function selectList(conn: Connection, db: string): Promise<string> {
  const [cols] = await conn.query('SELECT COLUMN_NAME AS n, COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [db, 'matrix']) as unknown as [{ n: string; t: string }[]];
  return cols.map((c) => (/^float(\(\d+\))?$/i.test(c.t) ? `CAST(\`${c.n}\` AS DOUBLE) AS \`${c.n}\`` : `\`${c.n}\``)).join(', ');
}

/** SELECT in the full-load reader's form: every value as the server's text, binary types as Buffers. */
async function selectAll(db: string): Promise<SourceValue[][]> {
  const conn = await connectMysql(withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD));
  try {
    for (const s of MYSQL_SESSION_SQL) await conn.query(s);
    const [rows, fields] = await conn.query({
      sql: `SELECT ${await selectList(conn, db)} FROM matrix ORDER BY id`, rowsAsArray: true,
      typeCast: (field, next) => { void next; return field.buffer(); },
    }) as unknown as [(Buffer | null)[][], { characterSet: number; columnType: number }[]];
    // Binary character set on a string/blob/bit/geometry column: bytes; everything else: the text.
    const binary = fields.map((f) => f.characterSet === 63 && BINARY_TYPE_CODES.has(f.columnType));
    return rows.map((r) => r.map((v, i) => (v === null ? null : binary[i] ? v : v.toString('utf8'))));
    return rows;
  } finally {
    await conn.end();
  }
}

async function masterPosition(conn: Connection): Promise<{ file: string; pos: number }> {
  const [rows] = await conn.query('SHOW MASTER STATUS') as unknown as [{ File: string; Position: number }[]];
  return { file: rows[0].File, pos: Number(rows[0].Position) };
}

test('binlog row events decode every matrix type exactly as a SELECT returns it (insert, update, delete)', async (t) => {
  const db = await createMysqlDb('cdc_binlog_types');
  const source = withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD);
  const conn = await connectMysql(source);
  // eslint-disable-next-line prefer-const -- assigned below; the cleanup registered first reads it
  let reader: BinlogReader | undefined;
  // Connections close before the database is dropped: an open transaction would block DROP DATABASE.
  t.after(async () => { await reader?.close(); await conn.end(); await dropMysqlDb(db); });
  for (const s of MYSQL_SESSION_SQL) await conn.query(s);
  await conn.query(`CREATE TABLE matrix (${COLUMNS}) CHARACTER SET utf8mb4`);
  const start = await masterPosition(conn);
  const [colRows] = await conn.query('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, 'matrix']) as unknown as [{ COLUMN_NAME: string }[]];
  reader = new BinlogReader({ source, start: { engine: 'mysql', ...start }, tables: [{ name: { schema: db, name: 'matrix' }, columns: colRows.map((r) => r.COLUMN_NAME) }] });
  await reader.start();

  await conn.query('BEGIN');
  for (const r of ROWS) { await conn.query(`INSERT INTO matrix VALUES ${r}`); }
  await conn.query('COMMIT');
  const inserted = await selectAll(db);
  // An update that changes every column, including the key of one row.
  await conn.query(`UPDATE matrix SET ti = ti + 0, d2 = -d2, tm = '-01:00:00.25', ts = '2001-02-03 04:05:06.070809', b10 = b'11', st = 'y', vc = CONCAT(vc, 'ß'), bn = x'01', dt = NULL WHERE id < 5`);
  await conn.query('UPDATE matrix SET id = 50 WHERE id = 5');
  const updated = await selectAll(db);
  const beforeDelete = Date.now();
  await conn.query('DELETE FROM matrix');

  const txs = await collectTransactions(reader, 4);
  assert.equal(txs.length, 4);
  assert.deepEqual(txs[0].changes.map((c) => c.kind), ROWS.map(() => 'insert'));
  assert.deepEqual(txs[0].changes.map((c) => c.after), inserted);
  const upd = txs[1].changes;
  assert.deepEqual(upd.map((c) => c.before), inserted.slice(0, 4));
  assert.deepEqual(upd.map((c) => c.after), updated.slice(0, 4));
  assert.deepEqual(txs[2].changes[0].before, inserted[4]);
  assert.deepEqual(txs[2].changes[0].after, updated[4]);
  assert.deepEqual(txs[3].changes.map((c) => c.kind), ROWS.map(() => 'delete'));
  assert.deepEqual(txs[3].changes.map((c) => c.before), updated);
  // Keys are log order; commit times are real.
  assert.ok(txs[0].key < txs[1].key && txs[1].key < txs[2].key && txs[2].key < txs[3].key);
  // The log has whole seconds; the commit time is the latest moment consistent with it and with its arrival.
  assert.ok(txs[3].commitTime >= Math.floor(beforeDelete / 1000) * 1000 && txs[3].commitTime <= Date.now(), `${txs[3].commitTime} vs ${beforeDelete}`);
});
