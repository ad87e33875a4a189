// The dependency scheduler: commit order per key, real concurrency for disjoint transactions, barriers, batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DependencyScheduler, type ApplyWorker } from '../../src/engine/cdc/scheduler';
import type { PreparedTransaction } from '../../src/engine/cdc/events';

function tx(n: number, writeSet: string[], barrier = false): PreparedTransaction {
  return {
    source: { key: String(n).padStart(6, '0'), id: `t${n}`, commitTime: 0, changes: [], resumeFrom: { engine: 'postgres', lsn: `0/${n}`, slot: 's', publication: 'p' } },
    changes: [], writeSet, barrier, rows: 1,
  };
}

/** A worker that records when each transaction's apply started and ended, taking `ms` per batch. */
function recordingWorkers(n: number, ms: number, log: { id: string; worker: number; start: number; end: number }[]): ApplyWorker[] {
  return Array.from({ length: n }, (_, worker) => ({
    async apply(batch: PreparedTransaction[]) {
      const start = performance.now();
      await new Promise((r) => setTimeout(r, ms));
      const end = performance.now();
      for (const t of batch) log.push({ id: t.source.id, worker, start, end });
    },
  }));
}

test('keeps commit order for two transactions touching one key under parallel apply', async () => {
  const log: { id: string; worker: number; start: number; end: number }[] = [];
  const s = new DependencyScheduler({ workers: recordingWorkers(4, 30, log), signal: new AbortController().signal, maxBatchTransactions: 1 });
  await s.submit(tx(1, ['t|id=1']));
  await s.submit(tx(2, ['t|id=1']));
  await s.drain();
  const a = log.find((l) => l.id === 't1')!;
  const b = log.find((l) => l.id === 't2')!;
  assert.ok(b.start >= a.end, `t2 started at ${b.start} before t1 ended at ${a.end}`);
});

test('runs transactions with disjoint write-sets concurrently on different workers', async () => {
  const log: { id: string; worker: number; start: number; end: number }[] = [];
  const s = new DependencyScheduler({ workers: recordingWorkers(4, 60, log), signal: new AbortController().signal, maxBatchTransactions: 1 });
  for (let i = 1; i <= 4; i++) await s.submit(tx(i, [`t|id=${i}`]));
  await s.drain();
  assert.equal(log.length, 4);
  assert.equal(new Set(log.map((l) => l.worker)).size, 4);
  // Every pair of apply windows overlaps: all four ran at the same time.
  const latestStart = Math.max(...log.map((l) => l.start));
  const earliestEnd = Math.min(...log.map((l) => l.end));
  assert.ok(latestStart < earliestEnd, `apply windows did not overlap: last start ${latestStart}, first end ${earliestEnd}`);
});

test('a transaction waits for every earlier one it conflicts with, not only the latest', async () => {
  const log: { id: string; worker: number; start: number; end: number }[] = [];
  const s = new DependencyScheduler({ workers: recordingWorkers(3, 20, log), signal: new AbortController().signal, maxBatchTransactions: 1 });
  await s.submit(tx(1, ['a']));
  await s.submit(tx(2, ['b']));
  await s.submit(tx(3, ['a', 'b']));
  await s.drain();
  const t3 = log.find((l) => l.id === 't3')!;
  for (const id of ['t1', 't2']) assert.ok(t3.start >= log.find((l) => l.id === id)!.end, `t3 overtook ${id}`);
});

test('a barrier runs alone: after everything before it and before everything after it', async () => {
  const log: { id: string; worker: number; start: number; end: number }[] = [];
  const s = new DependencyScheduler({ workers: recordingWorkers(4, 20, log), signal: new AbortController().signal, maxBatchTransactions: 1 });
  await s.submit(tx(1, ['a']));
  await s.submit(tx(2, ['b']));
  await s.submit(tx(3, [], true));
  await s.submit(tx(4, ['c']));
  await s.drain();
  const bar = log.find((l) => l.id === 't3')!;
  for (const id of ['t1', 't2']) assert.ok(bar.start >= log.find((l) => l.id === id)!.end);
  assert.ok(log.find((l) => l.id === 't4')!.start >= bar.end);
});

test('batches a chain of dependent transactions into one target transaction in source order', async () => {
  const batches: string[][] = [];
  const worker: ApplyWorker = { async apply(batch) { batches.push(batch.map((t) => t.source.id)); await new Promise((r) => setTimeout(r, 20)); } };
  const s = new DependencyScheduler({ workers: [worker], signal: new AbortController().signal, maxBatchTransactions: 10 });
  // The single worker is busy with t1 while t2..t5 queue up; they then go together, in order.
  await s.submit(tx(1, ['k']));
  for (let i = 2; i <= 5; i++) await s.submit(tx(i, ['k']));
  await s.drain();
  assert.deepEqual(batches, [['t1'], ['t2', 't3', 't4', 't5']]);
});

test('retries a batch after a retryable error and fails with the transaction id on a permanent one', async () => {
  let calls = 0;
  const flaky: ApplyWorker = {
    async apply(batch) {
      calls++;
      if (batch[0].source.id === 't1' && calls === 1) throw Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
      if (batch[0].source.id === 't2') throw Object.assign(new Error('duplicate key'), { code: '23505' });
    },
  };
  const s = new DependencyScheduler({ workers: [flaky], signal: new AbortController().signal, maxBatchTransactions: 1, retries: 2 });
  await s.submit(tx(1, ['a']));
  await s.submit(tx(2, ['b']));
  await assert.rejects(s.drain(), (e: Error & { code?: string }) => e.code === '23505' && /source transaction t2/.test(e.message));
  assert.equal(calls, 3);
});

test('held transactions block only the transactions that conflict with them', async () => {
  const applied: string[] = [];
  const worker: ApplyWorker = { async apply(batch) { applied.push(...batch.map((t) => t.source.id)); } };
  const s = new DependencyScheduler({ workers: [worker, worker], signal: new AbortController().signal });
  await s.submit(tx(1, ['paused|1']), true);
  await s.submit(tx(2, ['paused|1']));
  await s.submit(tx(3, ['other|1']));
  await s.drain();
  assert.deepEqual(applied, ['t3']);
  assert.equal(s.queued, 2);
  s.release(() => true);
  await s.drain();
  assert.deepEqual(applied, ['t3', 't1', 't2']);
});
