// What the UI knows about each task: engine events (and the ferry_meta status) reduced into a TaskView,
// which the Tasks tree, the status bar and the output channel render.
import type { TaskState, TaskStatus } from '../engine/api';
import type { FerryEvent, PhaseName } from '../engine/events';

/** The engine's states, plus 'stopped' (the user stopped the run; it resumes from its checkpoint). */
export type UiTaskState = TaskState | 'stopped';

export interface TableView {
  table: string;
  rowsCopied: number;
  totalRows?: number;
  rowsPerSecond: number;
  done: boolean;
}

export interface LagView {
  seconds: number;
  queuedTransactions: number;
  appliedPerSecond: number;
  position: string;
}

export interface TaskView {
  name: string;
  state: UiTaskState;
  phase: PhaseName | 'none';
  tables: Map<string, TableView>;
  /** Whole-task progress when the engine reports it (a progress event without a table). */
  overall?: { rows: number; totalRows?: number; rowsPerSecond: number; etaSeconds?: number };
  lag?: LagView;
  lastError?: { code: string; message: string; fix?: string; retryable: boolean };
  warnings: number;
  updatedAt?: string;
}

/** Below this lag, with nothing queued, incremental replication counts as caught up. */
export const CAUGHT_UP_SECONDS = 1;

export function emptyView(name: string): TaskView {
  return { name, state: 'not_started', phase: 'none', tables: new Map(), warnings: 0 };
}

/** The view of a task that is not running here, from its ferry_meta status. */
export function viewFromStatus(status: TaskStatus): TaskView {
  const view = emptyView(status.task);
  view.state = status.state;
  view.phase = status.phase;
  for (const t of status.tables) {
    view.tables.set(t.table, { table: t.table, rowsCopied: t.rowsCopied, totalRows: t.totalRows, rowsPerSecond: 0, done: t.done });
  }
  if (status.lagSeconds !== undefined) {
    view.lag = { seconds: status.lagSeconds, queuedTransactions: 0, appliedPerSecond: 0, position: status.position ?? '' };
  }
  if (status.lastError) view.lastError = { code: 'LAST_ERROR', message: status.lastError, retryable: false };
  view.updatedAt = status.updatedAt;
  return view;
}

/**
 * Folds one engine event into the view (in place). Progress `rows` is taken as the rows copied so far
 * of that table (of the task when no table is named), comparable to `totalRows`.
 */
export function applyEvent(view: TaskView, event: FerryEvent): TaskView {
  view.updatedAt = event.at;
  switch (event.type) {
    case 'phase':
      if (event.status === 'started') {
        view.phase = event.phase;
        if (view.state !== 'caught_up' || event.phase !== 'incremental') view.state = 'running';
        view.lastError = undefined;
      } else if (event.status === 'failed') {
        view.phase = event.phase;
        view.state = 'failed';
      } else if (event.status === 'finished' && event.phase === 'cutover') {
        view.state = 'switched';
        view.lag = undefined;
      } else if (event.status === 'finished' && event.phase === 'full') {
        for (const t of view.tables.values()) { t.done = true; t.rowsPerSecond = 0; if (t.totalRows === undefined || t.totalRows < t.rowsCopied) t.totalRows = t.rowsCopied; }
        if (view.overall) view.overall.rowsPerSecond = 0;
      }
      break;
    case 'progress': {
      if (event.table === undefined) {
        view.overall = { rows: event.rows, totalRows: event.totalRows, rowsPerSecond: event.rowsPerSecond, etaSeconds: event.etaSeconds };
      } else {
        const t = view.tables.get(event.table) ?? { table: event.table, rowsCopied: 0, rowsPerSecond: 0, done: false };
        t.rowsCopied = Math.max(t.rowsCopied, event.rows);
        if (event.totalRows !== undefined) t.totalRows = event.totalRows;
        t.rowsPerSecond = event.rowsPerSecond;
        if (t.totalRows !== undefined && t.rowsCopied >= t.totalRows) t.done = true;
        view.tables.set(event.table, t);
      }
      if (view.state === 'not_started' || view.state === 'stopped' || view.state === 'paused') view.state = 'running';
      break;
    }
    case 'lag':
      view.lag = { seconds: event.secondsBehind, queuedTransactions: event.queuedTransactions, appliedPerSecond: event.appliedPerSecond, position: event.position };
      if (view.state !== 'switched' && view.state !== 'failed') {
        view.state = event.secondsBehind < CAUGHT_UP_SECONDS && event.queuedTransactions === 0 ? 'caught_up' : 'running';
      }
      if (view.phase === 'none') view.phase = 'incremental';
      break;
    case 'warning':
      view.warnings++;
      break;
    case 'error':
      view.lastError = { code: event.code, message: event.message, fix: event.fix, retryable: event.retryable };
      if (!event.retryable) view.state = 'failed';
      break;
    case 'checkpoint':
    case 'log':
      break;
  }
  return view;
}

/** Progress of the full load in percent (0-100), when totals are known. */
export function percentOf(view: TaskView): number | undefined {
  if (view.overall?.totalRows) return Math.min(100, Math.floor((view.overall.rows / view.overall.totalRows) * 100));
  const tables = [...view.tables.values()];
  if (tables.length === 0) return undefined;
  if (tables.every((t) => t.done)) return 100;
  let rows = 0;
  let total = 0;
  for (const t of tables) {
    if (t.totalRows === undefined) return undefined;
    rows += t.done ? Math.max(t.rowsCopied, t.totalRows) : Math.min(t.rowsCopied, t.totalRows);
    total += t.done ? Math.max(t.rowsCopied, t.totalRows) : t.totalRows;
  }
  if (total === 0) return 100;
  // Never show 100 % while a table is still copying.
  return Math.min(99, Math.floor((rows / total) * 100));
}

/** Rows per second of the whole task: the engine's own figure, else the sum over tables still copying. */
export function rowsPerSecondOf(view: TaskView): number {
  if (view.overall) return view.overall.rowsPerSecond;
  let sum = 0;
  for (const t of view.tables.values()) if (!t.done) sum += t.rowsPerSecond;
  return sum;
}

export const STATE_LABELS: Record<UiTaskState, string> = {
  not_started: 'not started',
  running: 'running',
  paused: 'paused',
  stopped: 'stopped',
  failed: 'failed',
  caught_up: 'caught up',
  switched: 'switched',
  finished: 'finished',
};

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** One line: state, phase, progress %, rows/s, lag — the Tasks tree's description of a task. */
export function describeView(view: TaskView): string {
  const parts: string[] = [STATE_LABELS[view.state]];
  if (view.phase !== 'none' && view.state !== 'not_started' && view.state !== 'switched') parts.push(view.phase);
  const active = view.state === 'running' || view.state === 'caught_up';
  if (view.phase === 'full' || (view.tables.size > 0 && view.phase !== 'incremental' && view.phase !== 'cutover')) {
    const pct = percentOf(view);
    if (pct !== undefined) parts.push(`${pct}%`);
    const rps = rowsPerSecondOf(view);
    if (active && rps > 0) parts.push(`${formatCount(rps)} rows/s`);
  }
  if (view.lag && (view.phase === 'incremental' || view.state === 'caught_up')) parts.push(`lag ${formatSeconds(view.lag.seconds)}`);
  if (view.state === 'failed' && view.lastError) parts.push(view.lastError.message.split('\n')[0]);
  return parts.join(' · ');
}

/** `1,000 / 2,000 rows (50%)` for a table child. */
export function describeTable(t: TableView): string {
  if (t.totalRows === undefined) return `${formatCount(t.rowsCopied)} rows${t.done ? ' · done' : ''}`;
  const total = Math.max(t.totalRows, t.done ? t.rowsCopied : 0);
  const pct = total === 0 ? 100 : Math.min(t.done ? 100 : 99, Math.floor((t.rowsCopied / total) * 100));
  return `${formatCount(t.rowsCopied)} / ${formatCount(total)} rows (${pct}%)${t.done ? ' · done' : ''}`;
}

/** Every task's view, keyed by task file; tells listeners when one changes. */
export class TaskBoard {
  private readonly views = new Map<string, TaskView>();
  private readonly listeners = new Set<(key: string) => void>();

  get(key: string): TaskView | undefined {
    return this.views.get(key);
  }

  ensure(key: string, name: string): TaskView {
    let v = this.views.get(key);
    if (!v) { v = emptyView(name); this.views.set(key, v); }
    return v;
  }

  set(key: string, view: TaskView): void {
    this.views.set(key, view);
    this.changed(key);
  }

  apply(key: string, event: FerryEvent): TaskView {
    const v = applyEvent(this.ensure(key, event.task), event);
    this.changed(key);
    return v;
  }

  setState(key: string, name: string, state: UiTaskState, error?: TaskView['lastError']): void {
    const v = this.ensure(key, name);
    v.state = state;
    if (error) v.lastError = error;
    if (state !== 'running' && state !== 'caught_up') { for (const t of v.tables.values()) t.rowsPerSecond = 0; if (v.overall) v.overall.rowsPerSecond = 0; }
    this.changed(key);
  }

  delete(key: string): void {
    if (this.views.delete(key)) this.changed(key);
  }

  all(): [string, TaskView][] {
    return [...this.views.entries()];
  }

  onDidChange(listener: (key: string) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(key: string): void {
    for (const l of this.listeners) l(key);
  }
}
