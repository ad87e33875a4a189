// postgresDdl: statements, quoting, phases, ids and dependency order for a hand-built schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema, Table } from '../../src/engine/model';
import { postgresDdl } from '../../src/engine/postgres/ddl';
import type { DdlObject } from '../../src/engine/convert/types';

function table(name: string, extra: Partial<Table> = {}): Table {
  return { schema: 'app', name, columns: [], primaryKey: [], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0, ...extra };
}

function schema(extra: Partial<Schema>): Schema {
  return { engine: 'postgres', serverVersion: '15', database: 'd', namespaces: ['app'], tables: [], views: [], sequences: [], types: [], routines: [], triggers: [], settings: {}, ...extra };
}

const byId = (objects: DdlObject[], id: string, phase?: string): DdlObject => {
  const o = objects.find((x) => x.id === id && (phase === undefined || x.phase === phase));
  assert.ok(o, `${id} rendered`);
  return o;
};

test('every identifier is quoted: embedded quotes, Unicode, reserved words and upper case survive', () => {
  const s = schema({
    namespaces: ['My "Schema"'],
    tables: [table('order', {
      schema: 'My "Schema"',
      columns: [{ name: 'Ünïcode "col"', type: { kind: 'text' }, native: 'text', nullable: false, default: { kind: 'literal', sql: "'it''s'" }, comment: "it's" }],
      primaryKey: ['Ünïcode "col"'], primaryKeyName: 'order pk', comment: 'the "order" table',
    })],
  });
  const objects = postgresDdl.renderSchema(s);
  assert.deepEqual(byId(objects, 'schema:My "Schema"').statements, ['CREATE SCHEMA IF NOT EXISTS "My ""Schema"""']);
  assert.deepEqual(byId(objects, 'table:My "Schema".order').statements, [
    'CREATE TABLE "My ""Schema"""."order" (\n  "Ünïcode ""col""" text DEFAULT \'it\'\'s\' NOT NULL,\n  CONSTRAINT "order pk" PRIMARY KEY ("Ünïcode ""col""")\n)',
    'COMMENT ON TABLE "My ""Schema"""."order" IS \'the "order" table\'',
    'COMMENT ON COLUMN "My ""Schema"""."order"."Ünïcode ""col""" IS \'it\'\'s\'',
  ]);
});

test('identity, generated and serial columns; identity restarts and sequence positions in finalize', () => {
  const s = schema({
    sequences: [
      { schema: 'app', name: 'free', dataType: 'integer', start: '100', increment: '-1', min: '1', max: '100', cycle: false, next: '0' },
      { schema: 'app', name: 't_s_seq', dataType: 'bigint', start: '1', increment: '1', min: '1', max: '9223372036854775807', cycle: false, next: '18', ownedBy: { table: { schema: 'app', name: 't' }, column: 's' } },
    ],
    tables: [table('t', { columns: [
      { name: 'id', type: { kind: 'int', bytes: 8, unsigned: false }, native: 'bigint', nullable: false, identity: { kind: 'always', next: '9223372036854775800', increment: '5' } },
      { name: 's', type: { kind: 'int', bytes: 8, unsigned: false }, native: 'bigint', nullable: false, identity: { kind: 'serial', next: '18', sequence: { schema: 'app', name: 't_s_seq' } }, default: { kind: 'expression', sql: "nextval('app.t_s_seq'::regclass)" } },
      { name: 'g', type: { kind: 'int', bytes: 8, unsigned: false }, native: 'bigint', nullable: true, generated: { expression: 'id * 2', stored: true } },
      { name: 'ts', type: { kind: 'timestamp', tz: true, precision: 3 }, native: 'timestamp(3) with time zone', nullable: true, default: { kind: 'current_timestamp', precision: 3 } },
    ] })],
  });
  const objects = postgresDdl.renderSchema(s);
  const create = byId(objects, 'table:app.t', 'pre-data');
  assert.equal(create.statements[0], 'CREATE TABLE "app"."t" (\n'
    + '  "id" bigint GENERATED ALWAYS AS IDENTITY (START WITH 9223372036854775800 INCREMENT BY 5) NOT NULL,\n'
    + '  "s" bigint DEFAULT nextval(\'app.t_s_seq\'::regclass) NOT NULL,\n'
    + '  "g" bigint GENERATED ALWAYS AS (id * 2) STORED,\n'
    + '  "ts" timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP(3)\n)');
  assert.equal(create.statements[1], 'ALTER SEQUENCE "app"."t_s_seq" OWNED BY "app"."t"."s"');
  assert.ok(create.dependsOn.includes('sequence:app.t_s_seq'));
  assert.deepEqual(byId(objects, 'table:app.t', 'finalize').statements, ['ALTER TABLE "app"."t" ALTER COLUMN "id" RESTART WITH 9223372036854775800']);
  assert.deepEqual(byId(objects, 'sequence:app.t_s_seq', 'finalize').statements, ["SELECT pg_catalog.setval('\"app\".\"t_s_seq\"', 18, false)"]);
  // next below MINVALUE (an exhausted descending sequence) stays exhausted instead of failing
  assert.deepEqual(byId(objects, 'sequence:app.free', 'finalize').statements, ["SELECT pg_catalog.setval('\"app\".\"free\"', 1, true)"]);
  assert.deepEqual(byId(objects, 'sequence:app.free', 'pre-data').statements, ['CREATE SEQUENCE "app"."free" AS integer INCREMENT BY -1 MINVALUE 1 MAXVALUE 100 START WITH 100 NO CYCLE']);
});

test('enum and domain types come before the tables that use them, with literals escaped', () => {
  const s = schema({
    types: [
      { kind: 'domain', schema: 'app', name: 'pos', base: { kind: 'decimal', precision: 10, scale: 2 }, baseNative: 'numeric(10,2)', nullable: false, default: { kind: 'literal', sql: '1' }, checks: [{ name: 'pos_check', expression: 'VALUE > 0' }] },
      { kind: 'enum', schema: 'app', name: 'mood', values: ["it's", 'a,b'] },
    ],
    tables: [table('t', { columns: [
      { name: 'm', type: { kind: 'enum', values: ["it's", 'a,b'], type: { schema: 'app', name: 'mood' } }, native: 'app.mood', nullable: true },
      { name: 'p', type: { kind: 'domain', type: { schema: 'app', name: 'pos' }, base: { kind: 'decimal' } }, native: 'app.pos', nullable: true },
    ] })],
  });
  const objects = postgresDdl.renderSchema(s);
  const ids = objects.map((o) => o.id);
  assert.ok(ids.indexOf('type:app.mood') < ids.indexOf('type:app.pos'));
  assert.ok(ids.indexOf('type:app.pos') < ids.indexOf('table:app.t'));
  assert.deepEqual(byId(objects, 'type:app.mood').statements, ["CREATE TYPE \"app\".\"mood\" AS ENUM ('it''s', 'a,b')"]);
  assert.deepEqual(byId(objects, 'type:app.pos').statements, ['CREATE DOMAIN "app"."pos" AS numeric(10,2) DEFAULT 1 NOT NULL CONSTRAINT "pos_check" CHECK (VALUE > 0)']);
  assert.deepEqual(byId(objects, 'table:app.t').dependsOn.sort(), ['schema:app', 'type:app.mood', 'type:app.pos']);
});

test('partitioned tables: parent first, partitions as PARTITION OF with their bounds, sub-partitioning kept', () => {
  const parent = table('events', {
    columns: [{ name: 'region', type: { kind: 'text' }, native: 'text', nullable: true }, { name: 'at', type: { kind: 'date' }, native: 'date', nullable: true }],
    partitioning: { method: 'list', key: 'region', columns: ['region'], partitions: [
      { name: 'events_eu', bound: "FOR VALUES IN ('eu')", table: { schema: 'app', name: 'events_eu' } },
      { name: 'events_rest', bound: 'DEFAULT', table: { schema: 'app', name: 'events_rest' } },
    ] },
  });
  const eu = table('events_eu', { partitionOf: { schema: 'app', name: 'events' }, partitioning: { method: 'range', key: 'at', columns: ['at'], partitions: [] } });
  const rest = table('events_rest', { partitionOf: { schema: 'app', name: 'events' }, primaryKey: ['region'] });
  const objects = postgresDdl.renderSchema(schema({ tables: [rest, eu, parent] }));
  const order = objects.filter((o) => o.kind === 'table').map((o) => o.id);
  assert.ok(order.indexOf('table:app.events') < order.indexOf('table:app.events_rest'));
  assert.equal(byId(objects, 'table:app.events').statements[0].endsWith(') PARTITION BY LIST (region)'), true);
  assert.deepEqual(byId(objects, 'table:app.events_eu').statements, ["CREATE TABLE \"app\".\"events_eu\" PARTITION OF \"app\".\"events\" FOR VALUES IN ('eu') PARTITION BY RANGE (at)"]);
  assert.deepEqual(byId(objects, 'table:app.events_rest').statements, ['CREATE TABLE "app"."events_rest" PARTITION OF "app"."events" (PRIMARY KEY ("region")) DEFAULT']);
});

test('indexes, checks and foreign keys are post-data with every option rendered', () => {
  const parent = table('p', { columns: [{ name: 'a', type: { kind: 'int', bytes: 4, unsigned: false }, native: 'integer', nullable: false }], primaryKey: ['a'],
    indexes: [{ name: 'p_u', unique: true, primary: false, method: 'btree', parts: [{ column: 'a' }] }] });
  const child = table('c', {
    columns: [{ name: 'a', type: { kind: 'int', bytes: 4, unsigned: false }, native: 'integer', nullable: true }, { name: 'e', type: { kind: 'text' }, native: 'text', nullable: true }],
    indexes: [
      { name: 'c e', unique: true, primary: false, method: 'btree', parts: [{ expression: 'lower(e)', descending: true, nulls: 'last' }, { column: 'a', opclass: 'int4_ops' }], include: ['e'], where: 'e IS NOT NULL' },
      { name: 'c_gin', unique: false, primary: false, method: 'gin', parts: [{ expression: "to_tsvector('simple'::regconfig, e)" }] },
    ],
    checks: [{ name: 'c_chk', expression: 'a > 0' }],
    foreignKeys: [{ name: 'c_fk', columns: ['a'], references: { schema: 'app', name: 'p' }, referencedColumns: ['a'], onUpdate: 'CASCADE', onDelete: 'SET NULL', match: 'FULL', deferrable: true, initiallyDeferred: true }],
  });
  const objects = postgresDdl.renderSchema(schema({ tables: [child, parent] }));
  assert.deepEqual(byId(objects, 'index:app.c.c e').statements, ['CREATE UNIQUE INDEX "c e" ON "app"."c" ((lower(e)) DESC NULLS LAST, "a" int4_ops) INCLUDE ("e") WHERE e IS NOT NULL']);
  assert.deepEqual(byId(objects, 'index:app.c.c_gin').statements, ["CREATE INDEX \"c_gin\" ON \"app\".\"c\" USING gin ((to_tsvector('simple'::regconfig, e)))"]);
  assert.deepEqual(byId(objects, 'constraint:app.c.c_chk').statements, ['ALTER TABLE "app"."c" ADD CONSTRAINT "c_chk" CHECK (a > 0)']);
  const fk = byId(objects, 'foreign_key:app.c.c_fk');
  assert.deepEqual(fk.statements, ['ALTER TABLE "app"."c" ADD CONSTRAINT "c_fk" FOREIGN KEY ("a") REFERENCES "app"."p" ("a") MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED']);
  assert.deepEqual(fk.dependsOn, ['table:app.c', 'table:app.p', 'index:app.p.p_u']);
  for (const o of objects.filter((x) => ['index', 'constraint', 'foreign_key'].includes(x.kind))) assert.equal(o.phase, 'post-data');
  const ids = objects.map((o) => o.id);
  assert.ok(ids.indexOf('index:app.p.p_u') < ids.indexOf('foreign_key:app.c.c_fk'), 'unique indexes before the foreign keys that need them');
});

test('views come after the views they read, materialized views WITH DATA, check options kept', () => {
  const base = table('t', { columns: [{ name: 'a', type: { kind: 'int', bytes: 4, unsigned: false }, native: 'integer', nullable: true }] });
  const objects = postgresDdl.renderSchema(schema({
    tables: [base],
    views: [
      { schema: 'app', name: 'v2', query: 'SELECT a FROM app."v 1"', columns: ['a'], materialized: true },
      { schema: 'app', name: 'v 1', query: 'SELECT a FROM app.t WHERE a > 0;', columns: ['a'], materialized: false, checkOption: 'cascaded' },
    ],
  }));
  const ids = objects.map((o) => o.id);
  assert.ok(ids.indexOf('view:app.v 1') < ids.indexOf('view:app.v2'));
  assert.deepEqual(byId(objects, 'view:app.v 1').statements, ['CREATE VIEW "app"."v 1" ("a") AS\nSELECT a FROM app.t WHERE a > 0\nWITH CASCADED CHECK OPTION']);
  assert.deepEqual(byId(objects, 'view:app.v2').statements, ['CREATE MATERIALIZED VIEW "app"."v2" ("a") AS\nSELECT a FROM app."v 1"\nWITH DATA']);
  assert.ok(byId(objects, 'view:app.v2').dependsOn.includes('view:app.v 1'));
  assert.ok(byId(objects, 'view:app.v 1').dependsOn.includes('table:app.t'));
});

test('phases come in order: all pre-data objects, then post-data, then finalize', () => {
  const objects = postgresDdl.renderSchema(schema({
    tables: [table('t', { columns: [{ name: 'id', type: { kind: 'int', bytes: 4, unsigned: false }, native: 'integer', nullable: false, identity: { kind: 'by_default', next: '7' } }],
      indexes: [{ name: 'i', unique: false, primary: false, method: 'btree', parts: [{ column: 'id' }] }] })],
  }));
  const phases = objects.map((o) => o.phase);
  assert.deepEqual(phases, ['pre-data', 'pre-data', 'post-data', 'finalize']);
});
