// The ferry_meta store on the target: task state, snapshot position and per-chunk full-load checkpoints.
// State lives beside the data it describes so that a chunk's rows and its checkpoint commit together.
import type { TableProgress } from './api';
import type { ConnectionConfig } from './connection';
import type { EngineKind } from './model';
import type { SourcePosition } from './position';

/** The schema (PostgreSQL) or database (MySQL/MariaDB) that holds Ferry's state on the target. */
export const META_SCHEMA = 'ferry_meta';

/** A key value as stored in ferry_meta: text as is, binary as hex (JSON cannot carry bytes). */
export type StoredKeyValue = string | { hex: string };

/** One row of ferry_meta.task. */
export interface TaskRecord {
  task: string;
  /** The phase the runner is in (PhaseName or 'none'). */
  phase: string;
  /** TaskState of api.ts. */
  state: string;
  lastError?: string;
  updatedAt?: string;
  /** Where the full load's snapshot was taken; CDC starts here. */
  snapshot?: SourcePosition;
  /** Free-form details (full-load totals, timings, the runner's own fields). */
  details: Record<string, unknown>;
}

/** One row of ferry_meta.chunk: a key range `(lower, upper]` of one source table. */
export interface ChunkRecord {
  /** The source table as `schema.name`. */
  table: string;
  chunkId: number;
  /** null = unbounded on that side. */
  lower: StoredKeyValue[] | null;
  upper: StoredKeyValue[] | null;
  /** Rows the planner expects in the chunk (from sampling/counts; an estimate). */
  estimatedRows: number;
  /** Rows actually copied (0 until done). */
  rows: number;
  bytes: number;
  done: boolean;
  /** How many times a copy of this chunk was started (a kill mid-copy leaves it at 1 and not done). */
  attempts: number;
}

export interface TaskUpdate {
  phase?: string;
  state?: string;
  /** null clears it. */
  lastError?: string | null;
  /** Merged into the stored details (top-level keys replaced). */
  details?: Record<string, unknown>;
}

export interface MetaStore {
  readonly engine: EngineKind;
  readonly task: string;
  loadTask(): Promise<TaskRecord | undefined>;
  /** Creates the task row when missing; updates only the given fields. */
  saveTask(update: TaskUpdate): Promise<void>;
  /**
   * Saves the snapshot position and the full chunk plan in ONE transaction, so that a crash leaves either
   * no plan (start over) or a plan whose chunks are all relative to the saved position.
   */
  saveSnapshotAndPlan(position: SourcePosition, chunks: ChunkRecord[]): Promise<void>;
  /** The saved plan with its checkpoints, of one table or all. */
  loadChunks(table?: string): Promise<ChunkRecord[]>;
  /** Counts a copy attempt of a chunk, in its own transaction (it must survive the chunk's rollback). */
  countAttempt(table: string, chunkId: number): Promise<void>;
  /** Rows copied / planned per table, for `ferry status`. */
  chunkProgress(): Promise<TableProgress[]>;
  /** Forgets the full load (plan, checkpoints, snapshot position): the next run starts from scratch. */
  resetFullLoad(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The key of a task's rows in ferry_meta. PostgreSQL keeps ferry_meta per database, so the task name is
 * enough; MySQL's ferry_meta database is shared by the whole server, so the target database is part of the key
 * (two tasks of the same name into two databases must not see each other's state).
 */
export function metaKey(target: ConnectionConfig, task: string): string {
  return target.engine === 'mysql' ? `${task}@${target.database}` : task;
}

/** Opens (creating on demand) the ferry_meta store on the target for one task; `store.task` is its metaKey. */
export async function openMetaStore(target: ConnectionConfig, task: string): Promise<MetaStore> {
  if (target.engine === 'mysql') {
    const { openMysqlMetaStore } = await import('./mysql/meta');
    return openMysqlMetaStore(target, metaKey(target, task));
  }
  const { openPostgresMetaStore } = await import('./postgres/meta');
  return openPostgresMetaStore(target, task);
}

/** Sums chunk rows into per-table progress (shared by both dialects). */
export function progressFromChunks(chunks: ChunkRecord[]): TableProgress[] {
  const byTable = new Map<string, TableProgress>();
  for (const c of chunks) {
    let p = byTable.get(c.table);
    if (!p) {
      p = { table: c.table, rowsCopied: 0, totalRows: 0, chunksDone: 0, chunksTotal: 0, done: false };
      byTable.set(c.table, p);
    }
    p.chunksTotal++;
    if (c.done) {
      p.chunksDone++;
      p.rowsCopied += c.rows;
      p.totalRows += c.rows;
    } else {
      p.totalRows += c.estimatedRows;
    }
  }
  for (const p of byTable.values()) p.done = p.chunksDone === p.chunksTotal;
  return [...byTable.values()].sort((a, b) => a.table.localeCompare(b.table));
}
