// The engine's public surface: what the CLI and the extension call. Everything here runs headless.
import type { EngineKind } from './model';
import type { PhaseName } from './events';

export type CheckLevel = 'pass' | 'warn' | 'fail';

/** One pre-check result (ARCHITECTURE.md: {id, level, message, fix}). */
export interface CheckResult {
  /** Stable id, e.g. `source.binlog_format`, `target.privileges`, `table.no_primary_key`. */
  id: string;
  level: CheckLevel;
  /** Short title, e.g. "Binlog format". */
  title: string;
  message: string;
  /** The concrete statement or setting to change. */
  fix?: string;
  /** The object it is about (table id), when it is about one. */
  object?: string;
}

export interface ConnectionTestResult {
  engine: EngineKind;
  /** e.g. `10.11.6-MariaDB` or `PostgreSQL 15.5`. */
  version: string;
  /** Replication settings that matter, each with whether it is fit for CDC. */
  settings: { name: string; value: string; ok: boolean; fix?: string }[];
}

export interface TableInfo {
  schema: string;
  name: string;
  estimatedRows: number;
}

export type TaskState = 'not_started' | 'running' | 'paused' | 'failed' | 'caught_up' | 'switched' | 'finished';

export interface TableProgress {
  table: string;
  rowsCopied: number;
  totalRows: number;
  chunksDone: number;
  chunksTotal: number;
  done: boolean;
}

/** What `ferry status` shows, read from ferry_meta on the target. */
export interface TaskStatus {
  task: string;
  phase: PhaseName | 'none';
  state: TaskState;
  tables: TableProgress[];
  /** Source position applied up to (printable). */
  position?: string;
  lagSeconds?: number;
  lastError?: string;
  updatedAt?: string;
}

export interface RowDifference {
  /** Key column values as text, in key order. */
  key: string[];
  kind: 'missing' | 'extra' | 'changed';
}

export interface TableVerify {
  table: string;
  sourceRows: number;
  targetRows: number;
  chunks: number;
  mismatchedChunks: number;
  differences: RowDifference[];
  repaired: number;
}

export interface VerifyReport {
  equal: boolean;
  tables: TableVerify[];
  rowsCompared: number;
  startedAt: string;
  finishedAt: string;
}

export interface CutoverReport {
  startedAt: string;
  finishedAt: string;
  finalPosition: string;
  rows: number;
  differences: number;
  sourceReadOnly: boolean;
  steps: { name: string; ok: boolean; detail: string; seconds: number }[];
}
