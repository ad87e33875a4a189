// Hostile identifiers migrate as data and execute nothing: tables and columns named `a"b`, `x; DROP TABLE y`,
// with backticks and quotes, Unicode, reserved words, over-long names and case-only collisions go through
// `ferry run --until full`, then changes to them through `--until caught-up`; verify is equal both ways and the
// canary table `y` is still there on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { runCli, writeTaskFile } from '../helpers/cli';
import {
  MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, mysqlUrl, pgAdmin, pgUrl,
} from '../helpers/db';

type Engine = 'mysql' | 'postgres';

interface FixtureColumn { name: string; type: { mysql: string; postgres: string } }
interface FixtureTable { name: string; key: string; columns: FixtureColumn[]; engines?: Engine[] }

const TEXT = { mysql: 'TEXT', postgres: 'text' };
const INT = { mysql: 'INT', postgres: 'integer' };
const VARCHAR = { mysql: 'VARCHAR(250)', postgres: 'varchar(250)' };

/** 64 characters: MariaDB's limit, one more than PostgreSQL's. Two that differ only in the last character. */
const LONG_A = `long_${'n'.repeat(58)}a`;
const LONG_B = `long_${'n'.repeat(58)}b`;
/** 63 characters: PostgreSQL's limit. */
const LONG_PG = `long_${'g'.repeat(57)}x`;

const TABLES: FixtureTable[] = [
  { name: 'a"b', key: 'id', columns: [
    { name: 'x; DROP TABLE y', type: TEXT }, { name: 'back`tick', type: INT }, { name: 'Ünïcødé_表', type: VARCHAR },
    { name: 'order', type: INT }, { name: 'select', type: VARCHAR }, { name: 'user', type: VARCHAR }, { name: 'group', type: INT },
  ] },
  { name: 'x; DROP TABLE y', key: 'a"b', columns: [{ name: 'v', type: TEXT }] },
  { name: 'tab`le', key: 'k`ey', columns: [{ name: "it's", type: TEXT }, { name: '"; DROP TABLE y; --', type: VARCHAR }] },
  { name: 'Ünïcødé_表', key: 'ïd', columns: [{ name: '名前', type: TEXT }, { name: 'ÄÖÜ_ß_ﬁ_€', type: VARCHAR }] },
  { name: 'order', key: 'select', columns: [{ name: 'user', type: VARCHAR }, { name: 'group', type: INT }, { name: 'from', type: TEXT }] },
  { name: 'select', key: 'id', columns: [{ name: 'where', type: TEXT }] },
  { name: 'user', key: 'id', columns: [{ name: 'table', type: TEXT }] },
  { name: 'group', key: 'by', columns: [{ name: 'having', type: TEXT }] },
  { name: 'dot.ted', key: 'id', columns: [{ name: 'per%cent', type: TEXT }, { name: 'back\\slash', type: TEXT }] },
  { name: 'Mixed', key: 'id', columns: [{ name: 'Value', type: TEXT }] },
  { name: 'mixed', key: 'id', columns: [{ name: 'value', type: TEXT }] },
  { name: LONG_A, key: 'id', columns: [{ name: LONG_B, type: TEXT }], engines: ['mysql'] },
  { name: LONG_B, key: 'id', columns: [{ name: LONG_A, type: TEXT }], engines: ['mysql'] },
  { name: LONG_PG, key: 'id', columns: [{ name: LONG_PG, type: TEXT }], engines: ['postgres'] },
  // Column names that differ only in case: legal in PostgreSQL, one name in MariaDB.
  { name: 'CaseCols', key: 'id', columns: [{ name: 'Name', type: TEXT }, { name: 'name', type: TEXT }, { name: 'NAME', type: TEXT }], engines: ['postgres'] },
];
/** Characters beyond the BMP: PostgreSQL allows them in names, MariaDB refuses them even quoted. */
const EMOJI: FixtureTable = { name: 'emoji_😀', key: 'id', columns: [{ name: 'smile_😀', type: VARCHAR }], engines: ['postgres'] };
const CANARY = 'y';
const ROWS = 20;

const quote = (e: Engine, s: string) => (e === 'mysql' ? `\`${s.replace(/`/g, '``')}\`` : `"${s.replace(/"/g, '""')}"`);

/** A text value that itself looks like SQL and carries quotes, a backslash and Unicode. */
const textValue = (table: string, col: string, i: number, gen: number) => `${table}/${col}#${i}.${gen} '); DROP TABLE y; -- "q" \\ ü表`;

interface Sql { exec(sql: string, params?: unknown[]): Promise<unknown>; close(): Promise<void> }

async function openSql(engine: Engine, db: string): Promise<Sql> {
  if (engine === 'mysql') {
    const c: mysql.Connection = await mysqlAdmin(db);
    // Parameters as server-side prepared statements: no client-side escaping involved.
    return { exec: async (sql, params) => (params ? c.execute(sql, params as never[]) : c.query(sql)), close: () => c.end() };
  }
  const c: pg.Client = await pgAdmin(db);
  return {
    exec: async (sql, params) => { let n = 0; return c.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[] | undefined); },
    close: () => c.end(),
  };
}

function tablesFor(engine: Engine, tables: FixtureTable[]): FixtureTable[] {
  return tables.filter((t) => !t.engines || t.engines.includes(engine));
}

function valuesFor(t: FixtureTable, i: number, gen: number): unknown[] {
  return [i, ...t.columns.map((c) => (c.type === INT ? i * 10 + gen : textValue(t.name, c.name, i, gen)))];
}

async function createSource(engine: Engine, db: string, tables: FixtureTable[]): Promise<void> {
  const s = await openSql(engine, db);
  const q = (x: string) => quote(engine, x);
  try {
    for (const t of tablesFor(engine, tables)) {
      const cols = [`${q(t.key)} ${INT[engine]} PRIMARY KEY`, ...t.columns.map((c) => `${q(c.name)} ${c.type[engine]}`)];
      await s.exec(`CREATE TABLE ${q(t.name)} (${cols.join(', ')})`);
      const names = [t.key, ...t.columns.map((c) => c.name)].map(q).join(', ');
      for (let i = 1; i <= ROWS; i++) await s.exec(`INSERT INTO ${q(t.name)} (${names}) VALUES (${names.split(', ').map(() => '?').join(', ')})`, valuesFor(t, i, 0));
    }
    await s.exec(`CREATE TABLE ${q(CANARY)} (id ${INT[engine]} PRIMARY KEY, note ${TEXT[engine]})`);
    await s.exec(`INSERT INTO ${q(CANARY)} VALUES (1, 'canary')`);
  } finally { await s.close(); }
}

/** Inserts, updates (also of the key), deletes in every hostile table, in multi-statement transactions. */
async function changeSource(engine: Engine, db: string, tables: FixtureTable[]): Promise<void> {
  const s = await openSql(engine, db);
  const q = (x: string) => quote(engine, x);
  try {
    for (const t of tablesFor(engine, tables)) {
      const names = [t.key, ...t.columns.map((c) => c.name)].map(q).join(', ');
      const marks = [t.key, ...t.columns].map(() => '?').join(', ');
      await s.exec(engine === 'mysql' ? 'START TRANSACTION' : 'BEGIN');
      for (let i = ROWS + 1; i <= ROWS + 3; i++) await s.exec(`INSERT INTO ${q(t.name)} (${names}) VALUES (${marks})`, valuesFor(t, i, 1));
      for (const i of [2, 3, 4]) {
        const sets = t.columns.map((c) => `${q(c.name)} = ?`).join(', ');
        await s.exec(`UPDATE ${q(t.name)} SET ${sets} WHERE ${q(t.key)} = ?`, [...valuesFor(t, i, 2).slice(1), i]);
      }
      await s.exec(`UPDATE ${q(t.name)} SET ${q(t.key)} = ? WHERE ${q(t.key)} = ?`, [1000, 5]);
      await s.exec(`DELETE FROM ${q(t.name)} WHERE ${q(t.key)} IN (?, ?)`, [6, 7]);
      await s.exec('COMMIT');
    }
  } finally { await s.close(); }
}

async function tableNames(engine: Engine, db: string, schema: string): Promise<string[]> {
  const s = await openSql(engine, db);
  try {
    if (engine === 'mysql') {
      const [rows] = (await s.exec('SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [db])) as [{ n: string }[]];
      return rows.map((r) => r.n).sort();
    }
    const r = (await s.exec('SELECT table_name AS n FROM information_schema.tables WHERE table_schema = ?', [schema])) as { rows: { n: string }[] };
    return r.rows.map((x) => x.n).sort();
  } finally { await s.close(); }
}

async function rowCount(engine: Engine, db: string, schema: string, table: string): Promise<number> {
  const s = await openSql(engine, db);
  try {
    const ref = engine === 'mysql' ? quote(engine, table) : `${quote(engine, schema)}.${quote(engine, table)}`;
    if (engine === 'mysql') {
      const [rows] = (await s.exec(`SELECT COUNT(*) AS n FROM ${ref}`)) as [{ n: string }[]];
      return Number(rows[0].n);
    }
    const r = (await s.exec(`SELECT count(*) AS n FROM ${ref}`)) as { rows: { n: string }[] };
    return Number(r.rows[0].n);
  } finally { await s.close(); }
}

async function migrateAndReplicate(t: import('node:test').TestContext, from: Engine, to: Engine, tables: FixtureTable[]): Promise<void> {
  const src = from === 'mysql' ? await createMysqlDb('ident_src') : await createPgDb('ident_src');
  const dst = to === 'mysql' ? await createMysqlDb('ident_dst') : await createPgDb('ident_dst');
  t.after(async () => {
    await (from === 'mysql' ? dropMysqlDb(src) : dropPgDb(src));
    await (to === 'mysql' ? dropMysqlDb(dst) : dropPgDb(dst));
  });
  await createSource(from, src, tables);
  const url = (e: Engine, db: string) => (e === 'mysql' ? mysqlUrl(db) : pgUrl(db));
  const file = writeTaskFile({ name: `ident-${src}`, source: url(from, src), target: url(to, dst), phases: ['schema', 'full', 'incremental'], parallelism: 2 });
  const env = { FERRY_SOURCE_PASSWORD: from === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD, FERRY_TARGET_PASSWORD: to === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD };

  const full = await runCli(['run', file, '--until', 'full'], env, { timeoutMs: 180_000 });
  assert.equal(full.code, 0, `ferry run --until full: ${full.stderr.slice(-3000)}`);
  const targetSchema = to === 'postgres' ? 'public' : dst;
  const sourceTables = await tableNames(from, src, 'public');
  const targetTables = await tableNames(to, dst, targetSchema);
  assert.equal(targetTables.length, sourceTables.length, `one target table per source table: ${JSON.stringify(targetTables)}`);
  // PostgreSQL targets fold to lower case (no collision here); MariaDB keeps names as they are, except those with
  // characters it refuses (beyond the BMP): those get a new name of legal characters, said in a warning.
  const beyondBmp = /[\u{10000}-\u{10FFFF}]/u;
  const targetName = (n: string): string => {
    if (to === 'postgres') return n.toLowerCase();
    if (!beyondBmp.test(n)) return n;
    const renamed = targetTables.filter((x) => x.startsWith(n.split(beyondBmp)[0]) && !beyondBmp.test(x));
    assert.equal(renamed.length, 1, `${n} has one legal new name: ${JSON.stringify(targetTables)}`);
    assert.match(full.stderr, new RegExp(`IDENTIFIER_RENAMED[^\n]*${n}`), `a warning names ${n}`);
    return renamed[0];
  };
  for (const name of sourceTables.filter((n) => n.length <= 63 && !/^mixed$/i.test(n))) {
    assert.ok(targetTables.includes(targetName(name)), `${name} is ${targetName(name)} on the target: ${JSON.stringify(targetTables)}`);
  }
  if (to === 'postgres') {
    // PostgreSQL keeps 63 characters: the two 64-character names become two different, deterministic names.
    const long = targetTables.filter((n) => n.startsWith('long_'));
    assert.equal(long.length, 2);
    assert.ok(long.every((n) => Buffer.byteLength(n) <= 63), JSON.stringify(long));
    assert.notEqual(long[0], long[1]);
    // `Mixed` and `mixed` cannot both fold to lower case.
    assert.equal(targetTables.filter((n) => /^mixed$/i.test(n)).length, 2, JSON.stringify(targetTables));
  }
  const verify1 = await runCli(['verify', file], env);
  assert.equal(verify1.code, 0, `verify after the full load: ${verify1.stdout.slice(-3000)}${verify1.stderr.slice(-2000)}`);

  await changeSource(from, src, tables);
  const caught = await runCli(['run', file, '--until', 'caught-up'], env, { timeoutMs: 180_000 });
  assert.equal(caught.code, 0, `ferry run --until caught-up: ${caught.stderr.slice(-3000)}`);
  const verify2 = await runCli(['verify', file], env);
  assert.equal(verify2.code, 0, `verify after the changes: ${verify2.stdout.slice(-3000)}${verify2.stderr.slice(-2000)}`);
  for (const table of tablesFor(from, tables).map((x) => x.name).filter((n) => n.length <= 63 && !/^mixed$/i.test(n))) {
    assert.equal(await rowCount(to, dst, targetSchema, targetName(table)), ROWS + 3 - 2, `${table}: rows after inserts and deletes`);
  }

  // Nothing was executed: the canary is on both sides with its row, and every hostile table is still there.
  assert.equal(await rowCount(from, src, 'public', CANARY), 1);
  assert.equal(await rowCount(to, dst, targetSchema, CANARY), 1);
  assert.deepEqual(await tableNames(from, src, 'public'), sourceTables);
}

for (const [from, to] of [['mysql', 'postgres'], ['postgres', 'mysql']] as const) {
  test(`${from} -> ${to}: hostile table and column names migrate, replicate and verify equal, and execute nothing`, { timeout: 300_000 },
    (t) => migrateAndReplicate(t, from, to, TABLES));
}

test('postgres -> mysql: names with characters beyond the BMP (emoji), which MariaDB refuses, are renamed with a warning and replicate',
  { timeout: 300_000 },
  (t) => migrateAndReplicate(t, 'postgres', 'mysql', [...TABLES, EMOJI]));
