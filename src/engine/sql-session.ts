// A plain SQL session on either engine, for DDL, catalog reads and small statements (not bulk data).
import type { Connection } from 'mysql2/promise';
import type pg from 'pg';
import type { ConnectionConfig } from './connection';
import type { EngineKind } from './model';
import { connectMysql } from './mysql/connect';
import { connectPostgres } from './postgres/connect';
import { MYSQL_SESSION_SQL, PG_SESSION_SQL } from './sessions';

export type SqlRow = Record<string, unknown>;

export interface SqlSession {
  readonly engine: EngineKind;
  /** Runs one statement; `?` placeholders on MySQL, `$n` on PostgreSQL. */
  query(sql: string, params?: unknown[]): Promise<SqlRow[]>;
  close(): Promise<void>;
}

export class MysqlSession implements SqlSession {
  readonly engine = 'mysql' as const;
  constructor(readonly conn: Connection) {}
  async query(sql: string, params?: unknown[]): Promise<SqlRow[]> {
    // Parameters go as a prepared statement: mysql2's client-side escaping writes backslashes, which
    // the session's NO_BACKSLASH_ESCAPES mode (sessions.ts) would read as literal characters.
    const [rows] = params && params.length > 0
      ? await this.conn.execute(sql, params as (string | number | bigint | boolean | Date | Buffer | null)[])
      : await this.conn.query(sql);
    return Array.isArray(rows) ? (rows as SqlRow[]) : [];
  }
  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}

export class PostgresSession implements SqlSession {
  readonly engine = 'postgres' as const;
  constructor(readonly client: pg.Client) {}
  async query(sql: string, params?: unknown[]): Promise<SqlRow[]> {
    const r = await this.client.query(sql, params);
    // A multi-statement text returns an array of results; the last one is what callers want.
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return (last?.rows ?? []) as SqlRow[];
  }
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Opens a session with Ferry's session settings (sessions.ts). `database` overrides the URL's database. */
export async function openSession(c: ConnectionConfig, database?: string | null): Promise<SqlSession> {
  if (c.engine === 'mysql') {
    const conn = await connectMysql(c, database === undefined ? c.database : database);
    for (const s of MYSQL_SESSION_SQL) await conn.query(s);
    return new MysqlSession(conn);
  }
  const client = await connectPostgres(c, database ?? c.database);
  for (const s of PG_SESSION_SQL) await client.query(s);
  return new PostgresSession(client);
}

/** Runs `fn` with a session and always closes it. */
export async function withSession<T>(c: ConnectionConfig, fn: (s: SqlSession) => Promise<T>, database?: string | null): Promise<T> {
  const s = await openSession(c, database);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}
