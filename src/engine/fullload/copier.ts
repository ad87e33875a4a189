// The parallel copier: N workers, each with one source snapshot session and one target session, copy chunks
// from a shared queue in which the chunks of big tables are interleaved with the rest.
import { CancelledError, FerryError, asFerryError } from '../errors';
import type { TaskEvents } from '../events';
import type { MetaStore } from '../meta';
import type { Chunk } from './planner';
import type { ProgressTracker } from './progress';
import type { CopySpec, SourceSession, TargetSession, WriteResult } from './types';
import { PostgresSourceSession } from '../postgres/reader';
import { PostgresTargetSession } from '../postgres/writer';
import { MysqlSourceSession } from '../mysql/reader';

export interface WorkItem {
  spec: CopySpec;
  chunk: Chunk;
  /** Chunks in this table's plan (for messages). */
  of: number;
}

/** Round-robin over tables (largest first), so every worker has a big table's chunk to take while small tables finish. */
export function interleave(perTable: WorkItem[][]): WorkItem[] {
  const queues = [...perTable].filter((q) => q.length > 0)
    .sort((a, b) => b.reduce((s, w) => s + w.chunk.estimatedRows, 0) - a.reduce((s, w) => s + w.chunk.estimatedRows, 0));
  const out: WorkItem[] = [];
  for (let i = 0; queues.some((q) => i < q.length); i++) {
    for (const q of queues) if (i < q.length) out.push(q[i]);
  }
  return out;
}

/** PostgreSQL -> PostgreSQL with no converter: COPY text passes through untouched (no parse, no encode). */
function canPassThrough(item: WorkItem, source: SourceSession, target: TargetSession): boolean {
  return source instanceof PostgresSourceSession && target instanceof PostgresTargetSession && item.spec.columns.every((c) => !c.convert);
}

export interface CopyOptions {
  task: string;
  items: WorkItem[];
  sources: SourceSession[];
  targets: TargetSession[];
  /** Absent for a copy without checkpoints (copyTableOnce). */
  meta?: MetaStore;
  events: TaskEvents;
  progress: ProgressTracker;
  signal: AbortSignal;
}

async function copyOne(item: WorkItem, source: SourceSession, target: TargetSession, o: CopyOptions, signal: AbortSignal): Promise<WriteResult> {
  const { spec, chunk } = item;
  if (o.meta) await o.meta.countAttempt(spec.tableId, chunk.id);
  const checkpoint = o.meta ? { task: o.task, table: spec.tableId, chunkId: chunk.id } : null;
  let counted = 0;
  try {
    let result: WriteResult;
    if (canPassThrough(item, source, target)) {
      const raw = (source as PostgresSourceSession).readChunkRaw(spec, chunk);
      result = await (target as PostgresTargetSession).writeChunkRaw(spec, raw, checkpoint, signal);
      o.progress.rows(spec.tableId, result.rows);
      counted = result.rows;
    } else {
      // No 'data' listener on the reader: it would start the flow before the writer is piped and lose rows.
      // MySQL -> PostgreSQL: rows arrive as COPY text encoded from the packets' bytes (mysql-copy-text.ts).
      const rows = source instanceof MysqlSourceSession && target instanceof PostgresTargetSession
        ? source.readChunkCopyText(spec, chunk) : source.readChunk(spec, chunk);
      result = await target.writeChunk(spec, rows, checkpoint, signal, (n) => { counted += n; o.progress.rows(spec.tableId, n); });
      // Rows counted at the reader but not committed (never happens on success; kept exact anyway).
      if (counted !== result.rows) o.progress.rows(spec.tableId, result.rows - counted);
    }
    o.progress.chunkDone(spec.tableId, result.bytes);
    return result;
  } catch (err) {
    o.progress.chunkRolledBack(spec.tableId, counted);
    throw err;
  }
}

/** Copies all items; the first failure cancels the chunks in flight (they roll back, unmarked) and is rethrown. */
export async function copyChunks(o: CopyOptions): Promise<{ rows: number; bytes: number }> {
  const workers = Math.min(o.sources.length, o.targets.length);
  const internal = new AbortController();
  const onOuterAbort = () => internal.abort(o.signal.reason);
  if (o.signal.aborted) internal.abort(o.signal.reason);
  o.signal.addEventListener('abort', onOuterAbort, { once: true });
  let next = 0;
  let rows = 0;
  let bytes = 0;
  let firstError: unknown;
  const worker = async (w: number) => {
    while (!internal.signal.aborted) {
      const item = o.items[next++];
      if (!item) return;
      try {
        const r = await copyOne(item, o.sources[w], o.targets[w], o, internal.signal);
        rows += r.rows;
        bytes += r.bytes;
        o.events.emit({ type: 'checkpoint', phase: 'full', detail: `${item.spec.tableId} chunk ${item.chunk.id}/${item.of} copied (${r.rows} rows)` });
      } catch (err) {
        if (firstError === undefined) firstError = err;
        internal.abort(err);
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  } finally {
    o.signal.removeEventListener('abort', onOuterAbort);
  }
  if (o.signal.aborted) {
    throw firstError instanceof CancelledError || firstError === undefined ? new CancelledError('full load cancelled; finished chunks are checkpointed, the rest will be copied on the next run')
      : firstError instanceof FerryError ? firstError : asFerryError(firstError);
  }
  if (firstError !== undefined) throw firstError instanceof FerryError ? firstError : asFerryError(firstError, 'copying');
  return { rows, bytes };
}

// The runner imports the phase entry from here; fullload/index.ts is the canonical surface.
