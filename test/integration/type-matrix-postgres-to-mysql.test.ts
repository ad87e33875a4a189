// PostgreSQL -> MariaDB type matrix: every PostgreSQL type of issue 3 with extreme values, introspected, converted,
// applied with mysqlDdl, copied with copyTableOnce, and compared value by value on MariaDB.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ConnectionConfig, parseConnectionUrl } from '../../src/engine/connection';
import type { ConversionContext } from '../../src/engine/convert/context';
import { createIdentifierMap } from '../../src/engine/convert/identifiers';
import { postgresToMysql } from '../../src/engine/convert/postgres-to-mysql';
import type { ConversionOptions, ConvertedSchema, TableMapping, Warning } from '../../src/engine/convert/types';
import { ValueConversionError } from '../../src/engine/errors';
import { copyTableOnce } from '../../src/engine/fullload/copy-table';
import type { Schema } from '../../src/engine/model';
import { mysqlDdl } from '../../src/engine/mysql/ddl';
import { introspectPostgres } from '../../src/engine/postgres/introspect';
import { type MysqlSession, type PostgresSession, openSession } from '../../src/engine/sql-session';
import { MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlUrl, pgUrl, psql } from '../helpers/db';

const BIG = '1234567890'.repeat(10); // 100 digits
const LONG_TEXT = 'x'.repeat(70000) + 'ü';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const SOURCE_SQL = `
CREATE TYPE mood AS ENUM ('sad', 'it''s ok', 'a,b', 'Happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE matrix (
  id serial PRIMARY KEY,
  i2 smallint, i4 integer, i8 bigint,
  n_free numeric, n_ps numeric(10,2), n_wide numeric(80,40),
  f4 real, f8 double precision,
  b boolean, bits bit(5),
  vc varchar(20), vc_free varchar, ch char(5), t text,
  by bytea, u uuid, ip inet, cid cidr, mac macaddr, mac8 macaddr8,
  iv interval, m money,
  d date, ts timestamp, tstz timestamptz, tm time, ttz timetz,
  j json, jb jsonb,
  arr int[], tarr text[], nested int[][],
  e mood, dom posint,
  xm xml, tsv tsvector
);
CREATE INDEX matrix_partial ON matrix (i4) WHERE i4 > 0;
CREATE UNIQUE INDEX matrix_partial_unique ON matrix (i2) WHERE i2 > 0;
CREATE INDEX matrix_expr ON matrix (lower(vc));
CREATE INDEX matrix_gin ON matrix USING gin (tsv);
INSERT INTO matrix (i2, i4, i8, n_free, n_ps, n_wide, f4, f8, b, bits, vc, vc_free, ch, t, by, u, ip, cid, mac, mac8, iv, m,
  d, ts, tstz, tm, ttz, j, jb, arr, tarr, nested, e, dom, xm, tsv) VALUES
 (-32768, 2147483647, 9223372036854775807, '${BIG}.${BIG}', 12345678.91, '-${BIG.slice(0, 40)}.${BIG.slice(0, 40)}',
  3.4028235e+38, 1.7976931348623157e+308, true, B'10101',
  'Grüße 😀 日本 \\ ''q''', 'free', 'ab', '${LONG_TEXT}', decode('${ALL_BYTES.toString('hex')}', 'hex'),
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2001:db8::1/64', '192.168.100.0/24', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
  '1 year 2 months 3 days 04:05:06.789', '1234567.89',
  '9999-12-31', '1000-01-01 00:00:00', '2024-02-29 23:59:59.999999+05:30', '23:59:59.999999', '12:34:56.789+05:30',
  '{"b": 1,  "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '{1,NULL,-3}', '{"a,b","q\\"t",NULL,"NULL",""}', '{{1,2},{3,4}}',
  'it''s ok', 42, '<a>x</a>', 'fat cat'),
 (1, -2147483648, -9223372036854775808, 'NaN', -0.01, 0, -1.5e-10, 2.2250738585072014e-308, false, B'00000',
  '', '', '', '', '', '00000000-0000-0000-0000-000000000000', '0.0.0.0', '::/0', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00:00:00',
  '-1 years -2 mons +3 days -00:00:00.000001', '-92233720368547758.08',
  '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00', '00:00:00', '00:00:00-12', '[]', '{}', '{}', '{}', '{}',
  'a,b', 1, '', ''),
 (NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE special (id int PRIMARY KEY, f8 double precision, n numeric(10,2), d date, ts timestamp, tstz timestamptz);
INSERT INTO special VALUES (1, 'NaN', 'NaN', '4713-01-01 BC', '294276-12-31 23:59:59', 'infinity');
`;

function convert(schema: Schema, targetDatabase: string, lossless = true): ConvertedSchema & { warnings: Warning[] } {
  const options: ConversionOptions = { lossless, identifierCase: 'lower', targetDatabase };
  const extra: Warning[] = [];
  const ctx: ConversionContext = { options, ids: createIdentifierMap(schema, 'mysql', options), warn: (w) => extra.push(w) };
  const out = postgresToMysql(schema, ctx);
  return { ...out, warnings: [...out.warnings, ...extra] };
}

describe('PostgreSQL -> MariaDB type matrix', () => {
  let pgDb = '';
  let myDb = '';
  let source: ConnectionConfig;
  let target: ConnectionConfig;
  let schema: Schema;
  let converted: ReturnType<typeof convert>;
  let my: MysqlSession;
  const mapping = (name: string): TableMapping => converted.tables.find((m) => m.source.name === name)!;

  before(async () => {
    pgDb = await createPgDb('bmatrix');
    myDb = await createMysqlDb('bmatrix_t');
    psql(pgDb, SOURCE_SQL);
    source = { ...parseConnectionUrl(pgUrl(pgDb)), password: PG_PASSWORD };
    target = { ...parseConnectionUrl(mysqlUrl(myDb)), password: MYSQL_PASSWORD };
    const pgs = (await openSession(source)) as PostgresSession;
    try { schema = await introspectPostgres(pgs.client); } finally { await pgs.close(); }
    converted = convert(schema, myDb);
    my = (await openSession(target)) as MysqlSession;
    for (const o of mysqlDdl.renderSchema(converted.target)) {
      if (o.phase !== 'pre-data') continue;
      for (const st of o.statements) await my.query(st);
    }
  });
  after(async () => {
    await my?.close();
    if (pgDb) await dropPgDb(pgDb);
    if (myDb) await dropMysqlDb(myDb);
  });

  test('maps every PostgreSQL type to the documented MySQL type', () => {
    const natives = Object.fromEntries(mapping('matrix').target.columns.map((c) => [c.name, c.native]));
    assert.deepEqual(natives, {
      id: 'int', i2: 'smallint', i4: 'int', i8: 'bigint', n_free: 'varchar(1000)', n_ps: 'decimal(10,2)', n_wide: 'varchar(82)',
      f4: 'double', f8: 'double', b: 'tinyint(1)', bits: 'bit(5)', vc: 'varchar(20)', vc_free: 'longtext', ch: 'char(5)', t: 'longtext',
      by: 'longblob', u: 'char(36)', ip: 'varchar(43)', cid: 'varchar(43)', mac: 'char(17)', mac8: 'char(23)', iv: 'varchar(100)',
      m: 'decimal(19,2)', d: 'date', ts: 'datetime(6)', tstz: 'datetime(6)', tm: 'time(6)', ttz: 'varchar(32)', j: 'json', jb: 'json',
      arr: 'json', tarr: 'json', nested: 'json', e: "enum('sad','it''s ok','a,b','Happy')", dom: 'int', xm: 'longtext', tsv: 'longtext',
    });
    assert.equal(mapping('matrix').target.columns[0].identity?.kind, 'auto_increment');
  });

  test('raises the documented Warning for each inexact conversion', () => {
    const codes = (col: string) => converted.warnings.filter((w) => w.object === `table:public.matrix.${col}`).map((w) => w.code);
    assert.deepEqual(codes('n_free'), ['NUMERIC_AS_TEXT']);
    assert.deepEqual(codes('f8'), ['FLOAT_SPECIAL_VALUES']);
    assert.deepEqual(codes('tstz'), ['TIMESTAMPTZ_AS_UTC']);
    assert.deepEqual(codes('ttz'), ['TIMETZ_AS_TEXT']);
    assert.deepEqual(codes('iv'), ['INTERVAL_AS_TEXT']);
    assert.deepEqual(codes('m'), ['MONEY_AS_DECIMAL']);
    assert.deepEqual(codes('arr'), ['ARRAY_AS_JSON']);
    assert.deepEqual(codes('dom'), ['DOMAIN_INLINED']);
    assert.deepEqual(codes('tsv'), ['TSVECTOR_AS_TEXT']);
    const byIndex = (name: string) => converted.warnings.filter((w) => w.object === `index:public.matrix.${name}`).map((w) => w.code);
    assert.deepEqual(byIndex('matrix_partial'), ['PARTIAL_INDEX_FULL']);
    assert.deepEqual(byIndex('matrix_partial_unique'), ['PARTIAL_UNIQUE_DROPPED']);
    assert.deepEqual(byIndex('matrix_expr'), ['EXPRESSION_INDEX_DROPPED']);
    assert.deepEqual(byIndex('matrix_gin'), ['INDEX_METHOD_DROPPED']);
    assert.deepEqual(mapping('matrix').target.indexes.map((i) => i.name), ['matrix_partial']);
  });

  test('applies the post-data and finalize DDL: indexes, the domain CHECK and the AUTO_INCREMENT restart', async () => {
    for (const phase of ['post-data', 'finalize']) {
      for (const o of mysqlDdl.renderSchema(converted.target).filter((x) => x.phase === phase)) for (const st of o.statements) await my.query(st);
    }
    const [create] = await my.query(`SHOW CREATE TABLE \`matrix\``);
    const text = String(create['Create Table']);
    assert.match(text, /AUTO_INCREMENT=4\b/);
    assert.match(text, /CHECK \(`dom` > 0\)/);
    await assert.rejects(my.query('INSERT INTO `matrix` (`dom`) VALUES (-1)'), /CONSTRAINT/);
  });

  test('copies every value and reads back the exact target value', async () => {
    assert.deepEqual(await copyTableOnce(source, target, mapping('matrix')), { rows: 3 });
    // JSON columns are read as their stored text (the driver would parse them).
    const list = mapping('matrix').target.columns.map((c) => (c.native === 'json' ? `CAST(\`${c.name}\` AS CHAR) AS \`${c.name}\`` : `\`${c.name}\``));
    const rows = await my.query(`SELECT ${list.join(', ')} FROM \`matrix\` ORDER BY \`id\``);
    assert.equal(rows.length, 3);
    const [r1, r2, r3] = rows;
    assert.deepEqual({ ...r1, t: undefined, by: undefined }, {
      id: 1, i2: -32768, i4: 2147483647, i8: '9223372036854775807', n_free: `${BIG}.${BIG}`, n_ps: '12345678.91',
      n_wide: `-${BIG.slice(0, 40)}.${BIG.slice(0, 40)}`, f4: 3.4028235e+38, f8: 1.7976931348623157e+308, b: 1,
      bits: Buffer.from([0b10101]), vc: "Grüße 😀 日本 \\ 'q'", vc_free: 'free', ch: 'ab', t: undefined, by: undefined,
      u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', ip: '2001:db8::1/64', cid: '192.168.100.0/24', mac: '08:00:2b:01:02:03',
      mac8: '08:00:2b:01:02:03:04:05', iv: 'P1Y2M3DT4H5M6.789S', m: '1234567.89', d: '9999-12-31', ts: '1000-01-01 00:00:00.000000',
      tstz: '2024-02-29 18:29:59.999999', tm: '23:59:59.999999', ttz: '12:34:56.789+05:30', j: '{"b": 1,  "a": [1, 2]}',
      jb: '{"a": [1, 2], "b": 1}', arr: '[1,null,-3]', tarr: '["a,b","q\\"t",null,"NULL",""]', nested: '[[1,2],[3,4]]',
      e: "it's ok", dom: 42, xm: '<a>x</a>', tsv: "'cat' 'fat'",
    });
    assert.equal(r1.t, LONG_TEXT);
    assert.deepEqual(r1.by, ALL_BYTES);
    assert.deepEqual({ ...r2, id: undefined }, {
      id: undefined, i2: 1, i4: -2147483648, i8: '-9223372036854775808', n_free: 'NaN', n_ps: '-0.01', n_wide: `0.${'0'.repeat(40)}`, f4: -1.5e-10,
      f8: 2.2250738585072014e-308, b: 0, bits: Buffer.from([0]), vc: '', vc_free: '', ch: '', t: '', by: Buffer.alloc(0),
      u: '00000000-0000-0000-0000-000000000000', ip: '0.0.0.0', cid: '::/0', mac: 'ff:ff:ff:ff:ff:ff', mac8: '00:00:00:00:00:00:00:00',
      iv: 'P-1Y-2M3DT-0.000001S', m: '-92233720368547758.08', d: '1000-01-01', ts: '9999-12-31 23:59:59.999999',
      tstz: '1970-01-01 00:00:00.000000', tm: '00:00:00.000000', ttz: '00:00:00-12', j: '[]', jb: '{}', arr: '[]', tarr: '[]',
      nested: '[]', e: 'a,b', dom: 1, xm: '', tsv: '',
    });
    assert.deepEqual(Object.entries(r3).filter(([k, v]) => k !== 'id' && k !== 'n_free' && v !== null), []);
    assert.equal(r3.n_free, '-Infinity');
  });

  test('converts NaN, BC, year 294276 and infinity to a ValueConversionError instead of changing them', () => {
    const m = mapping('special');
    const conv = (col: string, value: string) => m.columns.find((c) => c.source.name === col)!.convert!(value);
    assert.throws(() => conv('f8', 'NaN'), (e: unknown) => e instanceof ValueConversionError && /public\.special\.f8: value "NaN" has no MySQL equivalent/.test(e.message));
    assert.throws(() => conv('f8', '-Infinity'), ValueConversionError);
    assert.throws(() => conv('n', 'NaN'), ValueConversionError);
    assert.throws(() => conv('d', '4713-01-01 BC'), /before the year 1/);
    assert.throws(() => conv('ts', '294276-12-31 23:59:59'), /after 9999-12-31/);
    assert.throws(() => conv('tstz', 'infinity'), /infinity/);
    assert.equal(conv('tstz', '2000-01-01 00:00:00+00'), '2000-01-01 00:00:00');
    assert.equal(conv('f8', '-1.5e-10'), '-1.5e-10');
  });

  test('with lossless off, numeric without precision becomes decimal(65,30) and a 100-digit value fails', () => {
    const strict = convert(schema, myDb, false);
    const m = strict.tables.find((x) => x.source.name === 'matrix')!;
    const col = m.columns.find((c) => c.source.name === 'n_free')!;
    assert.equal(col.target.native, 'decimal(65,30)');
    assert.deepEqual(strict.warnings.filter((w) => w.object === 'table:public.matrix.n_free').map((w) => w.code), ['NUMERIC_NARROWED']);
    assert.equal(col.convert!('-12345.678'), '-12345.678');
    assert.throws(() => col.convert!(`${BIG}.5`), (e: unknown) => e instanceof ValueConversionError && /public\.matrix\.n_free/.test(e.message));
    assert.throws(() => col.convert!('1.0000000000000000000000000000001'), ValueConversionError);
  });
});
