// Pre-checks derived from the converted schema alone: warnings per object, identifier collisions and
// unique keys landing in looser collations; plus the small helpers the runner and the CLI use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Column, Schema, Table } from '../../src/engine/model';
import type { ConvertedSchema, TableMapping } from '../../src/engine/convert/types';
import { collationRisks, identifierChecks, isLooseCollation, typeChecks } from '../../src/engine/precheck-conversion';
import { checksToJson, failingChecks, normaliseZone } from '../../src/engine/precheck';
import { replicationName } from '../../src/engine/postgres/snapshot';

const text = (name: string, collation?: string): Column => ({ name, type: { kind: 'char', length: 20, varying: true }, native: 'varchar(20)', nullable: false, collation });
const int = (name: string): Column => ({ name, type: { kind: 'int', bytes: 4, unsigned: false }, native: 'int', nullable: false });

function table(schema: string, name: string, columns: Column[], extra: Partial<Table> = {}): Table {
  return { schema, name, columns, primaryKey: ['id'], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0, ...extra };
}

function schema(engine: 'mysql' | 'postgres', tables: Table[]): Schema {
  return { engine, serverVersion: '', database: 'db', namespaces: [], tables, views: [], sequences: [], types: [], routines: [], triggers: [], settings: {} };
}

function converted(mappings: TableMapping[], warnings: ConvertedSchema['warnings'] = []): ConvertedSchema {
  return { target: schema('mysql', mappings.map((m) => m.target)), tables: mappings, warnings, manual: [] };
}

function mapping(src: Table, tgt: Table): TableMapping {
  return { source: src, target: tgt, columns: src.columns.map((c, i) => ({ source: c, target: tgt.columns[i] })), key: src.primaryKey };
}

test('conversion warnings become one check per object, warn when lossy, pass when informational', () => {
  const c = converted([], [
    { code: 'UNSIGNED_BIGINT_WIDENED', object: 'table:s.t.big', level: 'warn', message: 'bigint unsigned becomes numeric(20)', fix: 'none needed' },
    { code: 'ZERO_DATE', object: 'table:s.t.big', level: 'warn', message: 'zero dates become NULL' },
    { code: 'TINYINT1_BOOLEAN', object: 'table:s.u.flag', level: 'info', message: 'tinyint(1) becomes boolean' },
    { code: 'IDENTIFIER_SHORTENED', object: 'table:s.v', level: 'warn', message: 'name shortened' },
  ]);
  const r = typeChecks(c);
  assert.deepEqual(r.map((x) => [x.id, x.level, x.object]), [
    ['conversion.table:s.t.big', 'warn', 'table:s.t.big'],
    ['conversion.table:s.u.flag', 'pass', 'table:s.u.flag'],
  ]);
  assert.match(r[0].message, /numeric\(20\) \[UNSIGNED_BIGINT_WIDENED\]; zero dates become NULL \[ZERO_DATE\]/);
});

test('MySQL targets: columns equal but for case collide; tables too when lower_case_table_names is on', () => {
  const src = table('public', 'People', [int('id'), text('Name'), text('name')]);
  const tgt = table('db', 'People', [int('id'), text('Name'), text('name')]);
  const other = table('db', 'people', [int('id')]);
  const c = converted([mapping(src, tgt), mapping(table('public', 'people', [int('id')]), other)]);
  const strictNames = identifierChecks(c, 'mysql', false);
  assert.deepEqual(strictNames.map((x) => [x.id, x.level, x.object]), [['identifiers.collision', 'fail', 'table:db.People.name']]);
  const ciNames = identifierChecks(c, 'mysql', true);
  assert.deepEqual(ciNames.map((x) => x.object).sort(), ['table:db.People.name', 'table:db.people']);
  // PostgreSQL compares quoted names exactly.
  assert.deepEqual(identifierChecks(c, 'postgres', false).map((x) => [x.id, x.level]), [['identifiers', 'pass']]);
});

test('names over the target limit fail, renames made by conversion warn', () => {
  const long = 'x'.repeat(64);
  const c = converted([mapping(table('s', 'a', [int('id')]), table('public', long, [int('id')]))],
    [{ code: 'IDENTIFIER_RENAMED', object: 'table:s.Ab', level: 'warn', message: 'Ab and ab both exist: ab is renamed ab_2' }]);
  const r = identifierChecks(c, 'postgres', false);
  assert.deepEqual(r.map((x) => [x.id, x.level]), [['identifiers.length', 'fail'], ['identifiers.renamed', 'warn']]);
  // 64 characters are allowed on MySQL; multi-byte names count bytes on PostgreSQL.
  assert.deepEqual(identifierChecks(converted([mapping(table('s', 'a', [int('id')]), table('d', long, [int('id')]))]), 'mysql', false).map((x) => x.level), ['pass']);
  const uni = 'ü'.repeat(32);
  assert.equal(identifierChecks(converted([mapping(table('s', 'a', [int('id')]), table('d', uni, [int('id')]))]), 'postgres', false)[0].id, 'identifiers.length');
});

test('unique text keys landing in a case-insensitive MySQL collation are risks; binary collations and same-collation MySQL copies are not', () => {
  const src = table('public', 'tag', [int('id'), text('label'), text('code')], {
    indexes: [
      { name: 'uq_label', unique: true, primary: false, method: 'btree', parts: [{ column: 'label' }] },
      { name: 'uq_code', unique: true, primary: false, method: 'btree', parts: [{ column: 'code' }] },
      { name: 'ix_label', unique: false, primary: false, method: 'btree', parts: [{ column: 'label' }] },
    ],
  });
  const tgt = table('db', 'tag', [int('id'), text('label'), text('code', 'utf8mb4_bin')]);
  const c = converted([mapping(src, tgt)]);
  const risks = collationRisks(c, 'postgres', 'mysql', () => 'utf8mb4_general_ci');
  assert.deepEqual(risks.map((r) => [r.index.name, r.sourceColumns, r.collation]), [['uq_label', ['label'], 'utf8mb4_general_ci']]);
  assert.deepEqual(collationRisks(c, 'postgres', 'postgres', () => undefined), []);
  const mySrc = table('shop', 'tag', [int('id'), text('label', 'utf8mb4_general_ci'), text('code')], { indexes: src.indexes });
  assert.deepEqual(collationRisks(converted([mapping(mySrc, table('db', 'tag', [int('id'), text('label', 'utf8mb4_general_ci'), text('code', 'utf8mb4_bin')]))]), 'mysql', 'mysql', () => 'utf8mb4_general_ci'), []);
  assert.equal(isLooseCollation('utf8mb4_unicode_ci'), true);
  assert.equal(isLooseCollation('utf8mb4_0900_as_cs'), false);
});

test('failing checks are exactly the fail results, and the JSON form says whether the run may start', () => {
  const results = [
    { id: 'a', level: 'pass' as const, title: 'A', message: 'ok' },
    { id: 'b', level: 'fail' as const, title: 'B', message: 'bad', fix: 'SET x' },
    { id: 'c', level: 'warn' as const, title: 'C', message: 'hmm', fix: 'maybe' },
  ];
  assert.deepEqual(failingChecks(results).map((r) => r.id), ['b']);
  assert.deepEqual(JSON.parse(checksToJson(results)), { ok: false, results });
  assert.equal(JSON.parse(checksToJson(results.filter((r) => r.level !== 'fail'))).ok, true);
});

test('UTC aliases are one zone; replication names are lower-case, safe and at most 63 characters', () => {
  assert.deepEqual(['UTC', 'Etc/UTC', '+00:00', 'GMT', 'Etc/GMT+0', 'Zulu'].map(normaliseZone), Array(6).fill('UTC'));
  assert.equal(normaliseZone('Europe/Berlin'), 'Europe/Berlin');
  const t = (name: string, target = 'postgres://u@h:5432/dst') => ({ name, source: 'postgres://u@h:5432/src', target });
  assert.match(replicationName(t('Sakila-to-PG.v2')), /^ferry_sakila_to_pg_v2_[0-9a-f]{8}$/);
  assert.ok(replicationName(t('a'.repeat(63))).length <= 63);
  // Slot names are cluster-wide: the same task name towards another target is another slot.
  assert.notEqual(replicationName(t('x')), replicationName(t('x', 'postgres://u@h:5432/other')));
  assert.equal(replicationName(t('x')), replicationName(t('x')));
});
