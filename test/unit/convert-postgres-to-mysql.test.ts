// PostgreSQL -> MySQL rules one by one: type mapping, Warning code, value conversion of extreme values, SQL translation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mapType } from '../../src/engine/convert/postgres-to-mysql';
import { translatePgSql } from '../../src/engine/convert/pg-sql-translate';
import { ValueConversionError } from '../../src/engine/errors';
import type { ColumnType } from '../../src/engine/model';

const rule = (type: ColumnType, lossless = true, inKey = false) => mapType({ type, column: 'public.t.c', lossless, inKey });
const env = { schemas: ['public', 'sales'], relation: (q: { schema: string; name: string }) => ({ schema: q.schema === 'public' ? 'shop' : q.schema, name: q.name }) };

describe('PostgreSQL -> MySQL type rules', () => {
  test('numeric(p,s) within 65,30 stays decimal and rejects NaN and values that would be rounded', () => {
    const r = rule({ kind: 'decimal', precision: 10, scale: 2 });
    assert.equal(r.native, 'decimal(10,2)');
    assert.equal(r.warning?.code, 'NUMERIC_SPECIAL_VALUES');
    assert.equal(r.convert!('-99999999.99'), '-99999999.99');
    assert.equal(r.convert!('1.50'), '1.50');
    assert.throws(() => r.convert!('NaN'), ValueConversionError);
    assert.throws(() => r.convert!('1.005'), /does not fit decimal\(10,2\)/);
    assert.throws(() => r.convert!('123456789.00'), ValueConversionError);
  });

  test('numeric without precision is kept exactly as text when lossless, decimal(65,30) with a failing check otherwise', () => {
    const lossless = rule({ kind: 'decimal' });
    assert.deepEqual([lossless.native, lossless.charset, lossless.warning?.code], ['varchar(1000)', 'ascii', 'NUMERIC_AS_TEXT']);
    assert.equal(lossless.convert!('Infinity'), 'Infinity');
    const strict = rule({ kind: 'decimal' }, false);
    assert.deepEqual([strict.native, strict.warning?.code], ['decimal(65,30)', 'NUMERIC_NARROWED']);
    assert.throws(() => strict.convert!('1'.repeat(36)), ValueConversionError);
    assert.equal(strict.convert!('1'.repeat(35)), '1'.repeat(35));
  });

  test('floats become double and NaN/±Infinity fail instead of becoming NULL', () => {
    const r = rule({ kind: 'float', bytes: 4 });
    assert.equal(r.native, 'double');
    assert.equal(r.convert!('3.4028235e+38'), '3.4028235e+38');
    for (const v of ['NaN', 'Infinity', '-Infinity']) assert.throws(() => r.convert!(v), ValueConversionError);
  });

  test('boolean becomes tinyint(1) with t/f as 1/0, bit(n) becomes BIT bytes', () => {
    const b = rule({ kind: 'bool' });
    assert.deepEqual([b.native, b.convert!('t'), b.convert!('f')], ['tinyint(1)', '1', '0']);
    const bit = rule({ kind: 'bit', length: 12, varying: false });
    assert.equal(bit.native, 'bit(12)');
    assert.deepEqual(bit.convert!('100000000001'), Buffer.from([0x08, 0x01]));
    assert.equal(rule({ kind: 'bit', length: 0, varying: true }).warning?.code, 'BIT_AS_TEXT');
  });

  test('text types: unbounded varchar/text become longtext, key columns varchar(768) with a length check', () => {
    assert.equal(rule({ kind: 'char', varying: true }).native, 'longtext');
    assert.equal(rule({ kind: 'text' }).native, 'longtext');
    assert.equal(rule({ kind: 'char', length: 20000, varying: true }).native, 'longtext');
    const key = rule({ kind: 'text' }, true, true);
    assert.deepEqual([key.native, key.warning?.code], ['varchar(768)', 'TEXT_KEY_LIMITED']);
    assert.throws(() => key.convert!('é'.repeat(769)), ValueConversionError);
    assert.equal(rule({ kind: 'char', length: 5, varying: false }).warning?.code, 'CHAR_PADDING');
  });

  test('timestamptz becomes UTC datetime(6); out-of-range, BC and infinity fail', () => {
    const r = rule({ kind: 'timestamp', tz: true });
    assert.deepEqual([r.native, r.warning?.code], ['datetime(6)', 'TIMESTAMPTZ_AS_UTC']);
    assert.equal(r.convert!('2024-01-01 01:30:00.5+05:30'), '2023-12-31 20:00:00.5');
    assert.equal(r.convert!('2024-01-01 00:00:00+00'), '2024-01-01 00:00:00');
    assert.throws(() => r.convert!('infinity'), ValueConversionError);
    assert.throws(() => r.convert!('0044-03-15 00:00:00+00 BC'), ValueConversionError);
    const d = rule({ kind: 'date' });
    assert.throws(() => d.convert!('10000-01-01'), /after 9999-12-31/);
    assert.equal(d.convert!('0001-01-01'), '0001-01-01');
  });

  test('machine text types keep their exact text in ascii columns', () => {
    assert.deepEqual([rule({ kind: 'uuid' }).native, rule({ kind: 'uuid' }).charset], ['char(36)', 'ascii']);
    assert.equal(rule({ kind: 'inet' }).native, 'varchar(43)');
    assert.equal(rule({ kind: 'macaddr', bytes: 8 }).native, 'char(23)');
    assert.deepEqual([rule({ kind: 'interval' }).native, rule({ kind: 'interval' }).warning?.code], ['varchar(100)', 'INTERVAL_AS_TEXT']);
    assert.equal(rule({ kind: 'time', tz: true }).warning?.code, 'TIMETZ_AS_TEXT');
  });

  test('money drops the currency formatting', () => {
    const m = rule({ kind: 'money' });
    assert.equal(m.native, 'decimal(19,2)');
    assert.equal(m.convert!('$1,234,567.89'), '1234567.89');
    assert.equal(m.convert!('-$92,233,720,368,547,758.08'), '-92233720368547758.08');
    assert.equal(m.convert!('($5.00)'), '-5.00');
    assert.equal(m.convert!('1.234,56 €'), '1234.56');
  });

  test('arrays become JSON arrays with NULL elements, quotes, nesting and lower bounds handled', () => {
    const ints = rule({ kind: 'array', element: { kind: 'int', bytes: 4, unsigned: false }, dims: 2 });
    assert.deepEqual([ints.native, ints.warning?.code], ['json', 'ARRAY_AS_JSON']);
    assert.equal(ints.convert!('{{1,NULL},{3,-4}}'), '[[1,null],[3,-4]]');
    assert.equal(ints.convert!('[0:1]={7,8}'), '[7,8]');
    const texts = rule({ kind: 'array', element: { kind: 'text' }, dims: 1 });
    assert.equal(texts.convert!('{"a,b","q\\"t","NULL",NULL,plain}'), '["a,b","q\\"t","NULL",null,"plain"]');
    const floats = rule({ kind: 'array', element: { kind: 'float', bytes: 8 }, dims: 1 });
    assert.equal(floats.convert!('{1.5,NaN,-Infinity}'), '[1.5,"NaN","-Infinity"]');
    const bools = rule({ kind: 'array', element: { kind: 'bool' }, dims: 1 });
    assert.equal(bools.convert!('{t,f}'), '[true,false]');
  });

  test('enums are inlined with binary collation; domains map through their base type', () => {
    const e = rule({ kind: 'enum', values: ["it's", 'a,b', 'A'], type: { schema: 'public', name: 'mood' } });
    assert.deepEqual([e.native, e.collation, e.warning?.code], ["enum('it''s','a,b','A')", 'utf8mb4_bin', 'ENUM_INLINED']);
    const d = rule({ kind: 'domain', type: { schema: 'public', name: 'posint' }, base: { kind: 'int', bytes: 4, unsigned: false } });
    assert.deepEqual([d.native, d.warning?.code], ['int', 'DOMAIN_INLINED']);
  });

  test('types without a MySQL equivalent become text with a Warning', () => {
    assert.equal(rule({ kind: 'tsvector' }).warning?.code, 'TSVECTOR_AS_TEXT');
    assert.equal(rule({ kind: 'other', native: 'tstzrange' }).warning?.code, 'TYPE_AS_TEXT');
    assert.equal(rule({ kind: 'xml' }).native, 'longtext');
  });
});

describe('PostgreSQL SQL -> MySQL SQL', () => {
  test('translates casts, || concatenation, quoted identifiers and schema-qualified relations', () => {
    const r = translatePgSql(`SELECT cu.customer_id AS id, (((cu.first_name)::text || ' '::text) || (cu.last_name)::text) AS name, a."Zip Code" FROM (public.customer cu JOIN sales.address a ON ((cu.address_id = a.address_id)))`, env);
    assert.deepEqual(r, { ok: true, sql: "SELECT `cu`.`customer_id` AS `id`, (CONCAT((CONCAT((`cu`.`first_name`), ' ')), (`cu`.`last_name`))) AS `name`, `a`.`Zip Code` FROM (`shop`.`customer` `cu` JOIN `sales`.`address` `a` ON ((`cu`.`address_id` = `a`.`address_id`)))" });
  });

  test('translates string_agg, ILIKE, date_part, numeric casts and E strings', () => {
    assert.deepEqual(translatePgSql(`string_agg(f.title, ', ' ORDER BY f.title)`, env), { ok: true, sql: "GROUP_CONCAT(`f`.`title` ORDER BY `f`.`title` SEPARATOR ', ')" });
    assert.deepEqual(translatePgSql(`name ILIKE 'a%'`, env), { ok: true, sql: "LOWER(`name`) LIKE LOWER('a%')" });
    assert.deepEqual(translatePgSql(`date_part('year', d)`, env), { ok: true, sql: '(EXTRACT(YEAR FROM (`d`) ))' });
    assert.deepEqual(translatePgSql(`(amount)::numeric(10,2) > 0`, env), { ok: true, sql: 'CAST((`amount`) AS DECIMAL(10,2)) > 0' });
    assert.deepEqual(translatePgSql(`x = E'it\\'s\\n'`, env), { ok: true, sql: "`x` = 'it''s\n'" });
    assert.deepEqual(translatePgSql('VALUE > 0', { ...env, valueColumn: 'qty' }), { ok: true, sql: '`qty` > 0' });
  });

  test('refuses what it cannot translate faithfully, with the reason', () => {
    assert.deepEqual(translatePgSql(`rating = ANY (ARRAY['G'::mpaa_rating])`, env), { ok: false, reason: 'the PostgreSQL construct ANY' });
    assert.deepEqual(translatePgSql('public.group_concat(x)', env), { ok: false, reason: 'the user-defined function public.group_concat()' });
    assert.equal(translatePgSql("'{}'::jsonb", env).ok, false);
    assert.equal(translatePgSql("name ~ '^a'", env).ok, false);
  });
});
