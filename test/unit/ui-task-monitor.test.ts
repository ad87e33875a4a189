// Task views from engine events, their rendering in the tree, the status bar and the log, and settings.
import './ui-fakes';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registerSecret } from '../../src/engine/errors';
import { TaskEvents, type FerryEvent } from '../../src/engine/events';
import { readSettings, taskOptionsFrom } from '../../src/ui/settings';
import { statusSummary } from '../../src/ui/status-bar';
import { TaskLog, formatEvent } from '../../src/ui/task-log';
import { TaskBoard, applyEvent, describeTable, describeView, emptyView, percentOf, viewFromStatus } from '../../src/ui/task-monitor';
import { MemoryLog } from './ui-fakes';

function events(task: string): { bus: TaskEvents; seen: FerryEvent[] } {
  const bus = new TaskEvents(task);
  const seen: FerryEvent[] = [];
  bus.on((e) => seen.push(e));
  return { bus, seen };
}

test('a full load folds into per-table rows, a percentage and rows per second', () => {
  const { bus, seen } = events('t1');
  bus.emit({ type: 'phase', phase: 'full', status: 'started' });
  bus.emit({ type: 'progress', table: 'film', rows: 250, totalRows: 1000, bytes: 1, rowsPerSecond: 500 });
  bus.emit({ type: 'progress', table: 'actor', rows: 200, totalRows: 200, bytes: 1, rowsPerSecond: 300 });
  const view = emptyView('t1');
  for (const e of seen) applyEvent(view, e);
  assert.equal(view.state, 'running');
  assert.equal(view.phase, 'full');
  assert.equal(view.tables.get('film')?.rowsCopied, 250);
  assert.equal(view.tables.get('actor')?.done, true);
  assert.equal(percentOf(view), 37); // 450 of 1200
  assert.equal(describeView(view), 'running · full · 37% · 500 rows/s');
  assert.equal(describeTable(view.tables.get('film')!), '250 / 1,000 rows (25%)');
  assert.equal(describeTable(view.tables.get('actor')!), '200 / 200 rows (100%) · done');
});

test('a percentage never reaches 100 while a table still copies, and is 100 once the full load finishes', () => {
  const view = emptyView('t');
  const { bus, seen } = events('t');
  bus.emit({ type: 'progress', table: 'a', rows: 999, totalRows: 1000, bytes: 0, rowsPerSecond: 1 });
  bus.emit({ type: 'progress', table: 'b', rows: 5000, totalRows: 5000, bytes: 0, rowsPerSecond: 1 });
  for (const e of seen) applyEvent(view, e);
  assert.equal(percentOf(view), 99);
  const { bus: bus2, seen: seen2 } = events('t');
  bus2.emit({ type: 'phase', phase: 'full', status: 'finished' });
  for (const e of seen2) applyEvent(view, e);
  assert.equal(percentOf(view), 100);
  assert.equal(view.tables.get('a')?.done, true);
});

test('incremental lag below one second with nothing queued reads as caught up, otherwise running with the lag', () => {
  const view = emptyView('cdc');
  const { bus, seen } = events('cdc');
  bus.emit({ type: 'phase', phase: 'incremental', status: 'started' });
  bus.emit({ type: 'lag', secondsBehind: 4.2, queuedTransactions: 12, appliedPerSecond: 80, appliedRowsPerSecond: 300, position: 'mariadb-bin.000003:1234' });
  applyEvent(view, seen[0]); applyEvent(view, seen[1]);
  assert.equal(view.state, 'running');
  assert.equal(describeView(view), 'running · incremental · lag 4.2 s');
  bus.emit({ type: 'lag', secondsBehind: 0.3, queuedTransactions: 0, appliedPerSecond: 5, appliedRowsPerSecond: 5, position: 'mariadb-bin.000003:2000' });
  applyEvent(view, seen[2]);
  assert.equal(view.state, 'caught_up');
  assert.equal(describeView(view), 'caught up · incremental · lag 0.3 s');
});

test('a non-retryable error fails the task and keeps the message; a retryable one does not', () => {
  const view = emptyView('x');
  const { bus, seen } = events('x');
  bus.emit({ type: 'phase', phase: 'full', status: 'started' });
  bus.emit({ type: 'error', code: 'ECONNRESET', message: 'connection reset — retry 1/8', retryable: true });
  for (const e of seen) applyEvent(view, e);
  assert.equal(view.state, 'running');
  bus.emit({ type: 'error', code: 'AUTH_FAILED', message: 'access denied for user "root"', fix: 'check the password', retryable: false });
  applyEvent(view, seen[2]);
  assert.equal(view.state, 'failed');
  assert.equal(view.lastError?.code, 'AUTH_FAILED');
  assert.match(describeView(view), /^failed · full · access denied for user "root"/);
});

test('a task status from ferry_meta becomes a view with its tables, lag and last error', () => {
  const view = viewFromStatus({ task: 's', phase: 'incremental', state: 'caught_up', position: 'binlog.000002:99', lagSeconds: 0.5,
    tables: [{ table: 'film', rowsCopied: 1000, totalRows: 1000, chunksDone: 1, chunksTotal: 1, done: true }], lastError: undefined });
  assert.equal(view.state, 'caught_up');
  assert.equal(view.tables.get('film')?.done, true);
  assert.equal(describeView(view), 'caught up · incremental · lag 0.5 s');
});

test('the status bar counts running tasks and shows the worst lag, and hides when nothing runs', () => {
  const a = emptyView('a'); a.state = 'caught_up'; a.phase = 'incremental'; a.lag = { seconds: 0.4, queuedTransactions: 0, appliedPerSecond: 1, position: '' };
  const b = emptyView('b'); b.state = 'running'; b.phase = 'incremental'; b.lag = { seconds: 12, queuedTransactions: 3, appliedPerSecond: 1, position: '' };
  const c = emptyView('c');
  assert.deepEqual(statusSummary([c]), { visible: false, text: '', tooltip: '' });
  const s = statusSummary([a, b, c]);
  assert.equal(s.text, '$(sync~spin) Ferry: 2 running · lag 12 s');
  assert.match(s.tooltip, /a: caught up, lag 0\.4 s\nb: running, lag 12 s/);
});

test('log lines carry the task prefix and level, redact registered passwords, and progress appears once per interval', () => {
  registerSecret('S3cret-pw!');
  const sink = new MemoryLog();
  let now = 0;
  const log = new TaskLog(sink, () => ({ level: 'info', intervalSeconds: 10 }), () => now);
  const board = new TaskBoard();
  const { bus, seen } = events('sakila-to-pg');
  bus.emit({ type: 'phase', phase: 'full', status: 'started' });
  bus.emit({ type: 'progress', table: 'film', rows: 10, totalRows: 100, bytes: 0, rowsPerSecond: 10 });
  bus.emit({ type: 'progress', table: 'film', rows: 20, totalRows: 100, bytes: 0, rowsPerSecond: 10 });
  bus.emit({ type: 'warning', code: 'ZERO_DATE', object: 'table:sakila.rental', message: 'zero dates become NULL?', fix: 'none' });
  bus.emit({ type: 'error', code: 'AUTH_FAILED', message: 'mysql://root:S3cret-pw!@h:3306/db access denied, password S3cret-pw!', retryable: false });
  bus.emit({ type: 'log', level: 'debug', message: 'chunk planned' });
  for (const e of seen.slice(0, 2)) log.event(e, board.apply('f', e));
  now = 5000; log.event(seen[2], board.apply('f', seen[2]));
  now = 11000; for (const e of seen.slice(3)) log.event(e, board.apply('f', e));
  assert.deepEqual(sink.lines.map((l) => l.level), ['info', 'info', 'warn', 'error']);
  assert.equal(sink.lines[0].text, '[sakila-to-pg] phase full started');
  assert.equal(sink.lines[1].text, '[sakila-to-pg] full: 10% — 10 / 100 rows, 10 rows/s, 0/1 tables done');
  assert.equal(sink.lines[2].text, '[sakila-to-pg] ZERO_DATE table:sakila.rental: zero dates become NULL? — fix: none');
  assert.doesNotMatch(sink.text(), /S3cret-pw!/);
  assert.match(sink.lines[3].text, /mysql:\/\/root:\*\*\*@h:3306\/db access denied, password \*\*\*/);
  assert.equal(formatEvent(seen[1]), undefined);
});

test('settings are read through one accessor that clamps hand-typed values and maps them to task options', () => {
  const values: Record<string, unknown> = { defaultParallelism: 500, chunkRows: 10, losslessConversion: false, identifierCase: 'UPPER', targetSchema: ' app ', logLevel: 'debug' };
  const s = readSettings({ get: <T>(k: string) => values[k] as T | undefined });
  assert.deepEqual(s, { defaultParallelism: 64, chunkRows: 100, losslessConversion: false, identifierCase: 'lower', targetSchema: 'app',
    logLevel: 'debug', progressLogIntervalSeconds: 10, resumeOnStartup: 'ask' });
  assert.deepEqual(taskOptionsFrom(s), { chunkRows: 100, lossless: false, identifierCase: 'lower', targetSchema: 'app' });
});
