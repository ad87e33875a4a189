// The full load's contracts between the dialect readers/writers and the shared copier.
import type { Readable } from 'node:stream';
import type { ConnectionConfig } from '../connection';
import type { ColumnMapping, TableMapping, SourceValue } from '../convert/types';
import type { TaskEvents } from '../events';
import type { QualifiedName, Table } from '../model';
import type { SourcePosition } from '../position';
import type { Task } from '../task';
import type { Chunk, KeyTuple } from './planner';

export interface FullLoadContext {
  task: Task;
  source: ConnectionConfig;
  target: ConnectionConfig;
  tables: TableMapping[];
  events: TaskEvents;
  signal: AbortSignal;
  parallelism: number;
  chunkRows: number;
  /**
   * false: only take the snapshot and save its position (publication/slot over `tables`), copy nothing —
   * for tasks that replicate changes into tables the user filled another way. Default true.
   */
  copyRows?: boolean;
}

export interface FullLoadResult {
  position: SourcePosition;
  rows: number;
  bytes: number;
  seconds: number;
}

/** The queries the shared key profiler needs from a source connection (all inside the snapshot). */
export interface KeySource {
  /** Exact row count when cheap enough, else the catalog's estimate. */
  countRows(table: Table): Promise<number>;
  /** Min and max of a single integer key as decimal text; null when the table is empty. */
  integerKeyRange(table: Table, column: string): Promise<{ min: string; max: string } | null>;
  /** The key `step` rows after `after` (exclusive; null = from the start) in key order, or null past the end. */
  keyAfter(table: Table, key: string[], after: KeyTuple | null, step: number): Promise<KeyTuple | null>;
}

/** One source connection inside the consistent snapshot. */
export interface SourceSession extends KeySource {
  /** Rows of one chunk, values in the order of spec.columns, as SourceValue[] (object mode, back-pressured). */
  readChunk(spec: CopySpec, chunk: Chunk): Readable;
  close(): Promise<void>;
}

/** Everything in one snapshot: its position and one session per copy worker. */
export interface SourceSnapshot {
  position: SourcePosition;
  sessions: SourceSession[];
  /** Releases the sessions (ends their transactions); the slot/publication stay for CDC. */
  close(): Promise<void>;
}

/** How one table's rows travel: the copied columns and the row converter. */
export interface CopySpec {
  mapping: TableMapping;
  /** The copied columns in reader/writer order (generated target columns are left out). */
  columns: ColumnMapping[];
  /** `schema.name` of the source table, as ferry_meta and events name it. */
  tableId: string;
  /** Source row -> target row; throws ValueConversionError naming table, key, column and value. */
  convertRow(row: SourceValue[]): TargetRow;
}

/** Where a chunk's checkpoint goes (written in the chunk's own target transaction). */
export interface ChunkCheckpoint {
  task: string;
  table: string;
  chunkId: number;
}

export interface WriteResult {
  rows: number;
  bytes: number;
}

/** One row as it reaches the writer: already converted to the target's input text form. */
export type TargetRow = (string | Buffer | null)[];

/** One target connection that writes chunks. */
export interface TargetSession {
  /** Rows in a target table (0 when empty); cheap for the empty case. */
  countRows(table: QualifiedName): Promise<number>;
  /**
   * Writes the rows of one chunk and, when `checkpoint` is given, marks it done — all in one target
   * transaction; on any error (or abort) the transaction rolls back and nothing is marked.
   */
  writeChunk(spec: CopySpec, rows: Readable, checkpoint: ChunkCheckpoint | null, signal?: AbortSignal, onRows?: (rows: number) => void): Promise<WriteResult>;
  close(): Promise<void>;
}

export type { SourceValue };
