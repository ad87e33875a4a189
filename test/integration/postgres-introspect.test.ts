// PostgreSQL introspection against Pagila and an edge-case schema, and the PG->PG schema round trip through
// postgresDdl: what is rendered applies with zero errors and reads back identical.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgDb, dropPgDb, loadPagila, pgAdmin, psql } from '../helpers/db';
import { introspectPostgres } from '../../src/engine/postgres/introspect';
import { postgresDdl } from '../../src/engine/postgres/ddl';
import { convertSchema } from '../../src/engine/convert/index';
import type { Schema, Table } from '../../src/engine/model';

const dbs: string[] = [];
after(async () => { for (const d of dbs) await dropPgDb(d); });

async function loadPagila15(): Promise<string> {
  const name = await loadPagila('pagila_in');
  dbs.push(name);
  return name;
}

async function introspect(db: string): Promise<Schema> {
  const c = await pgAdmin(db);
  try { return await introspectPostgres(c); } finally { await c.end(); }
}

/** Applies every rendered object phase by phase; returns the failures. */
async function apply(db: string, schema: Schema): Promise<string[]> {
  const c = await pgAdmin(db);
  const errors: string[] = [];
  try {
    const objects = postgresDdl.renderSchema(schema);
    for (const phase of ['pre-data', 'post-data', 'finalize']) {
      for (const o of objects.filter((x) => x.phase === phase)) {
        for (const st of o.statements) {
          try { await c.query(st); } catch (err) { errors.push(`${o.id}: ${(err as Error).message}`); }
        }
      }
    }
  } finally { await c.end(); }
  return errors;
}

/** The schema without what legitimately differs between two databases (name, size estimates). */
function comparable(s: Schema): unknown {
  return JSON.parse(JSON.stringify(s, (k, v) => (k === 'estimatedRows' || k === 'estimatedBytes' || k === 'database' ? undefined : v)));
}

const table = (s: Schema, schema: string, name: string): Table => {
  const t = s.tables.find((x) => x.schema === schema && x.name === name);
  assert.ok(t, `${schema}.${name} exists`);
  return t;
};

describe('Pagila', () => {
  let db = '';
  let schema: Schema;
  before(async () => {
    db = await loadPagila15();
    schema = await introspect(db);
  });

  test('reads every user schema: public and legacy (which holds only a view)', () => {
    assert.deepEqual(schema.namespaces, ['legacy', 'public']);
    assert.ok(schema.views.some((v) => v.schema === 'legacy' && v.name === 'rental' && /FROM public\.rental/.test(v.query)));
  });

  test('payment is range-partitioned on payment_date, each partition recorded with its bound', () => {
    const payment = table(schema, 'public', 'payment');
    assert.equal(payment.partitioning?.method, 'range');
    assert.equal(payment.partitioning?.key, 'payment_date');
    assert.deepEqual(payment.partitioning?.columns, ['payment_date']);
    const parts = payment.partitioning?.partitions ?? [];
    assert.equal(parts.length, 8);
    assert.deepEqual(parts.find((p) => p.name === 'payment_p2007_01')?.bound, "FOR VALUES FROM ('2007-01-01 00:00:00') TO ('2007-02-01 00:00:00')");
    assert.equal(parts.find((p) => p.name === 'payment_p0000_default')?.bound, 'DEFAULT');
    assert.deepEqual(table(schema, 'public', 'payment_p2007_03').partitionOf, { schema: 'public', name: 'payment' });
    assert.deepEqual(table(schema, 'public', 'payment_p2007_03').primaryKey, ['payment_id']);
  });

  test('film.fulltext is tsvector with a gist index; release_year uses the year domain; rating the mpaa_rating enum', () => {
    const film = table(schema, 'public', 'film');
    const col = (n: string) => film.columns.find((c) => c.name === n);
    assert.deepEqual(col('fulltext')?.type, { kind: 'tsvector' });
    const idx = film.indexes.find((i) => i.name === 'film_fulltext_idx');
    assert.equal(idx?.method, 'gist');
    assert.deepEqual(idx?.parts, [{ column: 'fulltext' }]);
    assert.equal(col('release_year')?.native, 'public.year');
    assert.deepEqual(col('release_year')?.type, { kind: 'domain', type: { schema: 'public', name: 'year' }, base: { kind: 'int', bytes: 4, unsigned: false } });
    assert.deepEqual(col('rating')?.type, { kind: 'enum', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'], type: { schema: 'public', name: 'mpaa_rating' } });
    assert.deepEqual(col('rating')?.default, { kind: 'literal', sql: "'G'::public.mpaa_rating" });
    assert.equal(col('special_features')?.native, 'text[]');
    assert.deepEqual(col('revenue_projection')?.generated, { expression: '((rental_duration)::numeric * rental_rate)', stored: true });
    assert.deepEqual(col('film_id')?.identity, { kind: 'serial', next: '1001', sequence: { schema: 'public', name: 'film_film_id_seq' }, increment: '1' });
  });

  test('types: the mpaa_rating enum and the year domain with its CHECK', () => {
    assert.deepEqual(schema.types.find((t) => t.name === 'mpaa_rating'), { kind: 'enum', schema: 'public', name: 'mpaa_rating', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'] });
    const year = schema.types.find((t) => t.name === 'year');
    assert.equal(year?.kind, 'domain');
    if (year?.kind === 'domain') {
      assert.equal(year.baseNative, 'integer');
      assert.deepEqual(year.checks, [{ name: 'year_check', expression: 'VALUE >= 1901 AND VALUE <= 2155' }]);
    }
  });

  test('customer has its foreign keys with actions; store has its unique index', () => {
    const customer = table(schema, 'public', 'customer');
    assert.deepEqual(customer.foreignKeys.map((f) => [f.name, f.columns, f.references.name, f.referencedColumns, f.onUpdate, f.onDelete]), [
      ['customer_address_id_fkey', ['address_id'], 'address', ['address_id'], 'CASCADE', 'RESTRICT'],
      ['customer_store_id_fkey', ['store_id'], 'store', ['store_id'], 'CASCADE', 'RESTRICT'],
    ]);
    assert.deepEqual(customer.primaryKey, ['customer_id']);
    const store = table(schema, 'public', 'store');
    assert.deepEqual(store.indexes.find((i) => i.name === 'idx_unq_manager_staff_id')?.unique, true);
  });

  test('sequences carry their next value; views, the materialized view, routines, the aggregate and triggers are read', () => {
    assert.equal(schema.sequences.find((s) => s.name === 'actor_actor_id_seq')?.next, '201');
    assert.equal(schema.sequences.find((s) => s.name === 'payment_payment_id_seq')?.next, '32099');
    assert.equal(schema.views.find((v) => v.name === 'nicer_but_slower_film_list')?.materialized, true);
    for (const v of ['actor_info', 'customer_list', 'film_list', 'sales_by_store', 'staff_list']) assert.ok(schema.views.some((x) => x.name === v), v);
    assert.equal(schema.routines.find((r) => r.name === 'group_concat')?.kind, 'aggregate');
    assert.match(schema.routines.find((r) => r.name === 'group_concat')?.definition ?? '', /SFUNC = public\._group_concat/);
    assert.equal(schema.routines.find((r) => r.name === 'rewards_report')?.kind, 'procedure');
    assert.match(schema.routines.find((r) => r.name === 'film_in_stock')?.definition ?? '', /^CREATE OR REPLACE FUNCTION public\.film_in_stock/);
    const trig = schema.triggers.find((t) => t.name === 'film_fulltext_trigger');
    assert.deepEqual([trig?.table.name, trig?.timing, trig?.events], ['film', 'BEFORE', ['INSERT', 'UPDATE']]);
    assert.equal(schema.triggers.filter((t) => t.name === 'last_updated').length, 14);
    const rule = schema.triggers.find((t) => t.name === 'payment_pk_update');
    assert.deepEqual([rule?.table.name, rule?.timing, rule?.events], ['payment', 'RULE', ['UPDATE']]);
    assert.match(rule?.definition ?? '', /^CREATE RULE payment_pk_update AS\s+ON UPDATE TO public\.payment/);
  });

  test('rendered with postgresDdl and applied to a fresh database, Pagila reads back identical (PG->PG round trip)', async () => {
    const copy = await createPgDb('pagila_rt');
    dbs.push(copy);
    const conversion = convertSchema(schema, 'postgres', { lossless: true, identifierCase: 'lower', targetDatabase: copy });
    assert.deepEqual(await apply(copy, conversion.target), []);
    assert.deepEqual(comparable(await introspect(copy)), comparable(schema));
    assert.equal(psql(copy, "SELECT nextval('public.actor_actor_id_seq')").trim(), '201');
  });
});

describe('edge cases', () => {
  let db = '';
  let schema: Schema;
  before(async () => {
    db = await createPgDb('pg_edge');
    dbs.push(db);
    psql(db, `
      CREATE SCHEMA "Sales";
      CREATE TYPE "Sales"."Mood" AS ENUM ('it''s ok', 'a,b', 'ü');
      CREATE DOMAIN public.pos AS numeric(10,2) DEFAULT 1 NOT NULL CHECK (VALUE > 0);
      CREATE TYPE public.pair AS (a integer, "B" text);
      CREATE TABLE "Sales"."Users" (id int GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 5) PRIMARY KEY, "Name" text COLLATE "C", mood "Sales"."Mood"[]);
      CREATE TABLE "Sales".users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email varchar, tags text[][], p public.pair, amount public.pos,
        t timetz(3), iv interval day to second(2), n numeric, m money, "order" int, b bit varying, CONSTRAINT "amount ok" CHECK (amount < 1000000));
      COMMENT ON TABLE "Sales".users IS 'it''s the users';
      COMMENT ON COLUMN "Sales".users.email IS 'mail ü';
      INSERT INTO "Sales"."Users" ("Name") VALUES ('x'), ('y');
      INSERT INTO "Sales".users (email) VALUES ('a'), ('b'), ('c');
      CREATE UNIQUE INDEX "users email lower" ON "Sales".users (lower(email)) INCLUDE ("order") WHERE email IS NOT NULL;
      CREATE INDEX users_email_desc ON "Sales".users (email DESC NULLS LAST, id);
      CREATE INDEX users_email_pattern ON "Sales".users (email varchar_pattern_ops);
      CREATE INDEX users_tags ON "Sales".users USING gin (tags);
      CREATE TABLE public.parent (a int, b int, PRIMARY KEY (a, b));
      CREATE TABLE public.child (a int, b int, CONSTRAINT child_fk FOREIGN KEY (a, b) REFERENCES public.parent (a, b) MATCH FULL ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);
      CREATE SEQUENCE public.free_seq AS integer START 100 INCREMENT -1 MINVALUE 1 MAXVALUE 100 CYCLE;
      SELECT setval('public.free_seq', 50, false);
      CREATE SEQUENCE public.untouched_seq START 7;
      CREATE TABLE public.events (id int, region text, at date) PARTITION BY LIST (region);
      CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu', 'uk') PARTITION BY RANGE (at);
      CREATE TABLE public.events_eu_2024 PARTITION OF public.events_eu FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE public.events_other PARTITION OF public.events DEFAULT;
      CREATE VIEW "Sales".v AS SELECT id, "Name" FROM "Sales"."Users" WHERE id > 0 WITH CASCADED CHECK OPTION;
      CREATE VIEW "Sales".v2 AS SELECT * FROM "Sales".v;
    `);
    schema = await introspect(db);
  });

  test('identity (ALWAYS, START 10 BY 5) and sequence positions are exact, setval(…, false) included', () => {
    const users = table(schema, 'Sales', 'Users');
    assert.deepEqual(users.columns[0].identity, { kind: 'always', next: '20', sequence: { schema: 'Sales', name: 'Users_id_seq' }, increment: '5' });
    assert.equal(schema.sequences.some((s) => s.name === 'Users_id_seq'), false, 'identity sequences belong to their column');
    const free = schema.sequences.find((s) => s.name === 'free_seq');
    assert.deepEqual(free && [free.dataType, free.start, free.increment, free.min, free.max, free.cycle, free.next], ['integer', '100', '-1', '1', '100', true, '50']);
    assert.equal(schema.sequences.find((s) => s.name === 'untouched_seq')?.next, '7');
  });

  test('case-distinct names, collations, arrays, domains, composites and comments are read exactly', () => {
    const users = table(schema, 'Sales', 'users');
    const col = (n: string) => users.columns.find((c) => c.name === n);
    assert.equal(table(schema, 'Sales', 'Users').columns[1].collation, 'C');
    assert.equal(table(schema, 'Sales', 'Users').columns[2].native, '"Sales"."Mood"[]');
    // PostgreSQL does not record declared dimensions: text[][] is text[]
    assert.deepEqual(col('tags')?.type, { kind: 'array', element: { kind: 'text' }, dims: 1 });
    assert.equal(col('amount')?.native, 'public.pos');
    assert.equal(col('iv')?.native, 'interval day to second(2)');
    assert.deepEqual(col('iv')?.type, { kind: 'interval', fields: 'DAY TO SECOND', precision: 2 });
    assert.deepEqual(col('n')?.type, { kind: 'decimal' });
    assert.deepEqual(col('t')?.type, { kind: 'time', tz: true, precision: 3 });
    assert.equal(users.comment, "it's the users");
    assert.equal(col('email')?.comment, 'mail ü');
    assert.deepEqual(users.checks, [{ name: 'amount ok', expression: 'amount::numeric < 1000000::numeric' }]);
    const pos = schema.types.find((t) => t.name === 'pos');
    assert.ok(pos?.kind === 'domain' && !pos.nullable && pos.default?.kind === 'literal');
    assert.deepEqual(schema.types.find((t) => t.name === 'pair'), { kind: 'composite', schema: 'public', name: 'pair', definition: 'CREATE TYPE "public"."pair" AS (a integer, "B" text)' });
  });

  test('indexes: expression + INCLUDE + partial, DESC, operator class, gin', () => {
    const users = table(schema, 'Sales', 'users');
    const idx = (n: string) => users.indexes.find((i) => i.name === n);
    assert.deepEqual(idx('users email lower'), {
      name: 'users email lower', unique: true, primary: false, method: 'btree', parts: [{ expression: 'lower(email::text)' }],
      where: 'email IS NOT NULL', include: ['order'], definition: idx('users email lower')?.definition,
    });
    assert.deepEqual(idx('users_email_desc')?.parts, [{ column: 'email', descending: true, nulls: 'last' }, { column: 'id' }]);
    assert.deepEqual(idx('users_email_pattern')?.parts, [{ column: 'email', opclass: 'varchar_pattern_ops' }]);
    assert.equal(idx('users_tags')?.method, 'gin');
  });

  test('a composite deferrable MATCH FULL foreign key is read with all its options', () => {
    assert.deepEqual(table(schema, 'public', 'child').foreignKeys, [{
      name: 'child_fk', columns: ['a', 'b'], references: { schema: 'public', name: 'parent' }, referencedColumns: ['a', 'b'],
      onUpdate: 'NO ACTION', onDelete: 'CASCADE', match: 'FULL', deferrable: true, initiallyDeferred: true,
    }]);
  });

  test('sub-partitioned list/range tables record their bounds at every level', () => {
    const events = table(schema, 'public', 'events');
    assert.equal(events.partitioning?.method, 'list');
    assert.deepEqual(events.partitioning?.partitions.map((p) => [p.name, p.bound]), [['events_eu', "FOR VALUES IN ('eu', 'uk')"], ['events_other', 'DEFAULT']]);
    const eu = table(schema, 'public', 'events_eu');
    assert.deepEqual(eu.partitionOf, { schema: 'public', name: 'events' });
    assert.equal(eu.partitioning?.method, 'range');
    assert.deepEqual(table(schema, 'public', 'events_eu_2024').partitionOf, { schema: 'public', name: 'events_eu' });
  });

  test('the edge-case schema renders, applies with zero errors and reads back identical', async () => {
    const copy = await createPgDb('pg_edge_rt');
    dbs.push(copy);
    assert.deepEqual(await apply(copy, schema), []);
    assert.deepEqual(comparable(await introspect(copy)), comparable(schema));
    assert.equal(psql(copy, 'INSERT INTO "Sales"."Users" ("Name") VALUES (\'z\') RETURNING id').trim().split('\n')[0], '20');
    assert.equal(psql(copy, "SELECT nextval('public.free_seq')").trim(), '50');
  });

  test('inside the caller\'s transaction it reads in that transaction, leaves it open and restores search_path', async () => {
    const c = await pgAdmin(db);
    try {
      await c.query('SET search_path = "Sales", public');
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await c.query('CREATE TABLE "Sales".only_in_tx (x int)');
      const s = await introspectPostgres(c, { schemas: ['Sales'] });
      assert.ok(s.tables.some((t) => t.name === 'only_in_tx'));
      const r = await c.query("SELECT current_setting('search_path') AS p, (now() <> statement_timestamp()) AS in_tx");
      assert.deepEqual(r.rows[0], { p: '"Sales", public', in_tx: true });
      await c.query('ROLLBACK');
    } finally { await c.end(); }
  });

  test('the filter keeps only the chosen relations, with their partitions and owned sequences', async () => {
    const c = await pgAdmin(db);
    try {
      const s = await introspectPostgres(c, { filter: (sc, n) => sc === 'public' && n === 'events' });
      assert.deepEqual(s.tables.map((t) => t.name).sort(), ['events', 'events_eu', 'events_eu_2024', 'events_other']);
      assert.deepEqual(s.views, []);
      const only = await introspectPostgres(c, { schemas: ['Sales'] });
      assert.deepEqual(only.namespaces, ['Sales']);
      assert.deepEqual(only.tables.map((t) => t.name).sort(), ['Users', 'users']);
    } finally { await c.end(); }
  });
});
