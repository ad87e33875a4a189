// Lag metrics: seconds behind the source (from commit timestamps and heartbeats), applied tx/s and rows/s.
import type { PreparedTransaction } from './events';

export class LagMeter {
  /** The source's time as of the newest thing read from the log (epoch ms). */
  private sourceTime = 0;
  /** Commit time of the newest applied transaction. */
  private appliedTime = 0;
  /** When the source last said "nothing more" while nothing was queued: we were level with it then. */
  private levelAt = 0;
  private readonly window: { at: number; tx: number; rows: number }[] = [];

  sourceAt(time: number, caughtUp: boolean): void {
    if (time > this.sourceTime) this.sourceTime = time;
    if (caughtUp) this.levelAt = Date.now();
  }

  applied(tx: PreparedTransaction): void {
    if (tx.source.commitTime > this.appliedTime) this.appliedTime = tx.source.commitTime;
    // One entry per 100 ms: thousands of transactions a second must not make rates() walk and shift each one.
    const at = Date.now();
    const last = this.window[this.window.length - 1];
    if (last && at - last.at < 100) { last.tx++; last.rows += tx.rows; } else this.window.push({ at, tx: 1, rows: tx.rows });
  }

  /**
   * Seconds behind: with work queued, the age of the oldest queued transaction; otherwise zero when the source
   * recently said it has nothing more, else the time since the newest source event we applied or skipped.
   */
  secondsBehind(oldestQueued: number | undefined): number {
    const now = Date.now();
    if (oldestQueued !== undefined) return Math.max(0, (now - oldestQueued) / 1000);
    if (now - this.levelAt < 2000) return 0;
    const newest = Math.max(this.sourceTime, this.appliedTime);
    return newest === 0 ? 0 : Math.max(0, (now - newest) / 1000);
  }

  /** Applied transactions and rows per second over the last 5 seconds. */
  rates(): { tx: number; rows: number } {
    const now = Date.now();
    while (this.window.length > 0 && now - this.window[0].at > 5000) this.window.shift();
    const span = Math.max(1, Math.min(5, (now - (this.window[0]?.at ?? now)) / 1000));
    return { tx: this.window.reduce((a, w) => a + w.tx, 0) / span, rows: this.window.reduce((a, w) => a + w.rows, 0) / span };
  }
}
