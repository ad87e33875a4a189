// MySQL/MariaDB -> PostgreSQL rules one by one: target type, Warning code, and value conversion of extreme values.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Column, ColumnType, Index, Schema, Table } from '../../src/engine/model';
import { mysqlToPostgres } from '../../src/engine/convert/mysql-to-postgres';
import { createIdentifierMap } from '../../src/engine/convert/identifiers';
import type { ConversionOptions, ConvertedSchema, Warning } from '../../src/engine/convert/types';
import { ValueConversionError } from '../../src/engine/errors';
import {
  arrayElement, bitValue, dateValue, setValue, spatialToEwkb, textValue, timeValue, timestampUtcValue, unsignedBigintToBigint, yearValue,
} from '../../src/engine/convert/mysql-to-postgres-values';

function col(name: string, type: ColumnType, native: string, extra: Partial<Column> = {}): Column {
  return { name, type, native, nullable: true, ...extra };
}

function schemaOf(columns: Column[], extra: Partial<Table> = {}, more: Partial<Schema> = {}): Schema {
  const table: Table = {
    schema: 'shop', name: 't', columns, primaryKey: [], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0, ...extra,
  };
  return {
    engine: 'mysql', serverVersion: '10.11.6-MariaDB', database: 'shop', namespaces: ['shop'], tables: [table], views: [], sequences: [],
    types: [], routines: [], triggers: [], settings: {}, ...more,
  };
}

function convert(source: Schema, opts: Partial<ConversionOptions> = {}): ConvertedSchema {
  const options: ConversionOptions = { lossless: true, identifierCase: 'lower', targetDatabase: 'target', ...opts };
  const ids = createIdentifierMap(source, 'postgres', options);
  const collected: Warning[] = [];
  const out = mysqlToPostgres(source, { options, ids, warn: (w) => collected.push(w) });
  return { ...out, warnings: [...collected, ...out.warnings] };
}

/** Converts one column; returns its target column, mapping and the warning codes about it. */
function one(c: Column, opts: Partial<ConversionOptions> = {}) {
  const out = convert(schemaOf([c]), opts);
  const mapping = out.tables[0].columns[0];
  const codes = out.warnings.filter((w) => w.object === `table:public.t.${mapping.target.name}`).map((w) => w.code);
  const run = (v: string | Buffer) => (mapping.convert ? mapping.convert(v) : v);
  return { target: mapping.target, codes, run, out };
}

describe('integer rules', () => {
  const cases: [string, ColumnType, string, string | undefined][] = [
    ['tinyint(4)', { kind: 'int', bytes: 1, unsigned: false }, 'smallint', undefined],
    ['tinyint(3) unsigned', { kind: 'int', bytes: 1, unsigned: true }, 'smallint', undefined],
    ['smallint(6)', { kind: 'int', bytes: 2, unsigned: false }, 'smallint', undefined],
    ['smallint(5) unsigned', { kind: 'int', bytes: 2, unsigned: true }, 'integer', 'UNSIGNED_WIDENED'],
    ['mediumint(8) unsigned', { kind: 'int', bytes: 3, unsigned: true }, 'integer', undefined],
    ['int(11)', { kind: 'int', bytes: 4, unsigned: false }, 'integer', undefined],
    ['int(10) unsigned', { kind: 'int', bytes: 4, unsigned: true }, 'bigint', 'UNSIGNED_WIDENED'],
    ['bigint(20)', { kind: 'int', bytes: 8, unsigned: false }, 'bigint', undefined],
    ['bigint(20) unsigned', { kind: 'int', bytes: 8, unsigned: true }, 'numeric(20,0)', 'UNSIGNED_BIGINT_WIDENED'],
  ];
  for (const [native, type, pg, code] of cases) {
    test(`${native} becomes ${pg}${code ? ` with ${code}` : ''}`, () => {
      const r = one(col('n', type, native));
      assert.equal(r.target.native, pg);
      if (code) assert.ok(r.codes.includes(code), r.codes.join());
    });
  }

  test('BIGINT UNSIGNED max 18446744073709551615 passes unchanged into numeric(20,0)', () => {
    const r = one(col('n', { kind: 'int', bytes: 8, unsigned: true }, 'bigint(20) unsigned'));
    assert.equal(r.run('18446744073709551615'), '18446744073709551615');
  });

  test('with lossless off, BIGINT UNSIGNED becomes bigint and a value above 2^63-1 fails naming the column', () => {
    const r = one(col('big', { kind: 'int', bytes: 8, unsigned: true }, 'bigint(20) unsigned'), { lossless: false });
    assert.equal(r.target.native, 'bigint');
    assert.ok(r.codes.includes('UNSIGNED_BIGINT_AS_BIGINT'));
    assert.equal(r.run('9223372036854775807'), '9223372036854775807');
    assert.throws(() => r.run('9223372036854775808'), (e: unknown) => e instanceof ValueConversionError && /t\.big/.test(e.message) && /9223372036854775808/.test(e.message));
  });

  test('a BIGINT UNSIGNED AUTO_INCREMENT key below 2^63 stays an integer identity restarting at its next value', () => {
    const r = one(col('id', { kind: 'int', bytes: 8, unsigned: true }, 'bigint(20) unsigned', { nullable: false, identity: { kind: 'auto_increment', next: '42' } }));
    assert.equal(r.target.native, 'bigint');
    assert.deepEqual(r.target.identity, { kind: 'by_default', next: '42' });
    assert.ok(r.codes.includes('UNSIGNED_BIGINT_AS_BIGINT'));
  });

  test('TINYINT(1) stays smallint (not boolean) and says why', () => {
    const r = one(col('flag', { kind: 'int', bytes: 1, unsigned: false, displayWidth: 1 }, 'tinyint(1)'));
    assert.equal(r.target.native, 'smallint');
    assert.ok(r.codes.includes('TINYINT1_AS_SMALLINT'));
    assert.equal(r.run('-128'), '-128');
  });
});

describe('other type rules', () => {
  test('DECIMAL(65,30) becomes numeric(65,30) and its extreme passes unchanged', () => {
    const r = one(col('d', { kind: 'decimal', precision: 65, scale: 30 }, 'decimal(65,30)'));
    assert.equal(r.target.native, 'numeric(65,30)');
    const max = `${'9'.repeat(35)}.${'9'.repeat(30)}`;
    assert.equal(r.run(max), max);
  });

  test('FLOAT becomes real, DOUBLE double precision, FLOAT(M,D) warns that the rounding is gone', () => {
    assert.equal(one(col('f', { kind: 'float', bytes: 4 }, 'float')).target.native, 'real');
    assert.equal(one(col('f', { kind: 'float', bytes: 8 }, 'double')).target.native, 'double precision');
    assert.ok(one(col('f', { kind: 'float', bytes: 4 }, 'float(7,2)')).codes.includes('FLOAT_SCALE_DROPPED'));
  });

  test('BIT(n) becomes bit(n); bytes become exactly n binary digits', () => {
    const r = one(col('b', { kind: 'bit', length: 10, varying: false }, 'bit(10)'));
    assert.equal(r.target.native, 'bit(10)');
    assert.equal(r.run(Buffer.from([0x03, 0xff])), '1111111111');
    assert.equal(bitValue(64)(Buffer.alloc(8, 0xff)), '1'.repeat(64));
    assert.equal(bitValue(1)(Buffer.from([1])), '1');
    assert.equal(bitValue(3)(Buffer.from([5])), '101');
  });

  test('YEAR becomes smallint with a CHECK of its range; 0000 becomes 0', () => {
    const r = one(col('y', { kind: 'year' }, 'year(4)'));
    assert.equal(r.target.native, 'smallint');
    assert.ok(r.codes.includes('YEAR_AS_SMALLINT'));
    assert.deepEqual(r.out.target.tables[0].checks.map((c) => c.expression), ['"y" = 0 OR "y" BETWEEN 1901 AND 2155']);
    assert.equal(yearValue('0000'), '0');
    assert.equal(yearValue('2155'), '2155');
  });

  test("zero and partial-zero dates become '-infinity' (ZERO_DATE), or fail when lossless is off", () => {
    const r = one(col('d', { kind: 'date' }, 'date'));
    assert.ok(r.codes.includes('ZERO_DATE'));
    for (const v of ['0000-00-00', '2020-00-15', '2020-05-00', '0000-01-01']) assert.equal(r.run(v), '-infinity', v);
    assert.equal(r.run('1000-01-01'), '1000-01-01');
    const strict = dateValue({ column: 't.d', lossless: false });
    assert.throws(() => strict('0000-00-00'), ValueConversionError);
  });

  test('DATETIME(6) stays timestamp(6); TIMESTAMP (UTC) becomes timestamptz with an explicit +00', () => {
    const dt = one(col('dt', { kind: 'timestamp', precision: 6, tz: false }, 'datetime(6)'));
    assert.equal(dt.target.native, 'timestamp(6) without time zone');
    assert.equal(dt.run('9999-12-31 23:59:59.999999'), '9999-12-31 23:59:59.999999');
    const ts = one(col('ts', { kind: 'timestamp', precision: 0, tz: true, mysqlTimestamp: true }, 'timestamp'));
    assert.equal(ts.target.native, 'timestamp(0) with time zone');
    assert.equal(ts.run('2038-01-19 03:14:07'), '2038-01-19 03:14:07+00');
    assert.equal(timestampUtcValue({ column: 't.ts', lossless: true })('0000-00-00 00:00:00'), '-infinity');
  });

  test('TIME becomes interval (TIME_AS_INTERVAL); -838:59:59 and 838:59:59 pass; lossless off gives time and rejects them', () => {
    const r = one(col('tm', { kind: 'time', precision: 0, tz: false, mysqlTime: true }, 'time'));
    assert.equal(r.target.native, 'interval');
    assert.ok(r.codes.includes('TIME_AS_INTERVAL'));
    assert.equal(r.run('-838:59:59'), '-838:59:59');
    assert.equal(r.run('838:59:59'), '838:59:59');
    const strict = one(col('tm', { kind: 'time', precision: 0, tz: false, mysqlTime: true }, 'time'), { lossless: false });
    assert.equal(strict.target.native, 'time(0) without time zone');
    assert.equal(strict.run('23:59:59'), '23:59:59');
    assert.throws(() => strict.run('24:00:01'), ValueConversionError);
    assert.throws(() => strict.run('-00:00:01'), ValueConversionError);
    assert.equal(timeValue({ column: 'x', lossless: false })('24:00:00'), '24:00:00');
  });

  test('ENUM becomes one enum type per distinct value list, named <table>_<column>, labels intact', () => {
    const values = ['a', "it's", 'x,y', 'Ünï'];
    const out = convert(schemaOf([
      col('e1', { kind: 'enum', values }, "enum('a','it''s','x,y','Ünï')"),
      col('e2', { kind: 'enum', values: [...values] }, "enum('a','it''s','x,y','Ünï')"),
      col('e3', { kind: 'enum', values: ['z'] }, "enum('z')"),
    ]));
    assert.deepEqual(out.target.types, [
      { kind: 'enum', schema: 'public', name: 't_e1', values },
      { kind: 'enum', schema: 'public', name: 't_e3', values: ['z'] },
    ]);
    const [c1, c2] = out.tables[0].columns;
    assert.equal(c1.target.native, '"public"."t_e1"');
    assert.equal(c2.target.native, '"public"."t_e1"');
    assert.equal(c1.convert?.("it's"), "it's");
    assert.throws(() => c1.convert?.(''), /invalid-value marker/);
  });

  test('ENUM labels PostgreSQL cannot hold (longer than 63 bytes) become varchar with a CHECK (ENUM_AS_CHECK)', () => {
    const long = 'x'.repeat(70);
    const r = one(col('e', { kind: 'enum', values: ['a', long] }, `enum('a','${long}')`));
    assert.equal(r.target.native, 'varchar(70)');
    assert.ok(r.codes.includes('ENUM_AS_CHECK'));
    assert.deepEqual(r.out.target.tables[0].checks.map((c) => c.expression), [`"e" IN ('a', '${long}')`]);
  });

  test('SET becomes text[] with a membership CHECK; values become array literals', () => {
    const r = one(col('s', { kind: 'set', values: ['a', "it's", 'b"q', 'back\\slash'] }, "set('a','it''s','b\"q','back\\\\slash')"));
    assert.equal(r.target.native, 'text[]');
    assert.ok(r.codes.includes('SET_AS_ARRAY'));
    assert.equal(r.out.target.tables[0].checks[0].expression, `"s" <@ ARRAY['a', 'it''s', 'b"q', 'back\\slash']::text[]`);
    assert.equal(setValue(''), '{}');
    assert.equal(setValue('a,it\'s,b"q,back\\slash'), '{"a","it\'s","b\\"q","back\\\\slash"}');
    assert.equal(arrayElement('NULL'), '"NULL"');
  });

  test('JSON becomes json (lossless text), binary types bytea, spatial EWKB bytea', () => {
    assert.equal(one(col('j', { kind: 'json', binary: false }, 'json')).target.native, 'json');
    const bin = one(col('b', { kind: 'binary', length: 4, varying: false, blob: false }, 'binary(4)'));
    assert.equal(bin.target.native, 'bytea');
    assert.ok(bin.codes.includes('BINARY_PADDING_KEPT'));
    assert.deepEqual(bin.run(Buffer.from([0x61, 0, 0, 0])), Buffer.from([0x61, 0, 0, 0]));
    const g = one(col('g', { kind: 'spatial', subtype: 'point' }, 'point'));
    assert.equal(g.target.native, 'bytea');
    assert.ok(g.codes.includes('SPATIAL_AS_EWKB'));
    // MySQL internal: SRID 4326 LE + WKB point(1 2) little-endian
    const wkb = Buffer.alloc(21);
    wkb[0] = 1; wkb.writeUInt32LE(1, 1); wkb.writeDoubleLE(1, 5); wkb.writeDoubleLE(2, 13);
    const internal = Buffer.concat([Buffer.from([0xe6, 0x10, 0, 0]), wkb]);
    const ewkb = spatialToEwkb(internal) as Buffer;
    assert.equal(ewkb.toString('hex'), `0101000020e6100000${wkb.subarray(5).toString('hex')}`);
    assert.deepEqual(spatialToEwkb(Buffer.concat([Buffer.alloc(4), wkb])), wkb);
  });

  test('text keeps emoji and rejects the NUL character PostgreSQL cannot store, naming the column', () => {
    const conv = textValue({ column: 'people.name', lossless: true });
    assert.equal(conv('emoji 😀'), 'emoji 😀');
    assert.throws(() => conv('a\u0000b'), (e: unknown) => e instanceof ValueConversionError && /people\.name/.test(e.message));
  });

  test('CHAR(0) becomes varchar(1); a latin1 column is noted as converted to UTF8', () => {
    assert.equal(one(col('c', { kind: 'char', length: 0, varying: false }, 'char(0)')).target.native, 'varchar(1)');
    assert.ok(one(col('c', { kind: 'char', length: 5, varying: true }, 'varchar(5)', { charset: 'latin1' })).codes.includes('CHARSET_TO_UTF8'));
  });

  test('unsigned 64-bit conversion helper accepts the bigint boundary exactly', () => {
    const conv = unsignedBigintToBigint({ column: 'x', lossless: false });
    assert.equal(conv('0'), '0');
    assert.throws(() => conv('18446744073709551615'), ValueConversionError);
  });
});

describe('defaults, identity and generated columns', () => {
  test('literal defaults go through the value converter: zero date, bit padding, set, enum, numbers, hex', () => {
    const out = convert(schemaOf([
      col('d', { kind: 'timestamp', precision: 0, tz: false }, 'datetime', { default: { kind: 'literal', sql: "'0000-00-00 00:00:00'" } }),
      col('b', { kind: 'bit', length: 8, varying: false }, 'bit(8)', { default: { kind: 'literal', sql: "b'101'" } }),
      col('s', { kind: 'set', values: ['a', 'b'] }, "set('a','b')", { default: { kind: 'literal', sql: "'a,b'" } }),
      col('n', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)', { default: { kind: 'literal', sql: '-5' } }),
      col('v', { kind: 'char', length: 10, varying: true }, 'varchar(10)', { default: { kind: 'literal', sql: "'it''s'" } }),
      col('x', { kind: 'binary', length: 2, varying: true, blob: false }, 'varbinary(2)', { default: { kind: 'literal', sql: '0x0aff' } }),
      col('y', { kind: 'year' }, 'year(4)', { default: { kind: 'literal', sql: '2000' } }),
      col('ts', { kind: 'timestamp', precision: 6, tz: true, mysqlTimestamp: true }, 'timestamp(6)', { default: { kind: 'current_timestamp', precision: 6 }, onUpdateCurrentTimestamp: true }),
    ]));
    const d = (n: string) => out.target.tables[0].columns.find((c) => c.name === n)?.default;
    assert.deepEqual(d('d'), { kind: 'literal', sql: "'-infinity'" });
    assert.deepEqual(d('b'), { kind: 'literal', sql: "B'00000101'" });
    assert.deepEqual(d('s'), { kind: 'literal', sql: `'{"a","b"}'` });
    assert.deepEqual(d('n'), { kind: 'literal', sql: '-5' });
    assert.deepEqual(d('v'), { kind: 'literal', sql: "'it''s'" });
    assert.deepEqual(d('x'), { kind: 'literal', sql: "'\\x0aff'::bytea" });
    assert.deepEqual(d('y'), { kind: 'literal', sql: '2000' });
    assert.deepEqual(d('ts'), { kind: 'current_timestamp', precision: 6 });
    assert.ok(out.warnings.some((w) => w.code === 'ON_UPDATE_TIMESTAMP' && w.object === 'table:public.t.ts'));
    const trigger = out.manual.find((m) => m.kind === 'trigger');
    assert.match(trigger?.definition ?? '', /NEW\."ts" := CURRENT_TIMESTAMP/);
  });

  test('expression defaults and generated columns are translated; a VIRTUAL column becomes STORED with a note', () => {
    const out = convert(schemaOf([
      col('a', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)'),
      col('b', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)', { generated: { expression: '`a` DIV 2 + ifnull(`a`,0)', stored: false } }),
      col('c', { kind: 'char', length: 20, varying: true }, 'varchar(20)', { default: { kind: 'expression', sql: "concat('x',`a`)" } }),
      col('d', { kind: 'char', length: 20, varying: true }, 'varchar(20)', { default: { kind: 'expression', sql: 'my_func()' } }),
    ]));
    const c = (n: string) => out.target.tables[0].columns.find((x) => x.name === n);
    assert.deepEqual(c('b')?.generated, { expression: 'div("a", 2) + coalesce("a", 0)', stored: true });
    assert.ok(out.warnings.some((w) => w.code === 'GENERATED_VIRTUAL_AS_STORED'));
    assert.deepEqual(c('c')?.default, { kind: 'expression', sql: `('x' || CAST("a" AS text))` });
    assert.equal(c('d')?.default, undefined);
    assert.ok(out.warnings.some((w) => w.code === 'DEFAULT_MANUAL' && w.object === 'table:public.t.d'));
  });

  test('AUTO_INCREMENT becomes GENERATED BY DEFAULT AS IDENTITY at the source next value', () => {
    const r = one(col('id', { kind: 'int', bytes: 4, unsigned: true }, 'int(10) unsigned', { nullable: false, identity: { kind: 'auto_increment', next: '4294967296' } }));
    assert.equal(r.target.native, 'bigint');
    assert.deepEqual(r.target.identity, { kind: 'by_default', next: '4294967296' });
  });
});

describe('indexes, keys and constraints', () => {
  const text = (name: string, length: number, collation = 'utf8mb4_general_ci'): Column =>
    col(name, { kind: 'char', length, varying: true }, `varchar(${length})`, { charset: 'utf8mb4', collation });

  function indexOf(i: Index, columns: Column[]) {
    const out = convert(schemaOf(columns, { indexes: [i] }));
    return { index: out.target.tables[0].indexes[0], warnings: out.warnings.filter((w) => w.object.startsWith('index:')) };
  }

  test('a prefix index part becomes left(col, n) and keeps the uniqueness on the prefix', () => {
    const r = indexOf({ name: 'ux', unique: true, primary: false, method: 'btree', parts: [{ column: 'name', prefixLength: 10 }] }, [text('name', 255, 'utf8mb4_bin')]);
    assert.deepEqual(r.index.parts, [{ expression: 'left("name", 10)', descending: undefined }]);
    assert.ok(r.warnings.some((w) => w.code === 'INDEX_PREFIX'));
  });

  test('a key that may exceed the btree entry limit is indexed as md5(…) with INDEX_KEY_TOO_LONG; varchar(255) is not', () => {
    const long = indexOf({ name: 'ix', unique: false, primary: false, method: 'btree', parts: [{ column: 'body' }] }, [text('body', 1000)]);
    assert.deepEqual(long.index.parts, [{ expression: 'md5("body"::text)' }]);
    assert.ok(long.warnings.some((w) => w.code === 'INDEX_KEY_TOO_LONG'));
    const short = indexOf({ name: 'ix', unique: false, primary: false, method: 'btree', parts: [{ column: 'name', descending: true }] }, [text('name', 255)]);
    assert.deepEqual(short.index.parts, [{ column: 'name', descending: true }]);
  });

  test('FULLTEXT becomes a GIN index on to_tsvector; SPATIAL is dropped with a warning', () => {
    const ft = indexOf({ name: 'ft', unique: false, primary: false, method: 'fulltext', parts: [{ column: 'title' }, { column: 'body' }] }, [text('title', 100), text('body', 100)]);
    assert.equal(ft.index.method, 'gin');
    assert.deepEqual(ft.index.parts, [{ expression: `to_tsvector('simple'::regconfig, coalesce("title", '') || ' ' || coalesce("body", ''))` }]);
    assert.ok(ft.warnings.some((w) => w.code === 'FULLTEXT_AS_GIN'));
    const sp = convert(schemaOf([col('g', { kind: 'spatial', subtype: 'point' }, 'point')], { indexes: [{ name: 'sp', unique: false, primary: false, method: 'spatial', parts: [{ column: 'g' }] }] }));
    assert.deepEqual(sp.target.tables[0].indexes, []);
    assert.ok(sp.warnings.some((w) => w.code === 'SPATIAL_INDEX_DROPPED'));
  });

  test('a unique index on a case-insensitive column warns that PostgreSQL compares case-sensitively', () => {
    const r = indexOf({ name: 'ux_email', unique: true, primary: false, method: 'btree', parts: [{ column: 'email' }] }, [text('email', 100)]);
    assert.ok(r.warnings.some((w) => w.code === 'CASE_INSENSITIVE_UNIQUE'));
  });

  test('a case-insensitive or very long primary key is warned about', () => {
    const out = convert(schemaOf([text('code', 1000)], { primaryKey: ['code'] }));
    const codes = out.warnings.filter((w) => w.object === 'table:public.t').map((w) => w.code).sort();
    assert.deepEqual(codes, ['CASE_INSENSITIVE_UNIQUE', 'PRIMARY_KEY_TOO_LONG']);
    const ok = convert(schemaOf([text('code', 20, 'utf8mb4_bin')], { primaryKey: ['code'] }));
    assert.deepEqual(ok.warnings.filter((w) => w.object === 'table:public.t').map((w) => w.code), []);
  });

  test('MariaDB checks are translated; json_valid checks are dropped (json validates itself)', () => {
    const out = convert(schemaOf([col('a', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)'), col('j', { kind: 'json', binary: false }, 'json')],
      { checks: [{ name: 'a_pos', expression: '`a` > 0 and `a` <> 7' }, { name: 'j', expression: 'json_valid(`j`)' }] }));
    assert.deepEqual(out.target.tables[0].checks, [{ name: 'a_pos', expression: '"a" > 0 AND "a" <> 7' }]);
  });

  test('names go through the identifier map: mixed case folds to lower case, the PK gets <table>_pkey', () => {
    const out = convert(schemaOf([col('ID', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)', { nullable: false })], { name: 'Orders', primaryKey: ['ID'] }));
    const t = out.target.tables[0];
    assert.equal(t.name, 'orders');
    assert.deepEqual(t.primaryKey, ['id']);
    assert.equal(t.primaryKeyName, 'orders_pkey');
    assert.deepEqual(out.tables[0].key, ['ID']);
  });
});

describe('views, triggers and routines', () => {
  const film = (): Table => ({
    schema: 'shop', name: 'film', primaryKey: ['film_id'], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0,
    columns: [col('film_id', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)'), col('title', { kind: 'char', length: 50, varying: true }, 'varchar(50)'),
      col('Rating', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)')],
  });
  const withView = (query: string): ConvertedSchema => {
    const s = schemaOf([]);
    s.tables = [film()];
    s.views = [{ schema: 'shop', name: 'v', query, columns: ['x'], materialized: false }];
    return convert(s);
  };

  test('backticks, db qualifiers, IF, IFNULL, LIMIT a,b and integer division are translated', () => {
    const out = withView("select if(`f`.`film_id` > 1,ifnull(`f`.`title`,'-'),'') AS `x` from `shop`.`film` `f` where `f`.`Rating` DIV 2 = 1 limit 5,10");
    assert.equal(out.target.views[0].query,
      `SELECT CASE WHEN "f"."film_id" > 1 THEN coalesce("f"."title", '-') ELSE '' END AS "x" FROM "public"."film" "f" WHERE div("f"."rating", 2) = 1 LIMIT 10 OFFSET 5`);
    assert.deepEqual(out.manual, []);
  });

  test('GROUP_CONCAT becomes string_agg with its separator and ORDER BY; MySQL division is exact', () => {
    const out = withView("select group_concat(`shop`.`film`.`title` order by `shop`.`film`.`title` ASC separator '; ') AS `x`, sum(`shop`.`film`.`film_id`) / count(0) AS `y` from `shop`.`film`");
    assert.equal(out.target.views[0].query,
      `SELECT string_agg(CAST("public"."film"."title" AS text), '; ' ORDER BY "public"."film"."title" ASC) AS "x", (sum("public"."film"."film_id"))::numeric / NULLIF(count(0), 0) AS "y" FROM "public"."film"`);
  });

  test('a view that cannot be translated is a manual item with its original SQL and the reason', () => {
    const out = withView('select my_routine(`shop`.`film`.`film_id`) AS `x` from `shop`.`film`');
    assert.deepEqual(out.target.views, []);
    assert.equal(out.manual[0].kind, 'view');
    assert.match(out.manual[0].reason, /my_routine/);
    assert.ok(out.warnings.some((w) => w.code === 'VIEW_MANUAL' && w.level === 'manual'));
  });

  test('triggers and routines are manual items carrying their original text', () => {
    const s = schemaOf([]);
    s.tables = [film()];
    s.triggers = [{ schema: 'shop', name: 'ins_film', table: { schema: 'shop', name: 'film' }, timing: 'AFTER', events: ['INSERT'], definition: 'CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW BEGIN END' }];
    s.routines = [{ schema: 'shop', name: 'f1', kind: 'function', definition: 'CREATE FUNCTION f1() RETURNS int RETURN 1' }];
    const out = convert(s);
    assert.deepEqual(out.manual.map((m) => [m.id, m.kind, m.definition]), [
      ['trigger:public.ins_film', 'trigger', 'CREATE TRIGGER ins_film AFTER INSERT ON film FOR EACH ROW BEGIN END'],
      ['routine:public.f1', 'routine', 'CREATE FUNCTION f1() RETURNS int RETURN 1'],
    ]);
    assert.deepEqual(out.warnings.filter((w) => w.level === 'manual').map((w) => w.code), ['TRIGGER_MANUAL', 'ROUTINE_MANUAL']);
  });
});
