// Memory bounds and bookkeeping of incremental apply: the scheduler's byte bound, batch byte limit, the
// low-water mark over long out-of-order completions, and the row size estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DependencyScheduler, type ApplyWorker } from '../../src/engine/cdc/scheduler';
import { type PreparedTransaction, rowImageBytes } from '../../src/engine/cdc/events';
import { LowWaterMark } from '../../src/engine/cdc/low-water';
import type { SourcePosition } from '../../src/engine/position';

const pos = (n: number): SourcePosition => ({ engine: 'mysql', file: 'bin.000001', pos: n });

function tx(n: number, bytes: number, writeSet: string[] = [`t|id=${n}`]): PreparedTransaction {
  return {
    source: { key: String(n).padStart(6, '0'), id: `t${n}`, commitTime: 0, changes: [], resumeFrom: pos(n) },
    changes: [], writeSet, barrier: false, rows: 1, bytes,
  };
}

/** Workers whose apply waits until the test opens the gate; they record each batch. */
function gatedWorkers(n: number) {
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  const batches: string[][] = [];
  const workers: ApplyWorker[] = Array.from({ length: n }, () => ({
    async apply(batch: PreparedTransaction[]) {
      batches.push(batch.map((t) => t.source.id));
      await gate;
    },
  }));
  return { workers, batches, open: () => open() };
}

test('submissions wait while the queued transactions exceed the byte bound, and go on as batches commit', async () => {
  const g = gatedWorkers(1);
  const s = new DependencyScheduler({ workers: g.workers, signal: new AbortController().signal, maxQueuedBytes: 1000, maxBatchTransactions: 1 });
  await s.submit(tx(1, 400));
  await s.submit(tx(2, 400));
  let third = false;
  const p = s.submit(tx(3, 400)).then(() => { third = true; });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(third, false, 'the third transaction was accepted beyond the byte bound');
  assert.equal(s.queuedBytes, 800);
  g.open();
  await p;
  await s.drain();
  assert.equal(third, true);
  assert.equal(s.queuedBytes, 0);
  assert.equal(s.queued, 0);
});

test('one transaction larger than the byte bound is still accepted into an empty queue', async () => {
  const g = gatedWorkers(1);
  g.open();
  const s = new DependencyScheduler({ workers: g.workers, signal: new AbortController().signal, maxQueuedBytes: 100 });
  await s.submit(tx(1, 5000));
  await s.drain();
  assert.deepEqual(g.batches, [['t1']]);
});

test('a batch stops at the byte limit, so large transactions are applied a few at a time', async () => {
  const g = gatedWorkers(1);
  g.open();
  const s = new DependencyScheduler({ workers: g.workers, signal: new AbortController().signal, maxBatchBytes: 1000 });
  // One chain of dependent transactions: each batch takes as many as fit in 1000 bytes, in source order.
  for (let i = 1; i <= 5; i++) await s.submit(tx(i, 400, ['t|id=1']));
  await s.drain();
  assert.deepEqual(g.batches.flat(), ['t1', 't2', 't3', 't4', 't5']);
  for (const b of g.batches) assert.ok(b.length <= 2, `batch ${b.join(',')} is over the byte limit`);
});

test('the low-water mark follows the longest applied prefix over many out-of-order completions', () => {
  const mark = new LowWaterMark({ key: '', position: pos(0) });
  const n = 5000;
  for (let i = 1; i <= n; i++) mark.submitted(String(i).padStart(6, '0'), pos(i));
  // Even keys first: the prefix cannot move past transaction 1.
  for (let i = 2; i <= n; i += 2) mark.applied(String(i).padStart(6, '0'));
  assert.equal(mark.current().key, '');
  mark.applied('000001');
  assert.deepEqual(mark.current(), { key: '000002', position: pos(2) });
  for (let i = 3; i <= n; i += 2) mark.applied(String(i).padStart(6, '0'));
  assert.deepEqual(mark.current(), { key: String(n).padStart(6, '0'), position: pos(n) });
  // Nothing in flight: an idle position moves the mark on; a new submission holds it again.
  mark.idle(pos(n + 10));
  assert.deepEqual(mark.current().position, pos(n + 10));
  mark.submitted('999999', pos(n + 20));
  mark.idle(pos(n + 30));
  assert.deepEqual(mark.current().position, pos(n + 10));
});

test('the row size estimate counts text at two bytes a character, binary at its length, and each value', () => {
  const small = rowImageBytes([null, null]);
  assert.ok(rowImageBytes(['x'.repeat(1000)]) >= 2000);
  assert.ok(rowImageBytes([Buffer.alloc(1000)]) >= 1000);
  assert.ok(rowImageBytes([null, null, null, null]) > small);
  assert.equal(rowImageBytes(undefined), 0);
});
