// Sakila (MariaDB) converted by mysqlToPostgres, rendered by postgresDdl and applied to PostgreSQL; the target is
// then read back with introspectPostgres to check what exists there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgDb, dropMysqlDb, dropPgDb, loadSakila, mysqlAdmin, mysqlUrl, MYSQL_PASSWORD, pgAdmin, pgUrl, PG_PASSWORD, psql } from '../helpers/db';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { introspectPostgres } from '../../src/engine/postgres/introspect';
import { postgresDdl } from '../../src/engine/postgres/ddl';
import { MYSQL_SESSION_SQL } from '../../src/engine/sessions';
import { convertSchema, type Conversion } from '../../src/engine/convert/index';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { copyTableOnce } from '../../src/engine/fullload/copy-table';
import type { Schema } from '../../src/engine/model';

let mysqlDb = '';
let pgDb = '';
let source: Schema;
let conversion: Conversion;
let target: Schema;
const errors: string[] = [];

before(async () => {
  mysqlDb = await loadSakila('sakila_pg');
  pgDb = await createPgDb('sakila_pg');
  const my = await mysqlAdmin(mysqlDb);
  try {
    for (const s of MYSQL_SESSION_SQL) await my.query(s);
    source = await introspectMysql(my, mysqlDb);
  } finally { await my.end(); }
  conversion = convertSchema(source, 'postgres', { lossless: true, identifierCase: 'lower', targetDatabase: pgDb, targetSchema: 'sakila' });
  const objects = postgresDdl.renderSchema(conversion.target);
  const pg = await pgAdmin(pgDb);
  try {
    // pre-data, then the rows of the tables the views read, then post-data and finalize — as a migration runs
    for (const o of objects.filter((x) => x.phase === 'pre-data')) for (const st of o.statements) await pg.query(st).catch((e: Error) => errors.push(`${o.id}: ${e.message}`));
    const src = withPassword(parseConnectionUrl(mysqlUrl(mysqlDb)), MYSQL_PASSWORD);
    const dst = withPassword(parseConnectionUrl(pgUrl(pgDb)), PG_PASSWORD);
    for (const m of conversion.tables) await copyTableOnce(src, dst, m);
    for (const phase of ['post-data', 'finalize']) {
      for (const o of objects.filter((x) => x.phase === phase)) for (const st of o.statements) await pg.query(st).catch((e: Error) => errors.push(`${o.id}: ${e.message}`));
    }
    target = await introspectPostgres(pg, { schemas: ['sakila'] });
  } finally { await pg.end(); }
});

after(async () => {
  if (mysqlDb) await dropMysqlDb(mysqlDb);
  if (pgDb) await dropPgDb(pgDb);
});

test('Sakila converted to PostgreSQL applies with zero errors', () => {
  assert.deepEqual(errors, []);
});

test('every Sakila table, column, index and foreign key exists on PostgreSQL', () => {
  assert.deepEqual(target.tables.map((t) => t.name).sort(), source.tables.map((t) => t.name).sort());
  for (const s of source.tables) {
    const t = target.tables.find((x) => x.name === s.name);
    assert.deepEqual(t?.columns.map((c) => c.name), s.columns.map((c) => c.name.toLowerCase()), s.name);
    assert.deepEqual(t?.primaryKey, s.primaryKey.map((c) => c.toLowerCase()), s.name);
    assert.deepEqual(t?.foreignKeys.map((f) => f.name).sort(), s.foreignKeys.map((f) => f.name.toLowerCase()).sort(), s.name);
    // indexes without a faithful equivalent (none in Sakila: FULLTEXT becomes GIN) would be missing here
    assert.equal(t?.indexes.length, s.indexes.length, s.name);
  }
});

test('six of the seven Sakila views are translated and return the same rows as on MariaDB; actor_info is a manual item', async () => {
  assert.deepEqual(target.views.map((v) => v.name).sort(), ['customer_list', 'film_list', 'nicer_but_slower_film_list', 'sales_by_film_category', 'sales_by_store', 'staff_list']);
  const manual = conversion.manual.filter((m) => m.kind === 'view');
  assert.deepEqual(manual.map((m) => m.id), ['view:sakila.actor_info']);
  assert.match(manual[0].reason, /DISTINCT/);
  const my = await mysqlAdmin(mysqlDb);
  try {
    for (const view of ['sales_by_store', 'customer_list', 'film_list', 'nicer_but_slower_film_list', 'staff_list', 'sales_by_film_category']) {
      const [rows] = await my.query(`SELECT COUNT(*) AS n FROM \`${view}\``);
      const n = psql(pgDb, `SELECT count(*) FROM sakila.${view}`).trim();
      assert.equal(n, String((rows as { n: number | string }[])[0].n), view);
    }
    const [sales] = await my.query('SELECT store, manager, total_sales FROM sales_by_store ORDER BY store');
    const pgSales = psql(pgDb, 'SELECT store, manager, total_sales FROM sakila.sales_by_store ORDER BY store').trim().split('\n');
    assert.deepEqual(pgSales, (sales as { store: string; manager: string; total_sales: string }[]).map((r) => `${r.store}|${r.manager}|${r.total_sales}`));
  } finally { await my.end(); }
});

test('the enum, the SET array check and identity positions exist on the target', () => {
  assert.deepEqual(target.types.map((t) => [t.kind, t.name]), [['enum', 'film_rating']]);
  const film = target.tables.find((t) => t.name === 'film');
  assert.equal(film?.columns.find((c) => c.name === 'special_features')?.native, 'text[]');
  assert.equal(film?.columns.find((c) => c.name === 'film_id')?.identity?.next, '1001');
  assert.ok(film?.checks.some((c) => /special_features/.test(c.expression)));
});
