// The exactly-once low-water mark: the position after the longest prefix of source transactions that are
// all applied. A restart resumes there and skips the transactions above it recorded in cdc_applied.
import type { SourcePosition } from '../position';

interface Slot { key: string; position: SourcePosition; done: boolean }

export class LowWaterMark {
  /** Submitted transactions in source order from `head` on; the done prefix is dropped in bulk. */
  private inFlight: Slot[] = [];
  private head = 0;
  private readonly byKey = new Map<string, Slot>();
  private low: { key: string; position: SourcePosition };
  private changed = false;

  constructor(initial: { key: string; position: SourcePosition }) {
    this.low = initial;
  }

  /** A transaction was handed to the scheduler, in source order. */
  submitted(key: string, position: SourcePosition): void {
    const s = { key, position, done: false };
    this.inFlight.push(s);
    this.byKey.set(key, s);
  }

  /** A transaction already applied before (replay after a restart): done at once. */
  skip(key: string, position: SourcePosition): void {
    this.submitted(key, position);
    this.applied(key);
  }

  /** A transaction committed on the target. */
  applied(key: string): void {
    const s = this.byKey.get(key);
    if (!s) return;
    s.done = true;
    const from = this.head;
    while (this.head < this.inFlight.length && this.inFlight[this.head].done) this.byKey.delete(this.inFlight[this.head++].key);
    if (this.head === from) return;
    const last = this.inFlight[this.head - 1];
    this.low = { key: last.key, position: last.position };
    this.changed = true;
    if (this.head > 1024 && this.head * 2 > this.inFlight.length) { this.inFlight = this.inFlight.slice(this.head); this.head = 0; }
  }

  /** Nothing of interest before `position` (source idle or other tables): move on when nothing is in flight. */
  idle(position: SourcePosition): void {
    if (this.head === this.inFlight.length && position) {
      this.low = { key: this.low.key, position };
      this.changed = true;
    }
  }

  current(): { key: string; position: SourcePosition } {
    return this.low;
  }

  dirty(): boolean {
    return this.changed;
  }

  saved(): void {
    this.changed = false;
  }
}
