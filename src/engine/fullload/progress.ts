// Full-load progress: rows, bytes, rows/s and ETA per table and overall, emitted at most about once a second each.
import type { TaskEvents } from '../events';

interface TableCounter {
  table: string;
  totalRows: number;
  rows: number;
  bytes: number;
  /** Rows/s, smoothed over the last ticks. */
  rate: number;
  lastRows: number;
  changed: boolean;
}

const SMOOTHING = 0.3;

export class ProgressTracker {
  private readonly tables = new Map<string, TableCounter>();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = Date.now();
  private overallRate = 0;
  private overallLastRows = 0;
  private readonly startedAt = Date.now();

  constructor(private readonly events: TaskEvents, private readonly intervalMs = 1000) {}

  /** Registers a table with its expected total and what earlier runs already copied. */
  addTable(table: string, totalRows: number, alreadyRows = 0, alreadyBytes = 0): void {
    this.tables.set(table, { table, totalRows, rows: alreadyRows, bytes: alreadyBytes, rate: 0, lastRows: alreadyRows, changed: true });
    this.overallLastRows += alreadyRows;
  }

  rows(table: string, n: number): void {
    const t = this.tables.get(table);
    if (t) { t.rows += n; t.changed = true; }
  }

  /** A chunk finished: its final byte count (and row correction, since reader counts and committed rows may differ on failure). */
  chunkDone(table: string, bytes: number): void {
    const t = this.tables.get(table);
    if (t) { t.bytes += bytes; t.changed = true; }
  }

  /** A chunk failed or was cancelled: its rows were rolled back. */
  chunkRolledBack(table: string, rows: number): void {
    const t = this.tables.get(table);
    if (t) { t.rows -= rows; t.changed = true; }
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tick(true);
  }

  totals(): { rows: number; bytes: number; totalRows: number } {
    let rows = 0, bytes = 0, totalRows = 0;
    for (const t of this.tables.values()) { rows += t.rows; bytes += t.bytes; totalRows += Math.max(t.totalRows, t.rows); }
    return { rows, bytes, totalRows };
  }

  private tick(final = false): void {
    const now = Date.now();
    const dt = Math.max(0.001, (now - this.lastTick) / 1000);
    this.lastTick = now;
    for (const t of this.tables.values()) {
      const instant = (t.rows - t.lastRows) / dt;
      t.rate = t.rate === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * t.rate;
      t.lastRows = t.rows;
      if (!t.changed && !final) continue;
      t.changed = false;
      const total = Math.max(t.totalRows, t.rows);
      this.events.emit({ type: 'progress', table: t.table, rows: t.rows, totalRows: total, bytes: t.bytes,
        rowsPerSecond: Math.round(t.rate), etaSeconds: t.rate > 0 ? Math.round((total - t.rows) / t.rate) : undefined });
    }
    const all = this.totals();
    const instant = (all.rows - this.overallLastRows) / dt;
    this.overallLastRows = all.rows;
    this.overallRate = this.overallRate === 0 ? instant : SMOOTHING * instant + (1 - SMOOTHING) * this.overallRate;
    const rate = final ? all.rows / Math.max(0.001, (now - this.startedAt) / 1000) : this.overallRate;
    this.events.emit({ type: 'progress', rows: all.rows, totalRows: all.totalRows, bytes: all.bytes,
      rowsPerSecond: Math.round(rate), etaSeconds: rate > 0 ? Math.round((all.totalRows - all.rows) / rate) : undefined });
  }
}
