// Dependency scheduler: runs source transactions on N apply workers, concurrently unless their write-sets
// intersect, in which case source commit order is kept. Small ready transactions are batched into one
// target transaction per worker turn.
import { CancelledError, FerryError, asFerryError, isRetryable } from '../errors';
import type { PreparedTransaction } from './events';

/** One apply session on the target. `apply` commits the whole batch atomically (rows + applied marks) or throws. */
export interface ApplyWorker {
  apply(batch: PreparedTransaction[], signal: AbortSignal): Promise<void>;
  /** Called after a failed apply before a retry (e.g. reconnect). */
  reset?(): Promise<void>;
}

export interface SchedulerOptions {
  workers: ApplyWorker[];
  /** Most transactions / rows in one target transaction. */
  maxBatchTransactions?: number;
  maxBatchRows?: number;
  /** Most estimated bytes (PreparedTransaction.bytes) in one target transaction; a larger single transaction runs alone. */
  maxBatchBytes?: number;
  /** Submissions wait while this many transactions are queued (back-pressure to the reader). */
  maxQueued?: number;
  /**
   * Submissions also wait while the queued transactions' estimated size (PreparedTransaction.bytes) is above
   * this, so a burst of large transactions behind a slow target stays in the source log, not in memory.
   * One transaction is always accepted into an empty queue, however large.
   */
  maxQueuedBytes?: number;
  /** Retries of a batch that failed with a retryable error (deadlock, lost connection). */
  retries?: number;
  signal: AbortSignal;
  /** After each committed batch, in completion order. */
  onApplied?: (batch: PreparedTransaction[], workerIndex: number) => void;
}

type State = 'waiting' | 'running' | 'done' | 'held';

interface Entry {
  tx: PreparedTransaction;
  deps: Set<Entry>;
  state: State;
  /** Submission order (source commit order). */
  seq: number;
}

export class DependencyScheduler {
  private readonly pending: Entry[] = [];
  /** Done entries still in `pending` (it is compacted in bulk, not after every batch). */
  private doneInPending = 0;
  /** The waiting entries in source order: what a batch is picked from. */
  private waiting: Entry[] = [];
  /** Nothing became ready since the last scan found no batch: the next scan would find none either. */
  private stale = false;
  private seq = 0;
  private bytes = 0;
  private readonly lastWriter = new Map<string, Entry>();
  private lastBarrier?: Entry;
  private readonly idle: number[];
  private failure?: FerryError;
  private readonly waiters: (() => void)[] = [];
  private running = 0;
  private readonly maxTx: number;
  private readonly maxRows: number;
  private readonly maxBatchBytes: number;
  private readonly maxQueued: number;
  private readonly maxBytes: number;
  private readonly retries: number;

  constructor(private readonly opts: SchedulerOptions) {
    if (opts.workers.length === 0) throw new FerryError('CDC_CONFIG', 'the scheduler needs at least one apply worker');
    this.idle = opts.workers.map((_, i) => i);
    this.maxTx = opts.maxBatchTransactions ?? 200;
    this.maxRows = opts.maxBatchRows ?? 5000;
    this.maxBatchBytes = opts.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxQueued = opts.maxQueued ?? 20000;
    this.maxBytes = opts.maxQueuedBytes ?? Number.POSITIVE_INFINITY;
    this.retries = opts.retries ?? 5;
    opts.signal.addEventListener('abort', () => this.wake(), { once: true });
  }

  /** Transactions submitted and not yet committed on the target (held ones included). */
  get queued(): number {
    return this.pending.length - this.doneInPending;
  }

  /** Estimated size of the transactions submitted and not yet committed on the target. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Commit time of the oldest transaction not yet applied (held ones excluded), for lag. */
  oldestQueuedCommitTime(): number | undefined {
    let oldest: number | undefined;
    for (const e of this.pending) {
      if (e.state === 'held' || e.state === 'done') continue;
      if (oldest === undefined || e.tx.source.commitTime < oldest) oldest = e.tx.source.commitTime;
    }
    return oldest;
  }

  /**
   * Queues a transaction (in source commit order). Resolves once it is accepted; waits while the queue is
   * full. `hold` keeps it (and everything conflicting with it) from running: its table is paused.
   */
  async submit(tx: PreparedTransaction, hold = false): Promise<void> {
    while ((this.queued >= this.maxQueued || (this.queued > 0 && this.bytes + (tx.bytes ?? 0) > this.maxBytes))
      && !this.failure && !this.opts.signal.aborted) await this.waitForChange();
    this.throwIfStopped();
    const entry: Entry = { tx, deps: new Set(), state: hold ? 'held' : 'waiting', seq: this.seq++ };
    if (this.lastBarrier && this.lastBarrier.state !== 'done') entry.deps.add(this.lastBarrier);
    if (tx.barrier) {
      // A barrier (DDL) waits for everything before it that can finish; held transactions cannot.
      for (const e of this.pending) if (e.state !== 'held' && e.state !== 'done') entry.deps.add(e);
      this.lastBarrier = entry;
    }
    for (const key of tx.writeSet) {
      const prev = this.lastWriter.get(key);
      if (prev && prev.state !== 'done') entry.deps.add(prev);
      this.lastWriter.set(key, entry);
    }
    this.pending.push(entry);
    this.bytes += tx.bytes ?? 0;
    if (!hold) {
      this.waiting.push(entry);
      if (entry.deps.size === 0) this.stale = false;
    }
    this.pump();
  }

  /** Waits until every submitted transaction has been applied, except held ones and those waiting for them. */
  async drain(): Promise<void> {
    while ((this.running > 0 || this.waiting.some((e) => e.state === 'waiting' && this.ready(e, undefined))) && !this.failure && !this.opts.signal.aborted) {
      await this.waitForChange();
    }
    this.throwIfStopped();
  }


  /** Waits until the running batches finished (after a failure or abort), so sessions can be closed. */
  async settle(): Promise<void> {
    while (this.running > 0) await this.waitForChange();
  }

  get error(): FerryError | undefined {
    return this.failure;
  }

  private throwIfStopped(): void {
    if (this.failure) throw this.failure;
    if (this.opts.signal.aborted) throw new CancelledError('incremental apply stopped');
  }

  private waitForChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private ready(e: Entry, batch: Set<Entry> | undefined): boolean {
    for (const d of e.deps) if (d.state !== 'done' && !(batch?.has(d))) return false;
    return true;
  }

  private pump(): void {
    while (this.idle.length > 0 && !this.failure && !this.opts.signal.aborted) {
      const batch = this.nextBatch();
      if (!batch) return;
      const worker = this.idle.shift() as number;
      void this.run(worker, batch);
    }
  }

  private nextBatch(): Entry[] | undefined {
    if (this.stale) return undefined;
    const batch: Entry[] = [];
    const members = new Set<Entry>();
    let rows = 0;
    let bytes = 0;
    // Only a window of the waiting entries is scanned: enough to fill batches, bounded in cost.
    const limit = Math.min(this.waiting.length, 4000);
    let scanned = 0;
    for (; scanned < limit; scanned++) {
      const e = this.waiting[scanned];
      if (e.state !== 'waiting') continue;
      if (batch.length === 0) {
        if (!this.ready(e, undefined)) continue;
        batch.push(e); members.add(e); rows += e.tx.rows; bytes += e.tx.bytes ?? 0;
        if (e.tx.barrier) { scanned++; break; }
        continue;
      }
      if (e.tx.barrier) break;
      // A transaction that only depends on ones already in this batch can join it: one target
      // transaction applies them in source order.
      if (!this.ready(e, members)) continue;
      if (batch.length >= this.maxTx || rows + e.tx.rows > this.maxRows || bytes + (e.tx.bytes ?? 0) > this.maxBatchBytes) break;
      batch.push(e); members.add(e); rows += e.tx.rows; bytes += e.tx.bytes ?? 0;
    }
    if (batch.length === 0) {
      // Nothing in the window can start until a running batch finishes (or a ready transaction arrives).
      this.stale = true;
      return undefined;
    }
    for (const e of batch) e.state = 'running';
    // Drop what left the waiting state from the scanned part of the list.
    let w = 0;
    for (let i = 0; i < scanned; i++) if (this.waiting[i].state === 'waiting') this.waiting[w++] = this.waiting[i];
    if (w < scanned) this.waiting.splice(w, scanned - w);
    return batch;
  }

  /** Puts entries back among the waiting ones, in source order (after a failed batch or a release). */
  private rewait(entries: Entry[]): void {
    for (const e of entries) e.state = 'waiting';
    this.waiting = this.waiting.filter((e) => e.state === 'waiting' && !entries.includes(e)).concat(entries).sort((a, b) => a.seq - b.seq);
    this.stale = false;
  }

  private async run(worker: number, batch: Entry[]): Promise<void> {
    this.running++;
    const txs = batch.map((e) => e.tx);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.opts.workers[worker].apply(txs, this.opts.signal);
          break;
        } catch (err) {
          if (this.opts.signal.aborted) throw new CancelledError('incremental apply stopped');
          if (attempt >= this.retries || !isRetryable(err)) throw err;
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 3000)));
          await this.opts.workers[worker].reset?.();
        }
      }
      for (const e of batch) e.state = 'done';
      this.removeDone(batch);
      this.opts.onApplied?.(txs, worker);
    } catch (err) {
      this.rewait(batch);
      if (!this.failure && !(err instanceof CancelledError)) {
        const first = txs[0].source;
        const fe = asFerryError(err);
        this.failure = new FerryError(fe.code, `applying source transaction ${first.id} (${txs.length} in batch) failed: ${fe.message}`,
          { fix: fe.fix ?? 'fix the cause on the target and run again: the task resumes at the first transaction not applied', retryable: fe.retryable, cause: err });
      }
    } finally {
      this.running--;
      this.idle.push(worker);
      this.wake();
      this.pump();
    }
  }

  private removeDone(batch: Entry[]): void {
    this.doneInPending += batch.length;
    for (const e of batch) {
      this.bytes -= e.tx.bytes ?? 0;
      // A done entry keeps nothing alive: later entries hold it as a dependency, not its own history.
      e.deps.clear();
    }
    // Their dependents may be ready now.
    this.stale = false;
    if (this.doneInPending > 1000 || this.doneInPending * 2 > this.pending.length) {
      let w = 0;
      for (const e of this.pending) if (e.state !== 'done') this.pending[w++] = e;
      this.pending.length = w;
      this.doneInPending = 0;
    }
    for (const e of batch) {
      for (const k of e.tx.writeSet) if (this.lastWriter.get(k) === e) this.lastWriter.delete(k);
    }
    if (this.lastBarrier?.state === 'done') this.lastBarrier = undefined;
  }

  /** Releases held transactions of a table once it is resumed (used by tests and the replicator). */
  release(predicate: (tx: PreparedTransaction) => boolean): void {
    this.rewait(this.pending.filter((e) => e.state === 'held' && predicate(e.tx)));
    this.pump();
  }
}
