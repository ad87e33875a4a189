// runFullLoad: snapshot (or resume), plan, save position + plan in ferry_meta, copy chunks in parallel with checkpoints.
import { type ConnectionConfig, describeConnection } from '../connection';
import { FerryError, asFerryError } from '../errors';
import { type ChunkRecord, type MetaStore, openMetaStore } from '../meta';
import { quoteMysqlIdent } from '../mysql/connect';
import { formatPosition } from '../position';
import { quotePgIdent } from '../postgres/connect';
import { withSession } from '../sql-session';
import { buildCopySpec } from './copy-spec';
import { checkResumable, fromRecord, keylessUnfinished, planTables, refuseNonEmptyTargets, toRecords } from './checkpoint';
import { copyChunks, interleave, type WorkItem } from './copier';
import { openSnapshot, openTargets, reopenSnapshot } from './endpoints';
import { ProgressTracker } from './progress';
import type { FullLoadContext, FullLoadResult, SourceSnapshot, TargetSession } from './types';

/**
 * Copies every row of ctx.tables as of one consistent snapshot. Resumable: chunks commit with their
 * checkpoint, and a re-run copies only the chunks not marked done (see reopenSnapshot for why a new view is
 * safe for those). The target tables must exist; indexes/FKs come after (schema phase 'post-data').
 */
export async function runFullLoad(ctx: FullLoadContext): Promise<FullLoadResult> {
  const started = Date.now();
  const { task, events, signal } = ctx;
  const parallelism = Math.max(1, ctx.parallelism);
  const specs = ctx.copyRows === false ? [] : ctx.tables.map(buildCopySpec);
  const describeTarget = (q: { schema: string; name: string }) => `${q.schema}.${q.name}`;
  let meta: MetaStore | undefined;
  let snapshot: SourceSnapshot | undefined;
  let targets: TargetSession[] = [];
  const progress = new ProgressTracker(events);
  try {
    meta = await openMetaStore(ctx.target, task.name);
    const record = await meta.loadTask();
    let saved: ChunkRecord[] = record?.snapshot ? await meta.loadChunks() : [];
    let resume = record?.snapshot !== undefined && saved.length > 0;
    if (resume) {
      checkResumable(specs, saved);
      const keyless = keylessUnfinished(specs, saved);
      if (keyless.length > 0) {
        events.emit({ type: 'warning', code: 'FULL_LOAD_RESTARTED', object: keyless[0],
          message: `the interrupted full load starts over from a new snapshot: ${keyless.join(', ')} has no key, so its partial copy cannot be completed from a later view without duplicating rows the incremental phase replays`,
          fix: 'give the table a primary key (or a NOT NULL unique key) to make an interrupted full load resume chunk by chunk' });
        // Forget first, then empty: a crash in between leaves rows without checkpoints, which the next run
        // refuses to copy over (TARGET_NOT_EMPTY) instead of trusting checkpoints of rows that are gone.
        await meta.resetFullLoad();
        await emptyTargetTables(ctx.target, specs);
        resume = false;
      }
    }
    if (!resume) saved = [];

    targets = await openTargets(ctx.target, parallelism);
    await refuseNonEmptyTargets(specs, saved, targets[0], describeTarget);
    signal.throwIfAborted();

    const request = { source: ctx.source, tables: ctx.tables.map((m) => m.source), parallelism, task,
      forIncremental: task.phases.includes('incremental'), events, signal };
    if (resume && record?.snapshot) {
      snapshot = await reopenSnapshot(request, record.snapshot);
      events.log(`resuming the full load from ${describeConnection(ctx.source)}; changes since ${formatPosition(snapshot.position)} are replayed by the incremental phase`);
    } else {
      snapshot = await openSnapshot(request);
      const plans = await planTables(specs, snapshot.sessions, ctx.chunkRows, signal);
      saved = toRecords(plans);
      // Position and plan together, before any row is copied: the incremental phase starts exactly here.
      await meta.saveSnapshotAndPlan(snapshot.position, saved);
      events.emit({ type: 'checkpoint', phase: 'full', position: formatPosition(snapshot.position), detail: `snapshot taken, ${saved.length} chunks planned` });
    }
    await meta.saveTask({ phase: 'full', state: 'running', lastError: null });

    const perTable: WorkItem[][] = specs.map((spec) => {
      const chunks = saved.filter((c) => c.table === spec.tableId);
      const done = chunks.filter((c) => c.done);
      progress.addTable(spec.tableId, chunks.reduce((s, c) => s + (c.done ? c.rows : c.estimatedRows), 0),
        done.reduce((s, c) => s + c.rows, 0), done.reduce((s, c) => s + c.bytes, 0));
      return chunks.filter((c) => !c.done).map((c) => ({ spec, chunk: fromRecord(c), of: chunks.length }));
    });
    progress.start();
    await copyChunks({ task: meta.task, items: interleave(perTable), sources: snapshot.sessions, targets, meta, events, progress, signal });
    progress.stop();

    const totals = progress.totals();
    const seconds = (Date.now() - started) / 1000;
    await meta.saveTask({ details: { fullLoad: { finishedAt: new Date().toISOString(), rows: totals.rows, bytes: totals.bytes, seconds } } });
    return { position: snapshot.position, rows: totals.rows, bytes: totals.bytes, seconds };
  } catch (err) {
    progress.stop();
    const e = err instanceof FerryError ? err : asFerryError(err, 'full load');
    if (meta && e.code !== 'CANCELLED') await meta.saveTask({ state: 'failed', lastError: e.message }).catch(() => undefined);
    if (meta && e.code === 'CANCELLED') await meta.saveTask({ state: 'paused' }).catch(() => undefined);
    throw e;
  } finally {
    await snapshot?.close().catch(() => undefined);
    await Promise.all(targets.map((t) => t.close().catch(() => undefined)));
    await meta?.close();
  }
}

/** Empties the task's target tables (only ever ones this task's checkpoints filled: see refuseNonEmptyTargets). */
async function emptyTargetTables(target: ConnectionConfig, specs: { mapping: { target: { schema: string; name: string } } }[]): Promise<void> {
  if (specs.length === 0) return;
  const q = target.engine === 'mysql' ? quoteMysqlIdent : quotePgIdent;
  await withSession(target, async (s) => {
    for (const spec of specs) await s.query(`TRUNCATE TABLE ${q(spec.mapping.target.schema)}.${q(spec.mapping.target.name)}`);
  });
}
