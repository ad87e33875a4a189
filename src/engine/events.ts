// Typed events a running task emits (ARCHITECTURE.md §4). The CLI, the tree, the status bar and the
// output channel only render these.
import { EventEmitter } from 'node:events';

export type PhaseName = 'precheck' | 'schema' | 'full' | 'indexes' | 'incremental' | 'verify' | 'cutover';

export type FerryEvent =
  | { type: 'phase'; task: string; phase: PhaseName; status: 'started' | 'finished' | 'failed' | 'stopped' | 'skipped'; at: string }
  | { type: 'progress'; task: string; table?: string; chunk?: string; rows: number; totalRows?: number; bytes: number;
      rowsPerSecond: number; etaSeconds?: number; at: string }
  | { type: 'lag'; task: string; secondsBehind: number; queuedTransactions: number; appliedPerSecond: number;
      appliedRowsPerSecond: number; position: string; at: string }
  | { type: 'warning'; task: string; code: string; object?: string; message: string; fix?: string; at: string }
  | { type: 'error'; task: string; code: string; message: string; fix?: string; retryable: boolean; at: string }
  | { type: 'checkpoint'; task: string; phase: PhaseName; position?: string; detail?: string; at: string }
  | { type: 'log'; task: string; level: 'trace' | 'debug' | 'info'; message: string; at: string };

export type FerryEventType = FerryEvent['type'];

type EventOf<T extends FerryEventType> = Extract<FerryEvent, { type: T }>;
/** An event without its `task` and `at` fields, which the bus fills in. */
export type EventInput = FerryEvent extends infer E ? (E extends FerryEvent ? Omit<E, 'task' | 'at'> : never) : never;

/** The event bus of one task. */
export class TaskEvents {
  private readonly emitter = new EventEmitter();

  constructor(readonly task: string) {
    this.emitter.setMaxListeners(50);
  }

  emit(event: EventInput): void {
    const full = { ...event, task: this.task, at: new Date().toISOString() } as FerryEvent;
    this.emitter.emit('event', full);
    // Typed channels are prefixed: a bare 'error' event without a listener would make EventEmitter throw.
    this.emitter.emit(`type:${full.type}`, full);
  }

  on(listener: (event: FerryEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  onType<T extends FerryEventType>(type: T, listener: (event: EventOf<T>) => void): () => void {
    const l = listener as (e: FerryEvent) => void;
    this.emitter.on(`type:${type}`, l);
    return () => this.emitter.off(`type:${type}`, l);
  }

  log(message: string, level: 'trace' | 'debug' | 'info' = 'info'): void {
    this.emit({ type: 'log', level, message });
  }
}
