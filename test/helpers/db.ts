// Test access to the private MariaDB and PostgreSQL servers started by test/db/start.sh.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DATASETS = path.resolve(ROOT, '..', 'shared', 'datasets');

export const MYSQL_PORT = Number(process.env.FERRY_MYSQL_PORT ?? 33061);
export const PG_PORT = Number(process.env.FERRY_PG_PORT ?? 54331);
export const MYSQL_PASSWORD = process.env.FERRY_MYSQL_PASSWORD ?? 'ferry-test-pw';
export const PG_PASSWORD = process.env.FERRY_PG_PASSWORD ?? 'ferry-test-pw';
export const DB_DIR = process.env.FERRY_DB_DIR ?? '/tmp/ferry-db';
export const CA_FILE = path.join(DB_DIR, 'tls', 'ca.crt');
export const OTHER_CA_FILE = path.join(DB_DIR, 'tls', 'other-ca.crt');

/** Task URLs carry no password; tests pass it through FERRY_SOURCE_PASSWORD / FERRY_TARGET_PASSWORD. */
export function mysqlUrl(db: string): string {
  return `mysql://root@127.0.0.1:${MYSQL_PORT}/${encodeURIComponent(db)}`;
}
export function pgUrl(db: string): string {
  return `postgres://postgres@127.0.0.1:${PG_PORT}/${encodeURIComponent(db)}`;
}
export function passwordFor(url: string): string {
  return url.startsWith('mysql') ? MYSQL_PASSWORD : PG_PASSWORD;
}

/** A unique database name for one test: prefix + random suffix (lower case, safe for both engines). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

export async function mysqlAdmin(db?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1', port: MYSQL_PORT, user: 'root', password: MYSQL_PASSWORD, database: db,
    dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, multipleStatements: true, charset: 'utf8mb4_bin',
  });
}

export async function pgAdmin(db = 'postgres'): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', password: PG_PASSWORD, database: db });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

export async function createMysqlDb(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const c = await mysqlAdmin();
  try { await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`); } finally { await c.end(); }
  return name;
}

export async function dropMysqlDb(name: string): Promise<void> {
  const c = await mysqlAdmin();
  try { await c.query(`DROP DATABASE IF EXISTS \`${name}\``); } finally { await c.end(); }
}

export async function createPgDb(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const c = await pgAdmin();
  try { await c.query(`CREATE DATABASE "${name}"`); } finally { await c.end(); }
  return name;
}

/** Drops a PostgreSQL database, its replication slots first (a slot keeps the database in use). */
export async function dropPgDb(name: string): Promise<void> {
  const c = await pgAdmin();
  try {
    await c.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [name]);
    await c.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [name]);
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally { await c.end(); }
}

function mariadbCli(db: string | undefined, sql: string): void {
  const args = ['-h127.0.0.1', `-P${MYSQL_PORT}`, '-uroot', '--default-character-set=utf8mb4'];
  if (db) args.push(db);
  const r = spawnSync('mariadb', args, { input: sql, env: { ...process.env, MYSQL_PWD: MYSQL_PASSWORD }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`mariadb failed: ${r.stderr.toString()}`);
}

/** Creates a fresh database holding Sakila (schema + data) and returns its name. */
export async function loadSakila(prefix = 'sakila'): Promise<string> {
  const name = uniqueName(prefix);
  const rename = (sql: string) => sql
    .replace(/^DROP SCHEMA IF EXISTS sakila;/m, '')
    .replace(/^CREATE SCHEMA sakila;/m, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4;`)
    .replace(/^USE sakila;/gm, `USE \`${name}\`;`)
    .replace(/\bsakila\./g, `\`${name}\`.`);
  mariadbCli(undefined, rename(readFileSync(path.join(DATASETS, 'sakila', 'sakila-schema.sql'), 'utf8')));
  mariadbCli(undefined, rename(readFileSync(path.join(DATASETS, 'sakila', 'sakila-data.sql'), 'utf8')));
  return name;
}

/**
 * Creates a fresh PostgreSQL database holding Pagila and returns its name. Two statements of the schema
 * need PostgreSQL 17 and fail on 15 (expected); everything else must load.
 */
export async function loadPagila(prefix = 'pagila'): Promise<string> {
  const name = await createPgDb(prefix);
  const env = { ...process.env, PGPASSWORD: PG_PASSWORD };
  const base = ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', '-d', name, '-q', '-v', 'ON_ERROR_STOP=0'];
  for (const file of ['pagila-schema.sql', 'pagila-data.sql']) {
    const r = spawnSync('psql', [...base, '-f', path.join(DATASETS, 'pagila', file)], { env, maxBuffer: 1 << 28 });
    const errors = r.stderr.toString().split('\n').filter((l) => /ERROR/.test(l));
    // Expected on PostgreSQL 15: `SET transaction_timeout` and the JSON_TABLE view films_per_customer_rental
    // (both PostgreSQL 17), and the ALTER of that view which then does not exist.
    const unexpected = errors.filter((l) => !/unrecognized configuration parameter "transaction_timeout"|syntax error at or near "AS"|relation "public\.films_per_customer_rental" does not exist/.test(l));
    if (unexpected.length > 0) throw new Error(`loading ${file} failed: ${unexpected.join('\n')}`);
  }
  return name;
}

export function psql(db: string, sql: string): string {
  return execFileSync('psql', ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', '-d', db, '-tAX', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { env: { ...process.env, PGPASSWORD: PG_PASSWORD } }).toString();
}

export function mariadb(db: string, sql: string): string {
  return execFileSync('mariadb', ['-h127.0.0.1', `-P${MYSQL_PORT}`, '-uroot', '--default-character-set=utf8mb4', '-N', '-B', db, '-e', sql],
    { env: { ...process.env, MYSQL_PWD: MYSQL_PASSWORD } }).toString();
}
