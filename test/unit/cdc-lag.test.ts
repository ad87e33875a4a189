// The lag meter's applied rates: every transaction counts once, and only those of the last 5 seconds count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LagMeter } from '../../src/engine/cdc/lag';
import type { PreparedTransaction } from '../../src/engine/cdc/events';

const tx = (rows: number, commitTime = 0) => ({ rows, source: { commitTime } }) as unknown as PreparedTransaction;

test('applied rates count every transaction and row of the last five seconds, however many arrive per millisecond', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const lag = new LagMeter();
  // 2 s of 1000 transactions of 3 rows each per 50 ms: 40,000 transactions.
  for (let step = 0; step < 40; step++) {
    for (let i = 0; i < 1000; i++) lag.applied(tx(3));
    t.mock.timers.tick(50);
  }
  assert.deepEqual(lag.rates(), { tx: 40_000 / 2, rows: 120_000 / 2 });
  // Six seconds later, with 10 new transactions: the old ones have left the window.
  t.mock.timers.tick(6000);
  for (let i = 0; i < 10; i++) lag.applied(tx(1));
  assert.deepEqual(lag.rates(), { tx: 10, rows: 10 });
});
