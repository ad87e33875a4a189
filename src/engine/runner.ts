// The phase state machine of one task: pre-check, schema, full load, post-load DDL, incremental —
// resumable from ferry_meta at every step, retrying what a retry can fix.
import type { Passwords } from './api';
import type { ConnectionConfig } from './connection';
import type { Conversion } from './convert/index';
import { buildReport } from './convert/report';
import type { ConversionReport } from './convert/types';
import { CancelledError, FerryError, asFerryError } from './errors';
import { type PhaseName, TaskEvents } from './events';
import { runIncremental } from './cdc/replicator';
import { runFullLoad } from './fullload/index';
import { META_SCHEMA, type MetaStore, metaKey, openMetaStore } from './meta';
import { formatPosition } from './position';
import { failingChecks, runPrecheck } from './precheck';
import { applyPhases, assertTargetFree, convertTaskSchema, isTrigger, type ObjectResult } from './schema';
import { withSession } from './sql-session';
import { type Task, taskConnections } from './task';

export interface RunOptions {
  /** 'full': stop after the full load and the post-load DDL; 'caught-up': stop once incremental lag < 1 s. */
  until?: 'full' | 'caught-up';
  signal?: AbortSignal;
  /** Start despite failed pre-checks (they are listed as warnings). */
  force?: boolean;
  /** Skip the pre-check (resuming a task that passed it). */
  skipPrecheck?: boolean;
}

/** Markers the runner keeps in ferry_meta.task.details. */
interface RunnerDetails {
  /** The schema phase began (the target was checked free); a re-run steps over objects that exist. */
  schemaStarted?: boolean;
  schemaApplied?: boolean;
  fullDone?: boolean;
  postDataStarted?: boolean;
  postDataApplied?: boolean;
}

const MAX_RETRIES = 8;

export class TaskRunner {
  readonly events: TaskEvents;

  constructor(readonly task: Task, private readonly passwords: Passwords, events?: TaskEvents) {
    this.events = events ?? new TaskEvents(task.name);
  }

  /**
   * Runs the task's phases. Retryable faults (lost connections, a restarting server) are retried with
   * backoff from the last checkpoint; anything else stops the run with the task marked failed.
   */
  async run(opts: RunOptions = {}): Promise<void> {
    const signal = opts.signal ?? new AbortController().signal;
    const { source, target } = taskConnections(this.task, this.passwords);
    // A run that committed a checkpoint since the last failure made progress: its next failure starts a fresh
    // series of retries, so a long replication survives any number of spaced-out faults.
    let progressed = false;
    const offCheckpoint = this.events.onType('checkpoint', () => { progressed = true; });
    try {
      await this.runWithRetries(source, target, opts, signal, opts.skipPrecheck ?? false, () => {
        const p = progressed;
        progressed = false;
        return p;
      });
    } finally {
      offCheckpoint();
    }
  }

  private async runWithRetries(source: ConnectionConfig, target: ConnectionConfig, opts: RunOptions, signal: AbortSignal,
    skipPrecheck: boolean, progressedSinceLastFailure: () => boolean): Promise<void> {
    let prechecked = skipPrecheck;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.runOnce(source, target, { ...opts, signal, skipPrecheck: prechecked });
        return;
      } catch (err) {
        const e = signal.aborted ? new CancelledError('stopped') : asFerryError(err);
        if (e instanceof CancelledError || e.code === 'CANCELLED') {
          await this.saveState(target, { state: 'paused', lastError: null });
          this.events.log('stopped; the next run resumes from the last checkpoint');
          return;
        }
        if (e.code !== 'PRECHECK_FAILED') prechecked = true;
        if (progressedSinceLastFailure()) attempt = 0;
        if (!e.retryable || attempt >= MAX_RETRIES) {
          this.events.emit({ type: 'error', code: e.code, message: e.message, fix: e.fix, retryable: false });
          await this.saveState(target, { state: 'failed', lastError: e.oneLine() });
          throw e;
        }
        const delay = Math.min(30_000, 500 * 2 ** attempt);
        this.events.emit({ type: 'error', code: e.code, message: `${e.message} — retry ${attempt + 1}/${MAX_RETRIES} in ${(delay / 1000).toFixed(1)} s`, fix: e.fix, retryable: true });
        await sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) {
          await this.saveState(target, { state: 'paused', lastError: null });
          return;
        }
      }
    }
  }

  private async runOnce(source: ConnectionConfig, target: ConnectionConfig, opts: RunOptions & { signal: AbortSignal }): Promise<void> {
    const { task, events } = this;
    const signal = opts.signal;
    const conversion = await convertTaskSchema(task, source, target);
    for (const w of conversion.warnings) {
      if (w.level !== 'info') events.emit({ type: 'warning', code: w.code, object: w.object, message: w.message, fix: w.fix });
    }
    // A task whose data movement started passed its pre-check then; its own objects on the target are not conflicts.
    if (!opts.skipPrecheck && !(await taskStarted(target, task.name))) await this.precheck(source, target, conversion, opts);
    const report = buildReport(conversion, task.schemaOverrides);
    const meta = await openMetaStore(target, task.name);
    try {
      const record = await meta.loadTask();
      const details = (record?.details ?? {}) as RunnerDetails;
      await meta.saveTask({ state: 'running', lastError: null });
      // `ferry status` and other processes read the latest lag from ferry_meta, saved every 5 s.
      let latestLag: { lagSeconds: number; position: string } | undefined;
      const offLag = events.onType('lag', (e) => { latestLag = { lagSeconds: e.secondsBehind, position: e.position }; });
      const lagRecorder = new LagRecorder(target, task.name);
      const lagSaver = setInterval(() => { if (latestLag) void lagRecorder.save(latestLag); }, 5000);
      try {
        if (task.phases.includes('schema') && !details.schemaApplied) {
          await this.phase(meta, 'schema', async () => {
            const resume = details.schemaStarted === true;
            if (!resume) {
              await assertTargetFree(target, report);
              await meta.saveTask({ details: { schemaStarted: true } });
            }
            assertApplied(await applyPhases(target, report, ['pre-data'], { events, signal, resume }));
            await meta.saveTask({ details: { schemaApplied: true } });
          });
        } else if (task.phases.includes('schema')) {
          events.emit({ type: 'phase', phase: 'schema', status: 'skipped' });
        }

        let snapshot = record?.snapshot;
        if ((task.phases.includes('full') && !details.fullDone) || (!snapshot && task.phases.includes('incremental'))) {
          const copyTables = task.phases.includes('full') ? conversion.tables : [];
          await this.phase(meta, 'full', async () => {
            const result = await runFullLoad({
              task, source, target, tables: copyTables, events, signal,
              parallelism: task.parallelism, chunkRows: task.options.chunkRows,
            });
            snapshot = result.position;
            events.log(`full load: ${result.rows} rows, ${(result.bytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(1)} s; snapshot at ${formatPosition(result.position)}`);
            await meta.saveTask({ details: { fullDone: true } });
          });
        }

        if (task.phases.includes('schema') && !details.postDataApplied) {
          await this.phase(meta, 'indexes', async () => {
            // With replication to follow, triggers wait for the cutover (see isTrigger).
            const replicating = task.phases.includes('incremental');
            const resume = details.postDataStarted === true;
            if (!resume) await meta.saveTask({ details: { postDataStarted: true } });
            assertApplied(await applyPhases(target, report, ['post-data', 'finalize'], { events, signal, resume, parallel: task.parallelism, only: (o) => !replicating || !isTrigger(o) }));
            await meta.saveTask({ details: { postDataApplied: true } });
          });
        }

        if (opts.until === 'full' || !task.phases.includes('incremental')) {
          await meta.saveTask({ state: 'finished' });
          return;
        }
        if (!snapshot) {
          const stored = await meta.loadTask();
          snapshot = stored?.snapshot;
        }
        if (!snapshot) throw new FerryError('NO_START_POSITION', 'there is no saved source position to replicate from', { fix: 'run the full phase first (phases: ["full", "incremental"])' });
        const start = snapshot;
        await this.phase(meta, 'incremental', async () => {
          await runIncremental({
            task, source, target, tables: conversion.tables, start, events, signal,
            parallelism: task.parallelism, until: opts.until === 'caught-up' ? 'caught-up' : undefined,
          });
        });
        await meta.saveTask({ state: signal.aborted ? 'paused' : 'caught_up', details: latestLag ?? {} });
        if (signal.aborted) throw new CancelledError();
      } finally {
        clearInterval(lagSaver);
        offLag();
        await lagRecorder.close();
      }
    } finally {
      await meta.close();
    }
  }

  private async precheck(source: ConnectionConfig, target: ConnectionConfig, conversion: Conversion, opts: RunOptions & { signal: AbortSignal }): Promise<void> {
    this.events.emit({ type: 'phase', phase: 'precheck', status: 'started' });
    const results = await runPrecheck({ task: this.task, source, target, conversion, signal: opts.signal });
    const failing = failingChecks(results);
    if (failing.length > 0 && !opts.force) {
      this.events.emit({ type: 'phase', phase: 'precheck', status: 'failed' });
      throw new FerryError('PRECHECK_FAILED',
        `pre-check failed: ${failing.map((f) => `${f.title}: ${f.message}`).join('; ')}`,
        { fix: failing[0].fix ? `${failing[0].fix} (run \`ferry check\` for all results; --force starts anyway)` : 'run `ferry check` for the details; --force starts anyway' });
    }
    for (const f of failing) {
      this.events.emit({ type: 'warning', code: 'PRECHECK_IGNORED', object: f.object, message: `ignored by --force: ${f.title}: ${f.message}`, fix: f.fix });
    }
    this.events.emit({ type: 'phase', phase: 'precheck', status: 'finished' });
  }

  private async phase(meta: MetaStore, name: PhaseName, fn: () => Promise<void>): Promise<void> {
    this.events.emit({ type: 'phase', phase: name, status: 'started' });
    await meta.saveTask({ phase: name, state: 'running' });
    try {
      await fn();
    } catch (err) {
      const stopped = err instanceof CancelledError || (err as { code?: string }).code === 'CANCELLED';
      this.events.emit({ type: 'phase', phase: name, status: stopped ? 'stopped' : 'failed' });
      throw err;
    }
    this.events.emit({ type: 'phase', phase: name, status: 'finished' });
  }

  private async saveState(target: ConnectionConfig, update: { state: string; lastError: string | null }): Promise<void> {
    try {
      const meta = await openMetaStore(target, this.task.name);
      try { await meta.saveTask(update); } finally { await meta.close(); }
    } catch {
      // The target may be the thing that is down; the state is saved on the next successful run.
    }
  }
}

/** Throws a FerryError naming the first failed object, when any failed. */
export function assertApplied(results: ObjectResult[]): void {
  const failed = results.filter((r) => !r.ok && !r.skipped);
  if (failed.length > 0) {
    throw new FerryError('SCHEMA_APPLY_FAILED', `${failed.length} object(s) failed to apply; first: ${failed[0].id}: ${failed[0].error}`,
      { fix: 'fix the converted DDL with schemaOverrides in the task file (ferry schema lists the ids) or the diff view, then run again' });
  }
}

/**
 * Saves the latest lag on its own connection; a lost connection (a restarted target, a killed session) is
 * opened again at the next save instead of leaving `ferry status` stale.
 */
class LagRecorder {
  private store?: MetaStore;

  constructor(private readonly target: ConnectionConfig, private readonly task: string) {}

  async save(lag: { lagSeconds: number; position: string }): Promise<void> {
    try {
      this.store ??= await openMetaStore(this.target, this.task);
      await this.store.saveTask({ details: lag });
    } catch {
      // The next save reconnects; replication itself reports the fault if it persists.
      const broken = this.store;
      this.store = undefined;
      await broken?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.store?.close().catch(() => undefined);
    this.store = undefined;
  }
}

/** Whether this task's data movement started (a snapshot position in ferry_meta), read without creating ferry_meta. */
async function taskStarted(target: ConnectionConfig, name: string): Promise<boolean> {
  return withSession(target, async (s) => {
    const sql = s.engine === 'postgres'
      ? `SELECT 1 AS x FROM pg_catalog.pg_tables WHERE schemaname = '${META_SCHEMA}' AND tablename = 'task'`
      : `SELECT 1 AS x FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${META_SCHEMA}' AND TABLE_NAME = 'task'`;
    if ((await s.query(sql)).length === 0) return false;
    const rows = s.engine === 'postgres'
      ? await s.query(`SELECT 1 AS x FROM ${META_SCHEMA}.task WHERE name = $1 AND snapshot IS NOT NULL`, [metaKey(target, name)])
      : await s.query(`SELECT 1 AS x FROM \`${META_SCHEMA}\`.task WHERE name = ? AND snapshot IS NOT NULL`, [metaKey(target, name)]);
    return rows.length > 0;
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); reject(new CancelledError()); }, { once: true });
  });
}

export type { ConversionReport };
