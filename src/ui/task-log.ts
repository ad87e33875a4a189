// Engine events as lines of the "Ferry" LogOutputChannel: levels, a `[task]` prefix, passwords redacted,
// progress and lag at most once per interval per task.
import { redactSecrets } from '../engine/errors';
import type { FerryEvent } from '../engine/events';
import type { LogLevelSetting } from './settings';
import { type TaskView, describeTable, formatCount, formatSeconds, percentOf, rowsPerSecondOf } from './task-monitor';

export type LineLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The part of vscode.LogOutputChannel written to. */
export interface LogSink {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LineLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
const SETTING_RANK: Record<LogLevelSetting, number> = { trace: 0, debug: 1, info: 2, warning: 3, error: 4 };

/** The line for one event, without the task prefix; undefined for events shown only periodically. */
export function formatEvent(event: FerryEvent): { level: LineLevel; text: string } | undefined {
  switch (event.type) {
    case 'phase':
      return { level: event.status === 'failed' ? 'error' : 'info', text: `phase ${event.phase} ${event.status}` };
    case 'warning':
      return { level: 'warn', text: `${event.code}${event.object ? ` ${event.object}` : ''}: ${event.message}${event.fix ? ` — fix: ${event.fix}` : ''}` };
    case 'error':
      return { level: event.retryable ? 'warn' : 'error', text: `${event.retryable ? 'retrying after ' : ''}${event.code}: ${event.message}${event.fix ? ` — fix: ${event.fix}` : ''}` };
    case 'checkpoint':
      return { level: 'debug', text: `checkpoint ${event.phase}${event.position ? ` at ${event.position}` : ''}${event.detail ? ` (${event.detail})` : ''}` };
    case 'log':
      return { level: event.level, text: event.message };
    case 'progress':
    case 'lag':
      return undefined;
  }
}

/** A summary line of a task's progress (full load) or replication (incremental). */
export function formatProgress(view: TaskView): string {
  if (view.lag && (view.phase === 'incremental' || view.state === 'caught_up')) {
    const l = view.lag;
    return `incremental: lag ${formatSeconds(l.seconds)}, ${formatCount(l.queuedTransactions)} queued, ${formatCount(l.appliedPerSecond)} tx/s applied${l.position ? `, at ${l.position}` : ''}`;
  }
  const pct = percentOf(view);
  let rows = 0;
  let total = 0;
  let totalKnown = true;
  for (const t of view.tables.values()) {
    rows += t.rowsCopied;
    if (t.totalRows === undefined) totalKnown = false; else total += Math.max(t.totalRows, t.rowsCopied);
  }
  if (view.overall) { rows = view.overall.rows; totalKnown = view.overall.totalRows !== undefined; total = view.overall.totalRows ?? 0; }
  const done = [...view.tables.values()].filter((t) => t.done).length;
  const eta = view.overall?.etaSeconds;
  return `${view.phase === 'none' ? 'full' : view.phase}: ${pct ?? '?'}% — ${formatCount(rows)}${totalKnown ? ` / ${formatCount(total)}` : ''} rows, `
    + `${formatCount(rowsPerSecondOf(view))} rows/s, ${done}/${view.tables.size} tables done${eta !== undefined ? `, ETA ${formatSeconds(eta)}` : ''}`;
}

export class TaskLog {
  private readonly lastPeriodic = new Map<string, number>();
  private readonly tablesDone = new Map<string, Set<string>>();

  constructor(
    private readonly sink: LogSink,
    private readonly options: () => { level: LogLevelSetting; intervalSeconds: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes one line for a task (or for Ferry itself when task is undefined), redacted. */
  line(task: string | undefined, level: LineLevel, text: string): void {
    if (RANK[level] < SETTING_RANK[this.options().level]) return;
    const message = redactSecrets(task === undefined ? text : `[${task}] ${text}`);
    this.sink[level](message);
  }

  /** Renders one engine event; `view` is the task's state after the event. */
  event(event: FerryEvent, view: TaskView): void {
    const f = formatEvent(event);
    if (f) { this.line(event.task, f.level, f.text); return; }
    if (event.type === 'progress' && event.table !== undefined) {
      const t = view.tables.get(event.table);
      let done = this.tablesDone.get(event.task);
      if (!done) { done = new Set(); this.tablesDone.set(event.task, done); }
      if (t?.done && !done.has(t.table)) {
        done.add(t.table);
        this.line(event.task, 'info', `table ${t.table} copied: ${describeTable(t)}`);
      }
    }
    const last = this.lastPeriodic.get(event.task);
    const now = this.now();
    if (last === undefined || now - last >= this.options().intervalSeconds * 1000) {
      this.lastPeriodic.set(event.task, now);
      this.line(event.task, 'info', formatProgress(view));
    }
  }

  /** Forgets the periodic clock of a task (a new run logs its first progress at once). */
  reset(task: string): void {
    this.lastPeriodic.delete(task);
    this.tablesDone.delete(task);
  }
}
