import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type FerryEvent, TaskEvents } from '../../src/engine/events';

test('an error event without a typed listener is an ordinary event, not a thrown exception', () => {
  const events = new TaskEvents('t');
  const seen: FerryEvent[] = [];
  events.on((e) => seen.push(e));
  events.emit({ type: 'error', code: 'X', message: 'boom', retryable: true });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].type, 'error');
  assert.equal(seen[0].task, 't');
});

test('typed listeners receive only their type and can unsubscribe', () => {
  const events = new TaskEvents('t');
  const lags: number[] = [];
  const off = events.onType('lag', (e) => lags.push(e.secondsBehind));
  events.emit({ type: 'lag', secondsBehind: 2, queuedTransactions: 0, appliedPerSecond: 1, appliedRowsPerSecond: 1, position: 'p' });
  events.emit({ type: 'log', level: 'info', message: 'x' });
  off();
  events.emit({ type: 'lag', secondsBehind: 3, queuedTransactions: 0, appliedPerSecond: 1, appliedRowsPerSecond: 1, position: 'p' });
  assert.deepEqual(lags, [2]);
});
