// Introspects Sakila on MariaDB, checks real facts of the model, and round-trips the schema to a fresh database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectionUrl } from '../../src/engine/connection';
import { createIdentifierMap } from '../../src/engine/convert/identifiers';
import { mysqlToMysql } from '../../src/engine/convert/mysql-to-mysql';
import type { ConversionContext } from '../../src/engine/convert/context';
import type { ConversionOptions, Warning } from '../../src/engine/convert/types';
import type { Schema, Table } from '../../src/engine/model';
import { mysqlDdl } from '../../src/engine/mysql/ddl';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { MysqlSession, openSession } from '../../src/engine/sql-session';
import { MYSQL_PASSWORD, createMysqlDb, dropMysqlDb, loadSakila, mariadb, mysqlUrl } from '../helpers/db';

async function session(db: string): Promise<MysqlSession> {
  const s = await openSession({ ...parseConnectionUrl(mysqlUrl(db)), password: MYSQL_PASSWORD });
  return s as MysqlSession;
}

async function introspect(db: string): Promise<Schema> {
  const s = await session(db);
  try { return await introspectMysql(s.conn, db); } finally { await s.close(); }
}

function table(schema: Schema, name: string): Table {
  const t = schema.tables.find((x) => x.name === name);
  assert.ok(t, `table ${name} is in the model`);
  return t;
}

/** Renders a schema with mysqlDdl and runs every statement, phase by phase; returns the failures. */
async function applySchema(schema: Schema, db: string): Promise<string[]> {
  const s = await session(db);
  const failures: string[] = [];
  try {
    const objects = mysqlDdl.renderSchema(schema);
    for (const phase of ['pre-data', 'post-data', 'finalize']) {
      for (const o of objects.filter((x) => x.phase === phase)) {
        for (const st of o.statements) {
          try { await s.query(st); } catch (err) { failures.push(`${o.id}: ${(err as Error).message}\n${st}`); }
        }
      }
    }
  } finally { await s.close(); }
  return failures;
}

function convertSameEngine(source: Schema, targetDatabase: string): ReturnType<typeof mysqlToMysql> & { warnings: Warning[] } {
  const options: ConversionOptions = { lossless: true, identifierCase: 'preserve', targetDatabase };
  const warnings: Warning[] = [];
  const ctx: ConversionContext = { options, ids: createIdentifierMap(source, 'mysql', options), warn: (w) => warnings.push(w) };
  const out = mysqlToMysql(source, ctx);
  return { ...out, warnings: [...out.warnings, ...warnings] };
}

describe('MySQL introspection of Sakila', () => {
  let db = '';
  let schema: Schema;
  before(async () => {
    db = await loadSakila('bsakila');
    schema = await introspect(db);
  });
  after(async () => { if (db) await dropMysqlDb(db); });

  test('reads the 16 tables and the 7 views', () => {
    assert.deepEqual(schema.tables.map((t) => t.name).sort(), ['actor', 'address', 'category', 'city', 'country', 'customer',
      'film', 'film_actor', 'film_category', 'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store']);
    assert.deepEqual(schema.views.map((v) => v.name).sort(), ['actor_info', 'customer_list', 'film_list', 'nicer_but_slower_film_list',
      'sales_by_film_category', 'sales_by_store', 'staff_list']);
    assert.equal(schema.engine, 'mysql');
    assert.equal(schema.settings.flavor, 'mariadb');
  });

  test('reads film.rating as an ENUM with its values and special_features as a SET', () => {
    const film = table(schema, 'film');
    const rating = film.columns.find((c) => c.name === 'rating')!;
    assert.deepEqual(rating.type, { kind: 'enum', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'] });
    assert.deepEqual(rating.default, { kind: 'literal', sql: "'G'" });
    const features = film.columns.find((c) => c.name === 'special_features')!;
    assert.deepEqual(features.type, { kind: 'set', values: ['Trailers', 'Commentaries', 'Deleted Scenes', 'Behind the Scenes'] });
    assert.equal(features.default, undefined);
    assert.equal(features.nullable, true);
  });

  test('reads last_update as TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP', () => {
    const c = table(schema, 'actor').columns.find((x) => x.name === 'last_update')!;
    assert.equal(c.native, 'timestamp');
    assert.deepEqual(c.type, { kind: 'timestamp', precision: 0, tz: true, mysqlTimestamp: true });
    assert.deepEqual(c.default, { kind: 'current_timestamp' });
    assert.equal(c.onUpdateCurrentTimestamp, true);
    assert.equal(c.nullable, false);
  });

  test('reads unsigned integers, TINYINT(1), YEAR, DECIMAL and numeric defaults', () => {
    const film = table(schema, 'film');
    const id = film.columns.find((c) => c.name === 'film_id')!;
    assert.deepEqual(id.type, { kind: 'int', bytes: 2, unsigned: true, displayWidth: 5 });
    assert.equal(id.native, 'smallint(5) unsigned');
    assert.deepEqual(film.columns.find((c) => c.name === 'rental_rate')!.default, { kind: 'literal', sql: '4.99' });
    assert.deepEqual(film.columns.find((c) => c.name === 'release_year')!.type, { kind: 'year' });
    const active = table(schema, 'customer').columns.find((c) => c.name === 'active')!;
    assert.deepEqual(active.type, { kind: 'int', bytes: 1, unsigned: false, displayWidth: 1 });
    assert.deepEqual(active.default, { kind: 'literal', sql: '1' });
  });

  test('reads AUTO_INCREMENT next values from the live counter', () => {
    assert.equal(table(schema, 'film').columns[0].identity?.next, '1001');
    assert.equal(table(schema, 'actor').columns[0].identity?.next, '201');
    assert.equal(table(schema, 'rental').columns[0].identity?.next, String(Number(mariadb(db, 'SELECT MAX(rental_id) FROM rental').trim()) + 1));
    assert.equal(table(schema, 'film_text').columns[0].identity, undefined);
  });

  test('reads the FULLTEXT index of film_text and the composite unique key of rental', () => {
    const ft = table(schema, 'film_text').indexes.find((i) => i.name === 'idx_title_description')!;
    assert.equal(ft.method, 'fulltext');
    assert.deepEqual(ft.parts, [{ column: 'title' }, { column: 'description' }]);
    const rental = table(schema, 'rental');
    assert.deepEqual(rental.primaryKey, ['rental_id']);
    const u = rental.indexes.find((i) => i.unique)!;
    assert.deepEqual(u.parts.map((p) => p.column), ['rental_date', 'inventory_id', 'customer_id']);
    assert.deepEqual(table(schema, 'film_actor').primaryKey, ['actor_id', 'film_id']);
  });

  test('reads foreign keys with their actions', () => {
    const payment = table(schema, 'payment');
    const rentalFk = payment.foreignKeys.find((f) => f.name === 'fk_payment_rental')!;
    assert.deepEqual(rentalFk, {
      name: 'fk_payment_rental', columns: ['rental_id'], references: { schema: db, name: 'rental' }, referencedColumns: ['rental_id'],
      onUpdate: 'CASCADE', onDelete: 'SET NULL',
    });
    assert.equal(payment.foreignKeys.find((f) => f.name === 'fk_payment_staff')!.onDelete, 'RESTRICT');
    assert.equal(schema.tables.reduce((n, t) => n + t.foreignKeys.length, 0), 22);
  });

  test('reads triggers and routines with their original text', () => {
    assert.deepEqual(schema.triggers.map((t) => t.name).sort(), ['customer_create_date', 'del_film', 'ins_film', 'payment_date', 'rental_date', 'upd_film']);
    const ins = schema.triggers.find((t) => t.name === 'ins_film')!;
    assert.deepEqual([ins.timing, ins.events, ins.table.name], ['AFTER', ['INSERT'], 'film']);
    assert.match(ins.definition, /TRIGGER `ins_film` AFTER INSERT ON `film`/);
    assert.deepEqual(schema.routines.map((r) => `${r.kind}:${r.name}`).sort(), ['function:get_customer_balance', 'function:inventory_held_by_customer',
      'function:inventory_in_stock', 'procedure:film_in_stock', 'procedure:film_not_in_stock', 'procedure:rewards_report']);
    assert.match(schema.routines.find((r) => r.name === 'rewards_report')!.definition, /^CREATE .*PROCEDURE `rewards_report`/);
  });

  test('reads views with their columns and estimated table sizes', () => {
    const v = schema.views.find((x) => x.name === 'customer_list')!;
    assert.deepEqual(v.columns, ['ID', 'name', 'address', 'zip code', 'phone', 'city', 'country', 'notes', 'SID']);
    assert.match(v.query, /^select /);
    assert.ok(table(schema, 'rental').estimatedRows > 10000);
    assert.ok(table(schema, 'rental').estimatedBytes > 0);
  });

  test('renders the schema and applies it to a fresh MariaDB database with zero errors', async (t) => {
    const target = await createMysqlDb('bsakila_copy');
    t.after(() => dropMysqlDb(target));
    const converted = convertSameEngine(schema, target);
    assert.deepEqual(converted.warnings, []);
    const failures = await applySchema(converted.target, target);
    assert.deepEqual(failures, []);
    const copy = await introspect(target);
    // What was rendered is what the server created: the copy reads back as the converted model.
    const strip = (s: Schema) => s.tables.map((x) => ({ ...x, definition: undefined, estimatedRows: 0, estimatedBytes: 0,
      indexes: [...x.indexes].sort((a, b) => a.name.localeCompare(b.name)) }));
    assert.deepEqual(strip(copy), strip(converted.target));
    // Types, defaults, keys and FKs are those of the source.
    assert.deepEqual(copy.tables.map((x) => [x.name, x.columns, x.primaryKey, x.foreignKeys.map((f) => [f.columns, f.references.name, f.onDelete, f.onUpdate])]),
      schema.tables.map((x) => [x.name, x.columns, x.primaryKey, x.foreignKeys.map((f) => [f.columns, f.references.name, f.onDelete, f.onUpdate])]));
    assert.deepEqual(copy.views.map((v) => [v.name, v.columns]), schema.views.map((v) => [v.name, v.columns]));
    assert.deepEqual(copy.triggers.map((x) => x.name).sort(), schema.triggers.map((x) => x.name).sort());
    assert.deepEqual(copy.routines.map((x) => x.name), schema.routines.map((x) => x.name));
    assert.equal(mariadb(target, 'SELECT COUNT(*) FROM customer_list').trim(), '0');
  });
});
