// The chunk planner: ranges cover the whole key space without gaps or overlaps and stay near chunkRows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDenseIntegerRange, isSingleChunk, loadKey, planChunks, storeKey, type Chunk, type KeyTuple } from '../../src/engine/fullload/planner';
import { profileTable } from '../../src/engine/fullload/profile';
import type { KeySource } from '../../src/engine/fullload/types';
import type { Table } from '../../src/engine/model';

/** Which chunk a key falls in, by (lower, upper] over integer keys. */
function chunkOf(chunks: Chunk[], k: bigint): number[] {
  return chunks.filter((c) => (c.lower === null || k > BigInt(c.lower[0] as string)) && (c.upper === null || k <= BigInt(c.upper[0] as string))).map((c) => c.id);
}

test('copies a table without a key as one unbounded chunk, whatever its size', () => {
  assert.equal(isSingleChunk(10_000_000, false, 1000), true);
  assert.deepEqual(planChunks({ kind: 'single', rows: 10_000_000 }, 1000), [{ id: 1, lower: null, upper: null, estimatedRows: 10_000_000 }]);
});

test('keeps a small table in one chunk', () => {
  assert.equal(isSingleChunk(1400, true, 1000), true);
  assert.equal(isSingleChunk(1600, true, 1000), false);
});

test('splits a dense integer key into even ranges where every key lands in exactly one chunk', () => {
  const chunks = planChunks({ kind: 'integer-range', rows: 10_000, min: '1', max: '10000' }, 1000);
  assert.equal(chunks.length, 10);
  assert.equal(chunks[0].lower, null);
  assert.equal(chunks.at(-1)?.upper, null);
  assert.deepEqual(chunks[0].upper, ['1000']);
  assert.deepEqual(chunks[1].lower, ['1000']);
  for (const k of [-5n, 1n, 999n, 1000n, 1001n, 9999n, 10_000n, 20_000n]) assert.equal(chunkOf(chunks, k).length, 1, `key ${k}`);
  for (let i = 1; i < chunks.length; i++) assert.deepEqual(chunks[i].lower, chunks[i - 1].upper);
});

test('handles unsigned 64-bit keys beyond 2^53 exactly', () => {
  const min = '18446744073709500000';
  const max = '18446744073709551615';
  const chunks = planChunks({ kind: 'integer-range', rows: 51_616, min, max }, 10_000);
  assert.equal(chunks.length, 6);
  // width = ceil(51616 / 6) = 8603: the first chunk ends at min - 1 + 8603.
  assert.deepEqual(chunks[0].upper, ['18446744073709508602']);
  for (const k of [BigInt(min), BigInt(max), BigInt(max) - 1n]) assert.equal(chunkOf(chunks, k).length, 1);
});

test('treats a sparse integer key as not dense, so it is walked instead of split evenly', () => {
  assert.equal(isDenseIntegerRange('1', '1000', 1000), true);
  assert.equal(isDenseIntegerRange('1', '1250', 1000), true);
  assert.equal(isDenseIntegerRange('1', '1000000000', 1000), false);
  assert.equal(isDenseIntegerRange('-9223372036854775808', '9223372036854775807', 5), false);
});

test('turns exact boundaries into chunks and merges a small tail into the last full chunk', () => {
  const b = (s: string): KeyTuple => [s, '1'];
  const chunks = planChunks({ kind: 'boundaries', rows: 3100, step: 1000, boundaries: [b('a'), b('b'), b('c')] }, 1000);
  // 100 rows after 'c' join the chunk ('b', …]: no tiny tail chunk.
  assert.deepEqual(chunks.map((c) => [c.lower?.[0] ?? null, c.upper?.[0] ?? null, c.estimatedRows]),
    [[null, 'a', 1000], ['a', 'b', 1000], ['b', null, 1100]]);
  const full = planChunks({ kind: 'boundaries', rows: 3600, step: 1000, boundaries: [b('a'), b('b'), b('c')] }, 1000);
  assert.deepEqual(full.map((c) => c.estimatedRows), [1000, 1000, 1000, 600]);
});

test('picks quantiles from a sorted sample, skipping repeated sample keys', () => {
  const sample = Array.from({ length: 100 }, (_, i) => [String(i).padStart(3, '0')]);
  const chunks = planChunks({ kind: 'sample', rows: 100_000, sample }, 10_000);
  assert.equal(chunks.length, 10);
  assert.deepEqual(chunks[0].upper, ['009']);
  assert.ok(chunks.every((c) => c.estimatedRows === 10_000));
  const repeated = planChunks({ kind: 'sample', rows: 4000, sample: [['a'], ['a'], ['a'], ['a'], ['b'], ['b'], ['b'], ['b']] }, 1000);
  assert.ok(repeated.every((c, i) => i === 0 || c.lower === null || c.upper === null || c.lower[0] !== c.upper[0]));
});

test('stores binary key values as hex and reads them back as the same bytes', () => {
  const tuple: KeyTuple = [Buffer.from([0, 9, 10, 255]), 'été'];
  const stored = storeKey(tuple);
  assert.deepEqual(JSON.parse(JSON.stringify(stored)), [{ hex: '00090aff' }, 'été']);
  assert.deepEqual(loadKey(stored), tuple);
});

/** A key source over an in-memory sorted key list, for the profiler's choices. */
function memorySource(keys: number[]): KeySource & { walks: number } {
  const src = {
    walks: 0,
    countRows: async () => keys.length,
    integerKeyRange: async () => (keys.length ? { min: String(keys[0]), max: String(keys.at(-1)) } : null),
    keyAfter: async (_t: Table, _k: string[], after: KeyTuple | null, step: number) => {
      src.walks++;
      const start = after === null ? 0 : keys.findIndex((k) => k > Number(after[0]));
      const i = start < 0 ? -1 : start + step - 1;
      return i >= 0 && i < keys.length ? [String(keys[i])] : null;
    },
  };
  return src;
}

const intTable: Table = {
  schema: 's', name: 't', primaryKey: ['id'], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0,
  columns: [{ name: 'id', type: { kind: 'int', bytes: 8, unsigned: false }, native: 'bigint', nullable: false }],
};

test('walks a sparse integer key so that no chunk is empty or oversized', async () => {
  // 5000 keys: 4000 packed at the start, 1000 spread far apart.
  const keys = [...Array.from({ length: 4000 }, (_, i) => i + 1), ...Array.from({ length: 1000 }, (_, i) => 1_000_000 + i * 1_000_000)];
  const src = memorySource(keys);
  const profile = await profileTable(src, intTable, ['id'], 1000);
  assert.equal(profile.kind, 'boundaries');
  const chunks = planChunks(profile, 1000);
  const counts = chunks.map((c) => keys.filter((k) => chunkOf([c], BigInt(k)).length === 1).length);
  assert.deepEqual(counts, [1000, 1000, 1000, 1000, 1000]);
});

test('uses even ranges for a dense integer key without walking it', async () => {
  const keys = Array.from({ length: 5000 }, (_, i) => i * 1 + 7);
  const src = memorySource(keys);
  const profile = await profileTable(src, intTable, ['id'], 1000);
  assert.equal(profile.kind, 'integer-range');
  assert.equal(src.walks, 0);
  const counts = planChunks(profile, 1000).map((c) => keys.filter((k) => chunkOf([c], BigInt(k)).length === 1).length);
  assert.deepEqual(counts, [1000, 1000, 1000, 1000, 1000]);
});
