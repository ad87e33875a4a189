// The engine's public surface: what the CLI and the extension call. Everything here runs headless.
import type { EngineKind } from './model';
import type { PhaseName } from './events';
import type { ConnectionConfig } from './connection';
import type { ConversionReport } from './convert/types';
import type { TaskEvents } from './events';
import {
  type ObjectResult, applyPhases, assertTargetFree, buildReport, convertTaskSchema, validateObjectDdl,
} from './schema';
import { withSession } from './sql-session';
import { type Task, taskConnections } from './task';
import type { Conversion } from './convert/index';
import { ConnectionError, asFerryError } from './errors';
import { openMetaStore } from './meta';
import { formatPosition } from './position';
import { runPrecheck } from './precheck';
import { verifyTables } from './verify';

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
  /** With `reverse`: the task that replicates from the new primary back to the old source (write it, run it). */
  reverseTask?: Task;
}

// ---- functions -------------------------------------------------------------------------------------------

export type Passwords = { source?: string; target?: string };

/** Connects, reads the server version and the replication settings that matter for a migration source. */
export async function testConnection(cfg: ConnectionConfig, signal?: AbortSignal): Promise<ConnectionTestResult> {
  signal?.throwIfAborted();
  return withSession(cfg, async (s) => {
    if (s.engine === 'mysql') {
      const v = await s.query(`SELECT VERSION() AS v, @@log_bin AS log_bin, @@binlog_format AS fmt, @@binlog_row_image AS img,
        @@server_id AS sid, @@gtid_binlog_pos AS gtid`).catch(async () =>
        s.query(`SELECT VERSION() AS v, @@log_bin AS log_bin, @@binlog_format AS fmt, @@binlog_row_image AS img, @@server_id AS sid, @@gtid_mode AS gtid`));
      const r = v[0] ?? {};
      return {
        engine: 'mysql' as const,
        version: String(r.v),
        settings: [
          { name: 'log_bin', value: String(r.log_bin), ok: String(r.log_bin) === '1', fix: String(r.log_bin) === '1' ? undefined : 'set log_bin (and server_id) in the server configuration and restart' },
          { name: 'binlog_format', value: String(r.fmt), ok: r.fmt === 'ROW', fix: r.fmt === 'ROW' ? undefined : 'SET GLOBAL binlog_format = ROW (and binlog_format=ROW in my.cnf)' },
          { name: 'binlog_row_image', value: String(r.img), ok: r.img === 'FULL', fix: r.img === 'FULL' ? undefined : 'SET GLOBAL binlog_row_image = FULL (and in my.cnf)' },
          { name: 'server_id', value: String(r.sid), ok: String(r.sid) !== '0', fix: String(r.sid) !== '0' ? undefined : 'set server_id to a non-zero value in my.cnf and restart' },
          { name: 'gtid', value: String(r.gtid ?? ''), ok: true },
        ],
      };
    }
    const rows = await s.query(`SELECT version() AS v, current_setting('wal_level') AS wal, current_setting('max_replication_slots') AS slots,
      (SELECT count(*) FROM pg_replication_slots) AS used, current_setting('max_wal_senders') AS senders`);
    const r = rows[0] ?? {};
    const free = Number(r.slots) - Number(r.used);
    return {
      engine: 'postgres' as const,
      version: String(r.v).split(' on ')[0],
      settings: [
        { name: 'wal_level', value: String(r.wal), ok: r.wal === 'logical', fix: r.wal === 'logical' ? undefined : "ALTER SYSTEM SET wal_level = 'logical'; then restart PostgreSQL" },
        { name: 'free replication slots', value: `${free} of ${String(r.slots)}`, ok: free > 0, fix: free > 0 ? undefined : 'drop unused slots or raise max_replication_slots and restart' },
        { name: 'max_wal_senders', value: String(r.senders), ok: Number(r.senders) > 0, fix: Number(r.senders) > 0 ? undefined : 'raise max_wal_senders and restart' },
      ],
    };
  });
}

/** Databases the user can see (MySQL/MariaDB system schemas and PostgreSQL templates left out). */
export async function listDatabases(cfg: ConnectionConfig): Promise<string[]> {
  return withSession(cfg, async (s) => {
    const rows = s.engine === 'mysql'
      ? await s.query(`SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql','information_schema','performance_schema','sys','ferry_meta') ORDER BY 1`)
      : await s.query(`SELECT datname AS n FROM pg_database WHERE NOT datistemplate AND datallowconn ORDER BY 1`);
    return rows.map((r) => String(r.n));
  });
}

/** Tables of one database (PostgreSQL: of every user schema), with the catalog's row estimate. */
export async function listTables(cfg: ConnectionConfig, database: string): Promise<TableInfo[]> {
  if (cfg.engine === 'mysql') {
    return withSession(cfg, async (s) => {
      const rows = await s.query(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, COALESCE(TABLE_ROWS, 0) AS r FROM information_schema.TABLES
        WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, [database]);
      return rows.map((r) => ({ schema: String(r.s), name: String(r.n), estimatedRows: Number(r.r) }));
    }, null);
  }
  return withSession({ ...cfg, database }, async (s) => {
    const rows = await s.query(`SELECT n.nspname AS s, c.relname AS n, greatest(c.reltuples, 0)::bigint AS r FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog','information_schema','ferry_meta') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY 1, 2`);
    return rows.map((r) => ({ schema: String(r.s), name: String(r.n), estimatedRows: Number(r.r) }));
  });
}

/** The conversion report of a task: source and target DDL per object, overrides applied, Warnings. */
export async function convertTask(task: Task, passwords: Passwords): Promise<ConversionReport> {
  const { source, target } = taskConnections(task, passwords);
  const conversion = await convertTaskSchema(task, source, target);
  return buildReport(conversion, task.schemaOverrides);
}

/** Checks DDL for one object against the target without changing the target. */
export async function validateDdl(task: Task, passwords: Passwords, objectId: string, ddl: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const { source, target } = taskConnections(task, passwords);
  const report = buildReport(await convertTaskSchema(task, source, target), task.schemaOverrides);
  return validateObjectDdl(target, report, objectId, ddl);
}

/**
 * Applies the converted schema (with overrides) to an empty target — `ferry schema --apply` and the diff
 * view's Apply. A task that also copies data gets only its 'pre-data' objects now (tables, types, sequences):
 * indexes, FKs and views go on after the load, when `ferry run` continues from the mark saved here.
 */
export async function applySchema(task: Task, passwords: Passwords, events?: TaskEvents, signal?: AbortSignal): Promise<ObjectResult[]> {
  const { source, target } = taskConnections(task, passwords);
  const report = buildReport(await convertTaskSchema(task, source, target), task.schemaOverrides);
  await assertTargetFree(target, report);
  const copiesData = task.phases.includes('full') || task.phases.includes('incremental');
  const results = await applyPhases(target, report, copiesData ? ['pre-data'] : ['pre-data', 'post-data', 'finalize'], { events, signal });
  if (results.every((r) => r.ok)) {
    const meta = await openMetaStore(target, task.name);
    try {
      await meta.saveTask({ details: copiesData ? { schemaApplied: true } : { schemaApplied: true, postDataApplied: true } });
    } finally {
      await meta.close();
    }
  }
  return results;
}

/** Every pre-check of a task (both sides, the converted schema's Warnings, the target's current contents). */
export async function precheckTask(task: Task, passwords: Passwords, signal?: AbortSignal): Promise<CheckResult[]> {
  const { source, target } = taskConnections(task, passwords);
  let conversion: Conversion | undefined;
  const extra: CheckResult[] = [];
  try {
    conversion = await convertTaskSchema(task, source, target);
  } catch (err) {
    // Connection problems are reported by the connectivity checks themselves; anything else is a check of its own.
    const e = asFerryError(err);
    if (!(e instanceof ConnectionError)) {
      extra.push({ id: 'schema.conversion', level: 'fail', title: 'Schema conversion', message: e.message, fix: e.fix });
    }
  }
  const results = await runPrecheck({ task, source, target, conversion, signal });
  return [...results, ...extra];
}

/** Compares source and target table by table (chunk checksums, then the differing rows); `repair` re-copies them. */
export async function verifyTask(task: Task, passwords: Passwords, opts: { repair?: boolean; signal?: AbortSignal; events?: TaskEvents } = {}): Promise<VerifyReport> {
  const { source, target } = taskConnections(task, passwords);
  const conversion = await convertTaskSchema(task, source, target);
  return verifyTables({
    source, target, tables: conversion.tables, chunkRows: Math.min(task.options.chunkRows, 20_000),
    repair: opts.repair, signal: opts.signal, events: opts.events,
  });
}

/** Phase, state, progress, position, lag and last error of a task, from ferry_meta on the target. */
export async function taskStatus(task: Task, passwords: Passwords): Promise<TaskStatus> {
  const { target } = taskConnections(task, passwords);
  const meta = await openMetaStore(target, task.name);
  try {
    const record = await meta.loadTask();
    const tables = await meta.chunkProgress();
    const details = record?.details ?? {};
    const lag = typeof details.lagSeconds === 'number' ? details.lagSeconds : undefined;
    return {
      task: task.name,
      phase: (record?.phase ?? 'none') as TaskStatus['phase'],
      state: (record?.state ?? 'not_started') as TaskState,
      tables,
      position: typeof details.position === 'string' ? details.position : record?.snapshot ? formatPosition(record.snapshot) : undefined,
      lagSeconds: lag,
      lastError: record?.lastError,
      updatedAt: record?.updatedAt,
    };
  } finally {
    await meta.close();
  }
}

export { TaskRunner, assertApplied } from './runner';
export { cutoverTask } from './cutover';
