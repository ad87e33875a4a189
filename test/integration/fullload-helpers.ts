// Helpers of the full-load tests: same-engine schema clones, identity mappings, content digests, task objects.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { parseConnectionUrl, withPassword, type ConnectionConfig } from '../../src/engine/connection';
import type { TableMapping } from '../../src/engine/convert/types';
import type { Schema, Table } from '../../src/engine/model';
import { validateTask, type Task } from '../../src/engine/task';
import { MYSQL_PASSWORD, MYSQL_PORT, PG_PASSWORD, PG_PORT, mysqlAdmin, mysqlUrl, pgUrl } from '../helpers/db';

export function mysqlConn(db: string): ConnectionConfig {
  return withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD);
}
export function pgConn(db: string): ConnectionConfig {
  return withPassword(parseConnectionUrl(pgUrl(db)), PG_PASSWORD);
}

export function makeTask(name: string, source: string, target: string, phases: Task['phases'] = ['full']): Task {
  return validateTask({ name, source, target, phases });
}

/** Copies the base tables' definitions (no triggers, no views) of a MariaDB database into another. */
export async function cloneMysqlTables(src: string, dst: string, tables?: string[]): Promise<void> {
  const c = await mysqlAdmin(src);
  try {
    const [rows] = await c.query("SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", [src]);
    await c.query('SET foreign_key_checks = 0');
    for (const { n } of rows as { n: string }[]) {
      if (tables && !tables.includes(n)) continue;
      const [def] = await c.query(`SHOW CREATE TABLE \`${src}\`.\`${n.replace(/`/g, '``')}\``);
      const ddl = (def as Record<string, string>[])[0]['Create Table'];
      await c.query(`USE \`${dst}\``);
      await c.query(ddl);
      await c.query(`USE \`${src}\``);
    }
  } finally {
    await c.end();
  }
}

/** Copies a PostgreSQL database's table definitions (pg_dump pre-data: types, sequences, tables) into another. */
export function clonePgTables(src: string, dst: string): void {
  const env = { ...process.env, PGPASSWORD: PG_PASSWORD };
  const ddl = execFileSync('pg_dump', ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', '--schema-only', '--section=pre-data', '--no-owner', '--no-publications', src], { env, maxBuffer: 1 << 28 }).toString();
  execFileSync('psql', ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', '-d', dst, '-q', '-v', 'ON_ERROR_STOP=0'], { env, input: ddl, stdio: ['pipe', 'ignore', 'ignore'] });
}

/** Same-engine mappings: each source table to the same table in the target namespace, values unchanged. */
export function identityMappings(schema: Schema, targetNamespace: (t: Table) => string, filter: (t: Table) => boolean = () => true): TableMapping[] {
  return schema.tables.filter((t) => !t.partitionOf && filter(t)).map((t) => {
    const target: Table = { ...t, schema: targetNamespace(t) };
    return { source: t, target, columns: t.columns.map((c) => ({ source: c, target: c })), key: t.primaryKey };
  });
}

/** A digest of a table's whole content: every value QUOTE()d (NULL apart from 'NULL'), FLOAT widened to its exact double. */
export function mysqlDigest(db: string, table: string): { rows: number; sha: string } {
  const env = { ...process.env, MYSQL_PWD: MYSQL_PASSWORD };
  const cols = execFileSync('mariadb', ['-h127.0.0.1', `-P${MYSQL_PORT}`, '-uroot', '-N', '-B', '-e',
    `SELECT GROUP_CONCAT(CONCAT(IF(DATA_TYPE = 'float', 'F', 'C'), '\`', REPLACE(COLUMN_NAME, '\`', '\`\`'), '\`') ORDER BY ORDINAL_POSITION SEPARATOR '\\n') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='${db}' AND TABLE_NAME='${table.replace(/'/g, "''")}'`],
  { env }).toString().trim().split('\\n');
  const exprs = cols.map((c) => (c[0] === 'F' ? `QUOTE(CAST(${c.slice(1)} AS DOUBLE))` : `QUOTE(${c.slice(1)})`));
  const out = execFileSync('mariadb', ['-h127.0.0.1', `-P${MYSQL_PORT}`, '-uroot', '-N', '-B', '--default-character-set=utf8mb4', db, '-e',
    `SELECT ${exprs.join(', ')} FROM \`${table.replace(/`/g, '``')}\` ORDER BY ${exprs.map((_, i) => i + 1).join(', ')}`],
  { env, maxBuffer: 1 << 28 }).toString();
  const lines = out.split('\n').filter((l) => l !== '');
  return { rows: lines.length, sha: createHash('sha256').update(out).digest('hex') };
}

export function pgDigest(db: string, table: string, schema = 'public'): { rows: number; sha: string } {
  const env = { ...process.env, PGPASSWORD: PG_PASSWORD };
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const out = execFileSync('psql', ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'postgres', '-d', db, '-X', '-v', 'ON_ERROR_STOP=1', '-c',
    `COPY (SELECT t::text FROM ${q(schema)}.${q(table)} t ORDER BY 1) TO STDOUT`], { env, maxBuffer: 1 << 28 }).toString();
  const lines = out.split('\n').filter((l) => l !== '');
  return { rows: lines.length, sha: createHash('sha256').update(out).digest('hex') };
}
