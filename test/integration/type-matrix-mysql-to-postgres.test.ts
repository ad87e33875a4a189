// MySQL/MariaDB -> PostgreSQL type matrix: one column per MySQL type, extreme values, through introspection,
// conversion, DDL and the real copy path; every value is compared on PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, mysqlUrl, MYSQL_PASSWORD, pgAdmin, pgUrl, PG_PASSWORD } from '../helpers/db';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { MYSQL_SESSION_SQL } from '../../src/engine/sessions';
import { convertSchema } from '../../src/engine/convert/index';
import { postgresDdl } from '../../src/engine/postgres/ddl';
import { copyTableOnce } from '../../src/engine/fullload/copy-table';
import type { Conversion } from '../../src/engine/convert/index';

let mysqlDb = '';
let pgDb = '';
let conversion: Conversion;
let rows: Map<number, Record<string, unknown>>;
const ddlErrors: string[] = [];

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const D65_MAX = '99999999999999999999999999999999999.999999999999999999999999999999';

before(async () => {
  mysqlDb = await createMysqlDb('tm_m2p');
  pgDb = await createPgDb('tm_m2p');
  const my = await mysqlAdmin(mysqlDb);
  try {
    for (const s of MYSQL_SESSION_SQL) await my.query(s);
    await my.query(`CREATE TABLE \`TypeMatrix\` (
      id int PRIMARY KEY AUTO_INCREMENT,
      ti tinyint, tiu tinyint unsigned, si smallint, siu smallint unsigned, mi mediumint, miu mediumint unsigned,
      i int, iu int unsigned, bi bigint, biu bigint unsigned, t1 tinyint(1),
      b1 bit(1), b10 bit(10), b64 bit(64), y year,
      d65 decimal(65,30), dz decimal(10,0) unsigned, f float, f72 float(7,2), dbl double,
      dt date, dtm datetime(6), ts timestamp(6) NULL DEFAULT NULL, tm time, tm6 time(6),
      e enum('a','it''s','x,y','Ünï'), st set('a','it''s','b"q'), j json,
      bl blob, bin binary(4), vb varbinary(10), ch char(10), vc varchar(50), tx mediumtext, g geometry,
      \`Select\` varchar(10) DEFAULT 'it''s', dflt datetime DEFAULT '0000-00-00 00:00:00', bdef bit(8) DEFAULT b'101'
    ) CHARACTER SET utf8mb4`);
    const ins = `INSERT INTO \`TypeMatrix\` (id, ti, tiu, si, siu, mi, miu, i, iu, bi, biu, t1, b1, b10, b64, y, d65, dz, f, f72, dbl,
      dt, dtm, ts, tm, tm6, e, st, j, bl, bin, vb, ch, vc, tx, g, \`Select\`) VALUES `;
    await my.query(`${ins} (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 5, b'0', b'0000000001', 0, 1901,
      '-${D65_MAX}', 0, -3.40282e38, -12345.67, -1.7976931348623157e308,
      '0000-00-00', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000', '-838:59:59', '-00:00:00.500000',
      'it''s', '', '{"k":"ü😀","a":[1,2.50,{"z":null}],"k":"dup"}', ?, 'ab', '', 'ab  ', 'emoji 😀 ü', '', ST_GeomFromText('POINT(1 2)', 4326), 'x')`, [ALL_BYTES]);
    await my.query(`${ins} (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 127, b'1', b'1111111111', b'${'1'.repeat(64)}', 2155,
      '${D65_MAX}', 9999999999, 3.40282e38, 99999.99, 1.7976931348623157e308,
      '2020-00-15', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '838:59:59', '23:59:59.999999',
      'x,y', 'a,it''s,b"q', '[]', X'00', X'FF00FF00', X'00', 'a', '', repeat('x', 70000), ST_GeomFromText('LINESTRING(0 0,1 1)'), '')`);
    await my.query(`${ins} (3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, b'1', b'0', b'1', 0,
      '0.000000000000000000000000000001', 1, 1.5, 0, 0.1,
      '9999-12-31', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '00:00:00', '12:34:56.000001',
      'Ünï', 'b"q', '"x"', '', '', NULL, 'Ünï 😀', 'Ünï', 'tab\there', NULL, NULL)`);
    await my.query('INSERT INTO `TypeMatrix` (id) VALUES (4)');
    const schema = await introspectMysql(my, mysqlDb);
    conversion = convertSchema(schema, 'postgres', { lossless: true, identifierCase: 'lower', targetDatabase: pgDb });
  } finally {
    await my.end();
  }
  const pgc = await pgAdmin(pgDb);
  try {
    const objects = postgresDdl.renderSchema(conversion.target);
    for (const phase of ['pre-data', 'post-data', 'finalize']) {
      for (const o of objects.filter((x) => x.phase === phase)) {
        for (const st of o.statements) {
          try { await pgc.query(st); } catch (err) { ddlErrors.push(`${o.id}: ${(err as Error).message}`); }
        }
      }
    }
    const source = withPassword(parseConnectionUrl(mysqlUrl(mysqlDb)), MYSQL_PASSWORD);
    const target = withPassword(parseConnectionUrl(pgUrl(pgDb)), PG_PASSWORD);
    const copied = await copyTableOnce(source, target, conversion.tables[0]);
    assert.equal(copied.rows, 4);
    await pgc.query("SET TimeZone = 'UTC'");
    await pgc.query("SET IntervalStyle = 'postgres'");
    // every value as PostgreSQL's own text output (bytea as Buffer), so nothing is re-parsed by the driver
    const list = conversion.target.tables[0].columns.map((c) => (c.native === 'bytea' ? `"${c.name}"` : `"${c.name}"::text AS "${c.name}"`));
    const r = await pgc.query(`SELECT ${list.join(', ')}, array_to_json(st)::text AS st_json FROM public.typematrix ORDER BY id`);
    rows = new Map(r.rows.map((row: Record<string, unknown>) => [Number(row.id), row]));
  } finally {
    await pgc.end();
  }
});

after(async () => {
  if (mysqlDb) await dropMysqlDb(mysqlDb);
  if (pgDb) await dropPgDb(pgDb);
});

const value = (id: number, col: string): unknown => rows.get(id)?.[col];
const warningCodes = (column: string): string[] => conversion.warnings.filter((w) => w.object.endsWith(`.${column}`)).map((w) => w.code);
const nativeOf = (column: string): string => conversion.target.tables[0].columns.find((c) => c.name === column)?.native ?? '?';

test('the converted type matrix schema applies on PostgreSQL without errors', () => {
  assert.deepEqual(ddlErrors, []);
  assert.equal(conversion.target.tables[0].name, 'typematrix');
  assert.ok(conversion.target.tables[0].columns.some((c) => c.name === 'select'), 'reserved-word column is kept (quoted)');
});

test('integer extremes of every signed and unsigned type survive, BIGINT UNSIGNED max included', () => {
  assert.equal(nativeOf('biu'), 'numeric(20,0)');
  assert.ok(warningCodes('biu').includes('UNSIGNED_BIGINT_WIDENED'));
  assert.equal(nativeOf('iu'), 'bigint');
  assert.equal(nativeOf('siu'), 'integer');
  assert.equal(nativeOf('miu'), 'integer');
  const min = { ti: -128, si: -32768, mi: -8388608, i: -2147483648 };
  for (const [c, v] of Object.entries(min)) assert.equal(String(value(1, c)), String(v), c);
  assert.equal(String(value(1, 'bi')), '-9223372036854775808');
  const max = { ti: 127, tiu: 255, si: 32767, siu: 65535, mi: 8388607, miu: 16777215, i: 2147483647, iu: '4294967295' };
  for (const [c, v] of Object.entries(max)) assert.equal(String(value(2, c)), String(v), c);
  assert.equal(String(value(2, 'bi')), '9223372036854775807');
  assert.equal(String(value(2, 'biu')), '18446744073709551615');
});

test('TINYINT(1) keeps values other than 0/1 as smallint, with the reason given', () => {
  assert.equal(nativeOf('t1'), 'smallint');
  assert.ok(warningCodes('t1').includes('TINYINT1_AS_SMALLINT'));
  assert.equal(Number(value(1, 't1')), 5);
  assert.equal(Number(value(2, 't1')), 127);
});

test('BIT(n) values arrive bit for bit, BIT(64) all ones and BIT(1) included', () => {
  assert.equal(value(1, 'b1'), '0');
  assert.equal(value(2, 'b1'), '1');
  assert.equal(value(1, 'b10'), '0000000001');
  assert.equal(value(2, 'b10'), '1111111111');
  assert.equal(value(2, 'b64'), '1'.repeat(64));
  assert.equal(value(3, 'b64'), `${'0'.repeat(63)}1`);
});

test('YEAR becomes smallint: 1901, 2155 and the zero year 0', () => {
  assert.deepEqual([value(1, 'y'), value(2, 'y'), value(3, 'y')].map(Number), [1901, 2155, 0]);
});

test('DECIMAL(65,30) extremes and the smallest step survive exactly', () => {
  assert.equal(nativeOf('d65'), 'numeric(65,30)');
  assert.equal(value(1, 'd65'), `-${D65_MAX}`);
  assert.equal(value(2, 'd65'), D65_MAX);
  assert.equal(value(3, 'd65'), '0.000000000000000000000000000001');
  assert.equal(value(2, 'dz'), '9999999999');
});

test('FLOAT and DOUBLE extremes keep their binary value', () => {
  assert.equal(nativeOf('f'), 'real');
  assert.equal(nativeOf('dbl'), 'double precision');
  assert.equal(Math.fround(Number(value(1, 'f'))), Math.fround(-3.40282e38));
  assert.equal(Math.fround(Number(value(2, 'f'))), Math.fround(3.40282e38));
  assert.equal(Number(value(1, 'dbl')), -1.7976931348623157e308);
  assert.equal(Number(value(2, 'dbl')), 1.7976931348623157e308);
  assert.equal(Number(value(3, 'dbl')), 0.1);
  assert.equal(Math.fround(Number(value(2, 'f72'))), Math.fround(99999.99));
  assert.ok(warningCodes('f72').includes('FLOAT_SCALE_DROPPED'));
});

test("zero and partial-zero dates become '-infinity' with the ZERO_DATE warning; real extremes stay", () => {
  assert.ok(warningCodes('dt').includes('ZERO_DATE'));
  assert.equal(value(1, 'dt'), '-infinity');
  assert.equal(value(2, 'dt'), '-infinity');
  assert.equal(value(3, 'dt'), '9999-12-31');
  assert.equal(value(3, 'dtm'), '-infinity');
  assert.equal(value(3, 'ts'), '-infinity');
});

test('DATETIME(6) and TIMESTAMP(6) extremes arrive to the microsecond; TIMESTAMP is UTC timestamptz', () => {
  assert.equal(nativeOf('dtm'), 'timestamp(6) without time zone');
  assert.equal(nativeOf('ts'), 'timestamp(6) with time zone');
  assert.equal(value(1, 'dtm'), '1000-01-01 00:00:00');
  assert.equal(value(2, 'dtm'), '9999-12-31 23:59:59.999999');
  assert.equal(value(1, 'ts'), '1970-01-01 00:00:01+00');
  assert.equal(value(2, 'ts'), '2038-01-19 03:14:07.999999+00');
});

test('TIME beyond 24 hours and negative becomes interval with its exact value', () => {
  assert.equal(nativeOf('tm'), 'interval');
  assert.ok(warningCodes('tm').includes('TIME_AS_INTERVAL'));
  assert.equal(value(1, 'tm'), '-838:59:59');
  assert.equal(value(2, 'tm'), '838:59:59');
  assert.equal(value(1, 'tm6'), '-00:00:00.5');
  assert.equal(value(2, 'tm6'), '23:59:59.999999');
  assert.equal(value(3, 'tm6'), '12:34:56.000001');
});

test('ENUM becomes a PostgreSQL enum type whose labels keep quotes, commas and Unicode', async () => {
  const type = conversion.target.types.find((t) => t.kind === 'enum');
  assert.ok(type && type.kind === 'enum');
  assert.deepEqual(type.values, ['a', "it's", 'x,y', 'Ünï']);
  assert.equal(value(1, 'e'), "it's");
  assert.equal(value(2, 'e'), 'x,y');
  assert.equal(value(3, 'e'), 'Ünï');
});

test('SET becomes text[] whose elements keep quotes; the empty set is an empty array', () => {
  assert.equal(nativeOf('st'), 'text[]');
  assert.ok(warningCodes('st').includes('SET_AS_ARRAY'));
  assert.deepEqual(JSON.parse(String(value(1, 'st_json'))), []);
  assert.deepEqual(JSON.parse(String(value(2, 'st_json'))), ['a', "it's", 'b"q']);
  assert.deepEqual(JSON.parse(String(value(3, 'st_json'))), ['b"q']);
});

test('JSON keeps its exact text (Unicode, key order, duplicate keys) as json', () => {
  assert.equal(nativeOf('j'), 'json');
  assert.equal(value(1, 'j'), '{"k":"ü😀","a":[1,2.50,{"z":null}],"k":"dup"}');
  assert.equal(value(2, 'j'), '[]');
  assert.equal(value(3, 'j'), '"x"');
});

test('BLOB with all 256 byte values and BINARY padding arrive byte for byte', () => {
  assert.equal(nativeOf('bl'), 'bytea');
  assert.deepEqual(value(1, 'bl'), ALL_BYTES);
  assert.deepEqual(value(1, 'bin'), Buffer.from([0x61, 0x62, 0, 0]));
  assert.deepEqual(value(2, 'bin'), Buffer.from([0xff, 0, 0xff, 0]));
  assert.deepEqual(value(2, 'vb'), Buffer.from([0]));
  assert.deepEqual(value(2, 'bl'), Buffer.from([0]));
  assert.deepEqual(value(1, 'vb'), Buffer.alloc(0));
});

test('CHAR stays char(n) and reads back as MySQL shows it; VARCHAR and TEXT keep emoji, tabs and 70000 characters', () => {
  // MySQL strips CHAR's trailing spaces on read; PostgreSQL pads on output but its text cast strips them again
  assert.equal(nativeOf('ch'), 'char(10)');
  assert.equal(value(1, 'ch'), 'ab');
  assert.equal(value(1, 'vc'), 'emoji 😀 ü');
  assert.equal(value(3, 'vc'), 'Ünï');
  assert.equal(value(3, 'tx'), 'tab\there');
  assert.equal(String(value(2, 'tx')).length, 70000);
});

test('spatial values become EWKB bytea carrying the SRID', () => {
  assert.equal(nativeOf('g'), 'bytea');
  assert.ok(warningCodes('g').includes('SPATIAL_AS_EWKB'));
  const point = Buffer.alloc(25);
  point[0] = 1;
  point.writeUInt32LE(0x20000001, 1);
  point.writeUInt32LE(4326, 5);
  point.writeDoubleLE(1, 9);
  point.writeDoubleLE(2, 17);
  assert.deepEqual(value(1, 'g'), point);
  const line = value(2, 'g') as Buffer;
  assert.equal(line.readUInt32LE(1), 2, 'SRID 0: plain WKB LineString');
});

test('NULL stays NULL in every column', () => {
  const row = rows.get(4) as Record<string, unknown>;
  for (const c of ['ti', 'biu', 'b64', 'y', 'd65', 'f', 'dt', 'dtm', 'ts', 'tm', 'e', 'st', 'j', 'bl', 'bin', 'ch', 'tx', 'g']) {
    assert.equal(row[c], null, c);
  }
});

test('defaults are converted: quoted literal, zero datetime and a bit literal padded to the column width', async () => {
  const cols = conversion.target.tables[0].columns;
  assert.deepEqual(cols.find((c) => c.name === 'select')?.default, { kind: 'literal', sql: "'it''s'" });
  assert.deepEqual(cols.find((c) => c.name === 'dflt')?.default, { kind: 'literal', sql: "'-infinity'" });
  assert.deepEqual(cols.find((c) => c.name === 'bdef')?.default, { kind: 'literal', sql: "B'00000101'" });
  const row = rows.get(4) as Record<string, unknown>;
  assert.equal(row.select, "it's");
  assert.equal(row.bdef, '00000101');
});

test('AUTO_INCREMENT becomes an identity restarted at the source next value', async () => {
  const pgc = await pgAdmin(pgDb);
  try {
    const r = await pgc.query('INSERT INTO public.typematrix DEFAULT VALUES RETURNING id');
    assert.equal(Number(r.rows[0].id), 5);
  } finally {
    await pgc.end();
  }
});
