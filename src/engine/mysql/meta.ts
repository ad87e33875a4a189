// ferry_meta on a MySQL/MariaDB target: database ferry_meta with InnoDB tables task and chunk.
import type { Connection } from 'mysql2/promise';
import type { TableProgress } from '../api';
import type { ConnectionConfig } from '../connection';
import { FerryError, asFerryError } from '../errors';
import { META_SCHEMA, type ChunkRecord, type MetaStore, type TaskRecord, type TaskUpdate, progressFromChunks } from '../meta';
import type { SourcePosition } from '../position';
import { MYSQL_SESSION_SQL } from '../sessions';
import { connectMysql } from './connect';

const DDL = [
  `CREATE DATABASE IF NOT EXISTS ${META_SCHEMA} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.task (
     name VARCHAR(200) NOT NULL PRIMARY KEY,
     phase VARCHAR(32) NOT NULL DEFAULT 'none',
     state VARCHAR(32) NOT NULL DEFAULT 'not_started',
     last_error TEXT NULL,
     updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
     snapshot LONGTEXT NULL,
     details LONGTEXT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.chunk (
     task VARCHAR(200) NOT NULL,
     table_name VARCHAR(300) NOT NULL,
     chunk_id INT NOT NULL,
     bounds LONGTEXT NOT NULL,
     estimated_rows BIGINT NOT NULL DEFAULT 0,
     \`rows\` BIGINT NOT NULL DEFAULT 0,
     bytes BIGINT NOT NULL DEFAULT 0,
     done TINYINT(1) NOT NULL DEFAULT 0,
     attempts INT NOT NULL DEFAULT 0,
     updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
     PRIMARY KEY (task, table_name, chunk_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
];

/** Tables created by an earlier Ferry with 64-character task keys are widened for `task@database` keys. */
const WIDEN = [
  `ALTER TABLE ${META_SCHEMA}.task MODIFY name VARCHAR(200) NOT NULL`,
  `ALTER TABLE ${META_SCHEMA}.chunk MODIFY task VARCHAR(200) NOT NULL`,
];

export async function ensureMysqlMeta(conn: Connection): Promise<void> {
  try {
    for (const sql of DDL) await conn.query(sql);
    const [cols] = await conn.query(`SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '${META_SCHEMA}'
      AND ((TABLE_NAME = 'task' AND COLUMN_NAME = 'name') OR (TABLE_NAME = 'chunk' AND COLUMN_NAME = 'task')) AND CHARACTER_MAXIMUM_LENGTH < 200`);
    if (Number((cols as { n: number }[])[0]?.n ?? 0) > 0) for (const sql of WIDEN) await conn.query(sql);
  } catch (err) {
    throw asFerryError(err, `creating the ${META_SCHEMA} database on the target`);
  }
}

/**
 * Marks a chunk copied. Call it inside the transaction that wrote the chunk's rows: the invariant
 * "a chunk is marked done if and only if its rows are committed" rests on that.
 */
// Statements with parameters run as server-side prepared statements (execute): mysql2's client-side
// escaping writes backslashes, which the NO_BACKSLASH_ESCAPES session mode (sessions.ts) would misread.
export async function markChunkDoneMysql(conn: Connection, task: string, table: string, chunkId: number, rows: number, bytes: number): Promise<void> {
  const [r] = await conn.execute(
    `UPDATE ${META_SCHEMA}.chunk SET done = 1, \`rows\` = ?, bytes = ?, updated_at = CURRENT_TIMESTAMP(3)
      WHERE task = ? AND table_name = ? AND chunk_id = ? AND done = 0`, [rows, bytes, task, table, chunkId]);
  if ((r as { affectedRows: number }).affectedRows !== 1) {
    throw new FerryError('CHUNK_CONFLICT', `chunk ${chunkId} of ${table} is already marked done or missing in ${META_SCHEMA}.chunk`,
      { fix: 'another run of the same task is probably active: stop it, then run again' });
  }
}

function parseJson<T>(v: unknown): T | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  return JSON.parse(String(v)) as T;
}

function chunkFromRow(r: Record<string, unknown>): ChunkRecord {
  const bounds = parseJson<{ lower: ChunkRecord['lower']; upper: ChunkRecord['upper'] }>(r.bounds) ?? { lower: null, upper: null };
  return {
    table: String(r.table_name), chunkId: Number(r.chunk_id), lower: bounds.lower, upper: bounds.upper,
    estimatedRows: Number(r.estimated_rows), rows: Number(r.rows), bytes: Number(r.bytes),
    done: Number(r.done) === 1, attempts: Number(r.attempts),
  };
}

class MysqlMetaStore implements MetaStore {
  readonly engine = 'mysql' as const;
  constructor(private readonly conn: Connection, readonly task: string) {}

  async loadTask(): Promise<TaskRecord | undefined> {
    const [rows] = await this.conn.execute(`SELECT name, phase, state, last_error, updated_at, snapshot, details FROM ${META_SCHEMA}.task WHERE name = ?`, [this.task]);
    const row = (rows as Record<string, unknown>[])[0];
    if (!row) return undefined;
    return {
      task: String(row.name), phase: String(row.phase), state: String(row.state),
      lastError: row.last_error === null ? undefined : String(row.last_error), updatedAt: String(row.updated_at),
      snapshot: parseJson<SourcePosition>(row.snapshot), details: parseJson<Record<string, unknown>>(row.details) ?? {},
    };
  }

  async saveTask(u: TaskUpdate): Promise<void> {
    // Read-modify-write of details under a row lock, since MySQL and MariaDB merge JSON differently.
    await this.conn.query('START TRANSACTION');
    try {
      await this.conn.execute(`INSERT IGNORE INTO ${META_SCHEMA}.task (name, details) VALUES (?, '{}')`, [this.task]);
      const [rows] = await this.conn.execute(`SELECT details FROM ${META_SCHEMA}.task WHERE name = ? FOR UPDATE`, [this.task]);
      const details = { ...(parseJson<Record<string, unknown>>((rows as Record<string, unknown>[])[0]?.details) ?? {}), ...(u.details ?? {}) };
      const sets = ['details = ?', 'updated_at = CURRENT_TIMESTAMP(3)'];
      const params: (string | null)[] = [JSON.stringify(details)];
      if (u.phase !== undefined) { sets.push('phase = ?'); params.push(u.phase); }
      if (u.state !== undefined) { sets.push('state = ?'); params.push(u.state); }
      if (u.lastError !== undefined) { sets.push('last_error = ?'); params.push(u.lastError); }
      await this.conn.execute(`UPDATE ${META_SCHEMA}.task SET ${sets.join(', ')} WHERE name = ?`, [...params, this.task]);
      await this.conn.query('COMMIT');
    } catch (err) {
      await this.conn.query('ROLLBACK').catch(() => undefined);
      throw asFerryError(err, `saving task state in ${META_SCHEMA}`);
    }
  }

  async saveSnapshotAndPlan(position: SourcePosition, chunks: ChunkRecord[]): Promise<void> {
    await this.conn.query('START TRANSACTION');
    try {
      await this.conn.execute(`INSERT INTO ${META_SCHEMA}.task (name, details, snapshot) VALUES (?, '{}', ?)
        ON DUPLICATE KEY UPDATE snapshot = VALUES(snapshot), updated_at = CURRENT_TIMESTAMP(3)`, [this.task, JSON.stringify(position)]);
      await this.conn.execute(`DELETE FROM ${META_SCHEMA}.chunk WHERE task = ?`, [this.task]);
      for (let i = 0; i < chunks.length; i += 500) {
        const batch = chunks.slice(i, i + 500);
        const params: (string | number)[] = [];
        for (const c of batch) params.push(this.task, c.table, c.chunkId, JSON.stringify({ lower: c.lower, upper: c.upper }), c.estimatedRows);
        await this.conn.execute(`INSERT INTO ${META_SCHEMA}.chunk (task, table_name, chunk_id, bounds, estimated_rows) VALUES ${batch.map(() => '(?, ?, ?, ?, ?)').join(', ')}`, params);
      }
      await this.conn.query('COMMIT');
    } catch (err) {
      await this.conn.query('ROLLBACK').catch(() => undefined);
      throw asFerryError(err, `saving the full-load plan in ${META_SCHEMA}`);
    }
  }

  async loadChunks(table?: string): Promise<ChunkRecord[]> {
    const [rows] = table === undefined
      ? await this.conn.execute(`SELECT * FROM ${META_SCHEMA}.chunk WHERE task = ? ORDER BY table_name, chunk_id`, [this.task])
      : await this.conn.execute(`SELECT * FROM ${META_SCHEMA}.chunk WHERE task = ? AND table_name = ? ORDER BY chunk_id`, [this.task, table]);
    return (rows as Record<string, unknown>[]).map(chunkFromRow);
  }

  async countAttempt(table: string, chunkId: number): Promise<void> {
    await this.conn.execute(`UPDATE ${META_SCHEMA}.chunk SET attempts = attempts + 1, updated_at = CURRENT_TIMESTAMP(3) WHERE task = ? AND table_name = ? AND chunk_id = ?`,
      [this.task, table, chunkId]);
  }

  async chunkProgress(): Promise<TableProgress[]> {
    return progressFromChunks(await this.loadChunks());
  }

  async resetFullLoad(): Promise<void> {
    await this.conn.query('START TRANSACTION');
    try {
      await this.conn.execute(`DELETE FROM ${META_SCHEMA}.chunk WHERE task = ?`, [this.task]);
      await this.conn.execute(`UPDATE ${META_SCHEMA}.task SET snapshot = NULL, updated_at = CURRENT_TIMESTAMP(3) WHERE name = ?`, [this.task]);
      await this.conn.query('COMMIT');
    } catch (err) {
      await this.conn.query('ROLLBACK').catch(() => undefined);
      throw asFerryError(err, `resetting the full load in ${META_SCHEMA}`);
    }
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}

export async function openMysqlMetaStore(target: ConnectionConfig, task: string): Promise<MetaStore> {
  const conn = await connectMysql(target);
  try {
    for (const sql of MYSQL_SESSION_SQL) await conn.query(sql);
    await ensureMysqlMeta(conn);
  } catch (err) {
    await conn.end().catch(() => conn.destroy());
    throw err;
  }
  return new MysqlMetaStore(conn, task);
}
