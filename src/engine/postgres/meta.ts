// ferry_meta on a PostgreSQL target: schema ferry_meta with tables task and chunk.
import type pg from 'pg';
import type { ConnectionConfig } from '../connection';
import { FerryError, asFerryError } from '../errors';
import { META_SCHEMA, type ChunkRecord, type MetaStore, type TaskRecord, type TaskUpdate, progressFromChunks } from '../meta';
import type { SourcePosition } from '../position';
import { PG_SESSION_SQL } from '../sessions';
import type { TableProgress } from '../api';
import { connectPostgres } from './connect';

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${META_SCHEMA}`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.task (
     name text PRIMARY KEY,
     phase text NOT NULL DEFAULT 'none',
     state text NOT NULL DEFAULT 'not_started',
     last_error text,
     updated_at timestamptz NOT NULL DEFAULT now(),
     snapshot jsonb,
     details jsonb NOT NULL DEFAULT '{}'::jsonb)`,
  `CREATE TABLE IF NOT EXISTS ${META_SCHEMA}.chunk (
     task text NOT NULL,
     table_name text NOT NULL,
     chunk_id integer NOT NULL,
     bounds jsonb NOT NULL,
     estimated_rows bigint NOT NULL DEFAULT 0,
     rows bigint NOT NULL DEFAULT 0,
     bytes bigint NOT NULL DEFAULT 0,
     done boolean NOT NULL DEFAULT false,
     attempts integer NOT NULL DEFAULT 0,
     updated_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (task, table_name, chunk_id))`,
];

/** Creates ferry_meta's schema and tables when missing; an advisory lock keeps concurrent first runs apart. */
export async function ensurePostgresMeta(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('ferry_meta.ddl'))");
    for (const sql of DDL) await client.query(sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw asFerryError(err, `creating ${META_SCHEMA} on the target`);
  }
}

/**
 * Marks a chunk copied. Call it inside the transaction that wrote the chunk's rows: the invariant
 * "a chunk is marked done if and only if its rows are committed" rests on that.
 */
export async function markChunkDonePostgres(client: pg.Client, task: string, table: string, chunkId: number, rows: number, bytes: number): Promise<void> {
  const r = await client.query(
    `UPDATE ${META_SCHEMA}.chunk SET done = true, rows = $4, bytes = $5, updated_at = now()
      WHERE task = $1 AND table_name = $2 AND chunk_id = $3 AND NOT done`,
    [task, table, chunkId, rows, bytes]);
  if (r.rowCount !== 1) {
    // Another run copied it meanwhile (two runners on one task) — committing would duplicate its rows.
    throw new FerryError('CHUNK_CONFLICT', `chunk ${chunkId} of ${table} is already marked done or missing in ${META_SCHEMA}.chunk`,
      { fix: 'another run of the same task is probably active: stop it, then run again' });
  }
}

function parseJson<T>(v: unknown): T | undefined {
  if (v === null || v === undefined) return undefined;
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function chunkFromRow(r: Record<string, unknown>): ChunkRecord {
  const bounds = parseJson<{ lower: ChunkRecord['lower']; upper: ChunkRecord['upper'] }>(r.bounds) ?? { lower: null, upper: null };
  return {
    table: String(r.table_name), chunkId: Number(r.chunk_id), lower: bounds.lower, upper: bounds.upper,
    estimatedRows: Number(r.estimated_rows), rows: Number(r.rows), bytes: Number(r.bytes),
    done: r.done === true || r.done === 't', attempts: Number(r.attempts),
  };
}

class PostgresMetaStore implements MetaStore {
  readonly engine = 'postgres' as const;
  constructor(private readonly client: pg.Client, readonly task: string) {}

  async loadTask(): Promise<TaskRecord | undefined> {
    const r = await this.client.query(`SELECT name, phase, state, last_error, updated_at, snapshot, details FROM ${META_SCHEMA}.task WHERE name = $1`, [this.task]);
    const row = r.rows[0];
    if (!row) return undefined;
    return {
      task: row.name, phase: row.phase, state: row.state, lastError: row.last_error ?? undefined, updatedAt: row.updated_at,
      snapshot: parseJson<SourcePosition>(row.snapshot), details: parseJson<Record<string, unknown>>(row.details) ?? {},
    };
  }

  async saveTask(u: TaskUpdate): Promise<void> {
    await this.client.query(
      `INSERT INTO ${META_SCHEMA}.task AS t (name, phase, state, last_error, details)
       VALUES ($1, COALESCE($2, 'none'), COALESCE($3, 'not_started'), $4, COALESCE($5::jsonb, '{}'::jsonb))
       ON CONFLICT (name) DO UPDATE SET
         phase = COALESCE($2, t.phase), state = COALESCE($3, t.state),
         last_error = CASE WHEN $6 THEN $4 ELSE t.last_error END,
         details = t.details || COALESCE($5::jsonb, '{}'::jsonb), updated_at = now()`,
      [this.task, u.phase ?? null, u.state ?? null, u.lastError ?? null, u.details ? JSON.stringify(u.details) : null, u.lastError !== undefined]);
  }

  async saveSnapshotAndPlan(position: SourcePosition, chunks: ChunkRecord[]): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query(`INSERT INTO ${META_SCHEMA}.task (name, snapshot) VALUES ($1, $2::jsonb)
        ON CONFLICT (name) DO UPDATE SET snapshot = EXCLUDED.snapshot, updated_at = now()`, [this.task, JSON.stringify(position)]);
      await this.client.query(`DELETE FROM ${META_SCHEMA}.chunk WHERE task = $1`, [this.task]);
      // Batches keep each statement's parameter count bounded for plans with many chunks.
      for (let i = 0; i < chunks.length; i += 500) {
        const batch = chunks.slice(i, i + 500);
        const params: unknown[] = [];
        const values = batch.map((c) => {
          params.push(this.task, c.table, c.chunkId, JSON.stringify({ lower: c.lower, upper: c.upper }), c.estimatedRows);
          const b = params.length - 5;
          return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::jsonb, $${b + 5})`;
        });
        await this.client.query(`INSERT INTO ${META_SCHEMA}.chunk (task, table_name, chunk_id, bounds, estimated_rows) VALUES ${values.join(', ')}`, params);
      }
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw asFerryError(err, `saving the full-load plan in ${META_SCHEMA}`);
    }
  }

  async loadChunks(table?: string): Promise<ChunkRecord[]> {
    const r = table === undefined
      ? await this.client.query(`SELECT * FROM ${META_SCHEMA}.chunk WHERE task = $1 ORDER BY table_name, chunk_id`, [this.task])
      : await this.client.query(`SELECT * FROM ${META_SCHEMA}.chunk WHERE task = $1 AND table_name = $2 ORDER BY chunk_id`, [this.task, table]);
    return r.rows.map(chunkFromRow);
  }

  async countAttempt(table: string, chunkId: number): Promise<void> {
    await this.client.query(`UPDATE ${META_SCHEMA}.chunk SET attempts = attempts + 1, updated_at = now() WHERE task = $1 AND table_name = $2 AND chunk_id = $3`,
      [this.task, table, chunkId]);
  }

  async chunkProgress(): Promise<TableProgress[]> {
    return progressFromChunks(await this.loadChunks());
  }

  async resetFullLoad(): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await this.client.query(`DELETE FROM ${META_SCHEMA}.chunk WHERE task = $1`, [this.task]);
      await this.client.query(`UPDATE ${META_SCHEMA}.task SET snapshot = NULL, updated_at = now() WHERE name = $1`, [this.task]);
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw asFerryError(err, `resetting the full load in ${META_SCHEMA}`);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export async function openPostgresMetaStore(target: ConnectionConfig, task: string): Promise<MetaStore> {
  const client = await connectPostgres(target);
  try {
    for (const sql of PG_SESSION_SQL) await client.query(sql);
    await ensurePostgresMeta(client);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return new PostgresMetaStore(client, task);
}
