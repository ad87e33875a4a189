// runIncremental: reads the source log from the saved position, applies transactions on N workers in
// dependency order, keeps the exactly-once low-water mark in ferry_meta, and reports lag.
import { metaKey } from '../meta';
import pg from 'pg';
import type { ConnectionConfig } from '../connection';
import type { TableMapping } from '../convert/types';
import { CancelledError, FerryError } from '../errors';
import type { TaskEvents } from '../events';
import { qualifiedKey } from '../model';
import { type SourcePosition, compareBinlog, compareLsn, formatPosition } from '../position';
import { connectMysql } from '../mysql/connect';
import type { Task } from '../task';
import { BinlogReader } from '../mysql/binlog';
import { MysqlApplier } from '../mysql/applier';
import { LogicalReader } from '../postgres/logical';
import { PostgresApplier } from '../postgres/applier';
import { pgClientConfig } from '../postgres/connect';
import { type ChangeStream, type PreparedTransaction, type SourceTransaction, isTruncate } from './events';
import { DependencyScheduler } from './scheduler';
import type { TargetApplier } from './target';
import { planTables, prepareTransaction } from './writeset';
import { LowWaterMark } from './low-water';
import { LagMeter } from './lag';
import { convertSourceDdl } from './ddl-convert';

/**
 * Estimated bytes of prepared transactions the scheduler queues before the reader is held back (the readers
 * queue up to 8 MB more, decoded). With a slow or locked target the rest of a burst waits in the source's log.
 */
const QUEUED_BYTES = 24 * 1024 * 1024;

export interface IncrementalContext {
  task: Task;
  source: ConnectionConfig;
  target: ConnectionConfig;
  tables: TableMapping[];
  start: SourcePosition;
  events: TaskEvents;
  signal: AbortSignal;
  parallelism: number;
  until?: 'caught-up';
}

export interface IncrementalResult {
  /** Everything before this source position is applied on the target. */
  position: SourcePosition;
  transactions: number;
  rows: number;
  seconds: number;
  caughtUp: boolean;
}

export async function runIncremental(ctx: IncrementalContext): Promise<IncrementalResult> {
  const started = Date.now();
  let plans = planTables(ctx.tables);
  const byName = () => new Map(plans.map((p) => [qualifiedKey(p.mapping.source), p]));
  let planMap = byName();
  const applier: TargetApplier & { invalidate(i: number): void } = ctx.target.engine === 'mysql'
    // MySQL's ferry_meta is server-wide: the applied marks are keyed like the rest of the task's state.
    ? new MysqlApplier(ctx.target, metaKey(ctx.target, ctx.task.name), () => plans, ctx.source.engine === 'mysql')
    : new PostgresApplier(ctx.target, ctx.task.name, () => plans, ctx.source.engine === 'postgres');
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const workers: Awaited<ReturnType<TargetApplier['openWorker']>>[] = [];
  let reader: ChangeStream | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const state = await applier.loadState();
    const start = state.lowWater?.position ?? ctx.start;
    const mark = new LowWaterMark(state.lowWater ?? { key: '', position: ctx.start });
    for (let i = 0; i < Math.max(1, ctx.parallelism); i++) workers.push(await applier.openWorker());
    const lag = new LagMeter();
    const paused = new Set<string>();
    const scheduler = new DependencyScheduler({
      workers, signal: stop.signal, maxQueuedBytes: QUEUED_BYTES,
      onApplied: (batch) => { for (const tx of batch) { mark.applied(tx.source.key); lag.applied(tx); } },
    });
    const tables = ctx.tables.map((m) => ({ name: { schema: m.source.schema, name: m.source.name }, columns: m.source.columns.map((c) => c.name) }));
    if (ctx.source.engine === 'mysql') {
      if (start.engine !== 'mysql') throw new FerryError('CDC_POSITION', 'the saved position is not a binlog position', { fix: 'run the full load again' });
      const r = new BinlogReader({ source: ctx.source, start, tables, signal: stop.signal });
      await r.start();
      reader = r;
    } else {
      if (start.engine !== 'postgres') throw new FerryError('CDC_POSITION', 'the saved position is not a PostgreSQL LSN', { fix: 'run the full load again' });
      const r = new LogicalReader({ source: ctx.source, start, tables, signal: stop.signal });
      await r.start();
      reader = r;
    }
    ctx.events.log(`incremental: reading ${ctx.source.engine === 'mysql' ? 'binlog' : 'slot'} from ${formatPosition(start)} with ${workers.length} workers`);

    // "Caught up" means level with where the source was when this run started: a keepalive can arrive while
    // the walsender still has backlog, so it only counts once the stream passed that position.
    const goal = ctx.until === 'caught-up' ? await currentSourcePosition(ctx.source) : undefined;
    const reached = (p: SourcePosition) => !goal ? true
      : goal.engine === 'mysql' && p.engine === 'mysql' ? compareBinlog(p, goal) >= 0
        : goal.engine === 'postgres' && p.engine === 'postgres' ? compareLsn(p.lsn, goal.lsn) >= 0 : false;
    let held = 0;
    let caughtUp = false;
    let sawLive = false;
    let saving = false;
    let saveFailing = false;
    const tick = async () => {
      // A batch that failed for good stops the run now, not when the source next sends something: an idle
      // source would otherwise leave the failure unreported and the queue standing still.
      if (scheduler.error && !stop.signal.aborted) { stop.abort(); return; }
      if (saving) return;
      saving = true;
      try {
        const low = mark.current();
        const seconds = lag.secondsBehind(scheduler.oldestQueuedCommitTime());
        const rates = lag.rates();
        ctx.events.emit({ type: 'lag', secondsBehind: seconds, queuedTransactions: scheduler.queued, appliedPerSecond: rates.tx,
          appliedRowsPerSecond: rates.rows, position: formatPosition(low.position) });
        if (mark.dirty()) {
          await applier.saveLowWater(low.key, low.position, seconds);
          saveFailing = false;
          mark.saved();
          reader?.confirm(low.position);
          ctx.events.emit({ type: 'checkpoint', phase: 'incremental', position: formatPosition(low.position) });
        }
        // Under a source that never pauses there is no idle keepalive: having applied past the start goal
        // counts as live too.
        if (goal && reached(low.position)) sawLive = true;
        if (ctx.until === 'caught-up' && sawLive && seconds < 1 && scheduler.queued <= held && !scheduler.error) {
          caughtUp = true;
          stop.abort();
        }
      } catch (err) {
        // Retried at the next tick on a new session; said once per failure streak, not every half second.
        if (!saveFailing) {
          ctx.events.emit({ type: 'warning', code: 'CDC_MARK_NOT_SAVED', message: `saving the applied position on the target failed: ${(err as Error).message}; retrying on a new session`,
            fix: 'nothing to do if it recovers; while it fails, the source keeps its log from the last saved position' });
        }
        saveFailing = true;
      } finally {
        saving = false;
      }
    };
    timer = setInterval(() => void tick(), 500);

    const prepare = async (tx: SourceTransaction): Promise<{ prepared: PreparedTransaction; hold: boolean }> => {
      const hold = tx.changes.some((c) => paused.has(qualifiedKey(c.table)));
      if (tx.ddl) {
        // A PostgreSQL relation change, and any DDL across engines, goes through the schema rules (defaults, types);
        // TRUNCATE and same-engine MySQL statements are the target applier's to adapt.
        let ddl: { statements: string[] } | { reason: string; fix: string };
        let mappings: TableMapping[] | undefined;
        if (!isTruncate(tx.ddl) && (tx.ddl.relation !== undefined || ctx.source.engine !== ctx.target.engine)) {
          const r = await convertSourceDdl(ctx.task, ctx.source, ctx.target, tx.ddl.tables, plans.map((p) => p.mapping), tx.ddl.columns);
          if ('reason' in r) ddl = r;
          else {
            ddl = { statements: r.statements };
            mappings = r.mappings;
            if (r.statements.length === 0) ctx.events.log(`incremental: source DDL on ${tx.ddl.tables.map(qualifiedKey).join(', ')} changed no migrated column; nothing to apply (${tx.ddl.statement.slice(0, 120)})`);
          }
        } else {
          ddl = applier.ddlStatements(tx.ddl, plans);
        }
        const prepared = prepareTransaction({ ...tx, changes: [] }, planMap);
        if ('reason' in ddl) {
          for (const t of tx.ddl.tables) paused.add(qualifiedKey(t));
          ctx.events.emit({ type: 'error', code: 'CDC_TABLE_PAUSED', message: `replication of ${tx.ddl.tables.map(qualifiedKey).join(', ')} is paused: ${ddl.reason}`, fix: ddl.fix, retryable: false });
          prepared.ddlSql = [];
          prepared.barrier = false;
          // A DDL alone is recorded as handled; the table's later changes wait (held) until the task restarts.
          // A relation change that arrives with rows holds those rows too: nothing is lost.
          if (tx.changes.length === 0) return { prepared, hold: false };
          const withRows = prepareTransaction({ ...tx, ddl: undefined }, planMap);
          return { prepared: withRows, hold: true };
        }
        prepared.ddlSql = ddl.statements;
        // Later rows of these tables come in the new column order: the mapping follows the source.
        // Converted mappings, or (same engine) the old ones reshaped to the source's new column list.
        const columns = tx.ddl.columns;
        const next = mappings ? new Map(mappings.map((m) => [qualifiedKey(m.source), m]))
          : ctx.source.engine === ctx.target.engine && columns
            ? new Map(plans.filter((p) => columns[qualifiedKey(p.mapping.source)]).map((p) => [qualifiedKey(p.mapping.source), reshape(p.mapping, columns[qualifiedKey(p.mapping.source)])]))
            : undefined;
        if (next) {
          plans = planTables(plans.map((p) => next.get(qualifiedKey(p.mapping.source)) ?? p.mapping));
          planMap = byName();
          for (const t of tx.ddl.tables) { const p = planMap.get(qualifiedKey(t)); if (p) applier.invalidate(p.index); }
        }
        const rest = prepareTransaction({ ...tx, ddl: undefined }, planMap);
        prepared.changes = rest.changes;
        prepared.writeSet = rest.writeSet;
        prepared.rows = rest.rows;
        return { prepared, hold };
      }
      return { prepared: prepareTransaction(tx, planMap), hold };
    };

    let transactions = 0;
    let rows = 0;
    try {
      for await (const item of reader) {
        if (stop.signal.aborted) break;
        if (item.kind === 'position') {
          lag.sourceAt(item.sourceTime, item.caughtUp && scheduler.queued === held);
          if (item.caughtUp && reached(item.position)) sawLive = true;
          mark.idle(item.position);
          continue;
        }
        const tx = item.tx;
        lag.sourceAt(tx.commitTime, false);
        if (state.applied.has(tx.key) || (state.lowWater && tx.key <= state.lowWater.key)) {
          mark.skip(tx.key, tx.resumeFrom);
          continue;
        }
        const { prepared, hold } = await prepare(tx);
        mark.submitted(tx.key, tx.resumeFrom);
        if (hold) held++;
        await scheduler.submit(prepared, hold);
        transactions++;
        rows += prepared.rows;
      }
    } catch (err) {
      if (!(err instanceof CancelledError) && !stop.signal.aborted) throw err;
    }
    if (scheduler.error) throw scheduler.error;
    if (!ctx.signal.aborted || caughtUp) await scheduler.drain().catch((e: unknown) => { if (!(e instanceof CancelledError)) throw e; });
    await scheduler.settle();
    if (scheduler.error) throw scheduler.error;
    clearInterval(timer);
    timer = undefined;
    const low = mark.current();
    await applier.saveLowWater(low.key, low.position, lag.secondsBehind(undefined));
    reader.confirm(low.position);
    if (ctx.signal.aborted && !caughtUp) throw new CancelledError('incremental sync stopped; the position is saved and the next run resumes there');
    return { position: low.position, transactions, rows, seconds: (Date.now() - started) / 1000, caughtUp };
  } finally {
    if (timer) clearInterval(timer);
    ctx.signal.removeEventListener('abort', onAbort);
    stop.abort();
    await reader?.close().catch(() => undefined);
    for (const w of workers) await w.close().catch(() => undefined);
    await applier.close().catch(() => undefined);
  }
}

/** The source's current log end: MySQL binlog file/position, PostgreSQL current WAL LSN. */
async function currentSourcePosition(source: ConnectionConfig): Promise<SourcePosition> {
  if (source.engine === 'mysql') {
    const c = await connectMysql(source, null);
    try {
      const [rows] = await c.query('SHOW MASTER STATUS') as unknown as [{ File: string; Position: number | string }[]];
      if (!rows[0]) throw new FerryError('CDC_BINLOG_OFF', 'the source has no binary log (SHOW MASTER STATUS is empty)', { fix: 'enable log_bin on the source and restart it' });
      return { engine: 'mysql', file: rows[0].File, pos: Number(rows[0].Position) };
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  const c = await openLookup(source);
  try {
    const r = await c.query('SELECT pg_current_wal_lsn()::text AS lsn');
    return { engine: 'postgres', lsn: r.rows[0].lsn as string, slot: '', publication: '' };
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function openLookup(source: ConnectionConfig): Promise<pg.Client> {
  const c = new pg.Client(pgClientConfig(source));
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** A table mapping whose source/target columns follow the live source column list after a same-engine DDL. */
function reshape(m: TableMapping, columns: string[]): TableMapping {
  const newCols = columns.map((name) => m.columns.find((c) => c.source.name === name) ?? (() => {
    const col = { name, type: { kind: 'other' as const, native: '' }, native: '', nullable: true };
    return { source: col, target: { ...col } };
  })());
  return {
    ...m,
    source: { ...m.source, columns: newCols.map((c) => c.source) },
    target: { ...m.target, columns: newCols.map((c) => c.target) },
    columns: newCols,
  };
}
