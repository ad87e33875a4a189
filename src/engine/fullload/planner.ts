// The chunk planner: splits a table into primary-key ranges `(lower, upper]` of about chunkRows rows each.
// Pure: the source's facts (row count, key min/max, boundaries or a sorted sample) come in a KeyProfile.
import type { StoredKeyValue } from '../meta';

/** A key column value in the source's text form (Buffer for binary keys). */
export type KeyValue = string | Buffer;
export type KeyTuple = KeyValue[];

/**
 * One chunk: rows whose key tuple k satisfies lower < k <= upper, compared with the source's own ORDER BY
 * semantics (collations included). null = unbounded. A table without a key is one chunk with both null.
 */
export interface Chunk {
  id: number;
  lower: KeyTuple | null;
  upper: KeyTuple | null;
  estimatedRows: number;
}

/** What the planner knows about a table's key, gathered from the source inside the snapshot. */
export type KeyProfile =
  /** Copy as one stream: no usable key, or few rows. */
  | { kind: 'single'; rows: number }
  /** A single integer key whose values fill [min, max] densely enough for even splits. */
  | { kind: 'integer-range'; rows: number; min: string; max: string }
  /** Exact boundaries: every `step`-th key in key order (the last key of each run of `step` rows). */
  | { kind: 'boundaries'; rows: number; step: number; boundaries: KeyTuple[] }
  /** A random sample of keys, sorted by the source in key order. */
  | { kind: 'sample'; rows: number; sample: KeyTuple[] };

/** A table with at most this many chunks' worth of rows is copied as one chunk. */
export const SINGLE_CHUNK_FACTOR = 1.5;
/** An integer key counts as dense when max-min+1 is at most this many times the row count. */
export const DENSE_FACTOR = 1.25;
/** A trailing chunk smaller than this share of chunkRows is merged into the one before. */
const TAIL_MERGE_SHARE = 0.25;

export function isSingleChunk(rows: number, hasKey: boolean, chunkRows: number): boolean {
  return !hasKey || rows <= chunkRows * SINGLE_CHUNK_FACTOR;
}

/** Even splits of [min, max] never give a chunk more than DENSE_FACTOR x chunkRows rows, and rarely empty ones. */
export function isDenseIntegerRange(min: string, max: string, rows: number): boolean {
  const span = BigInt(max) - BigInt(min) + 1n;
  return span > 0n && rows > 0 && span <= BigInt(Math.ceil(rows * DENSE_FACTOR));
}

function keyEquals(a: KeyTuple, b: KeyTuple): boolean {
  return a.length === b.length && a.every((v, i) => {
    const w = b[i];
    return Buffer.isBuffer(v) ? Buffer.isBuffer(w) && v.equals(w) : v === w;
  });
}

/** Builds chunks from sorted, distinct upper bounds (each a chunk's last key); the last chunk is open. */
function chunksFromUppers(uppers: KeyTuple[], rowsPerChunk: (index: number) => number): Chunk[] {
  const chunks: Chunk[] = [];
  let lower: KeyTuple | null = null;
  for (const upper of uppers) {
    if (lower && keyEquals(lower, upper)) continue;
    chunks.push({ id: chunks.length + 1, lower, upper, estimatedRows: rowsPerChunk(chunks.length) });
    lower = upper;
  }
  chunks.push({ id: chunks.length + 1, lower, upper: null, estimatedRows: rowsPerChunk(chunks.length) });
  return chunks;
}

export function planChunks(profile: KeyProfile, chunkRows: number): Chunk[] {
  if (chunkRows < 1) throw new RangeError('chunkRows must be at least 1');
  const rows = Math.max(0, Math.round(profile.rows));
  switch (profile.kind) {
    case 'single':
      return [{ id: 1, lower: null, upper: null, estimatedRows: rows }];
    case 'integer-range': {
      const min = BigInt(profile.min);
      const max = BigInt(profile.max);
      const span = max - min + 1n;
      if (span <= 0n || rows <= chunkRows) return [{ id: 1, lower: null, upper: null, estimatedRows: rows }];
      const count = BigInt(Math.ceil(rows / chunkRows));
      const width = (span + count - 1n) / count;
      const uppers: KeyTuple[] = [];
      // Upper bounds min-1+width, min-1+2*width, … strictly below max; the last chunk is open-ended.
      for (let upper = min - 1n + width; upper < max; upper += width) uppers.push([upper.toString()]);
      const perChunk = Math.round(rows / (uppers.length + 1));
      return chunksFromUppers(uppers, () => perChunk);
    }
    case 'boundaries': {
      const uppers = [...profile.boundaries];
      // The rows after the last boundary; a small tail joins the chunk before it.
      const tail = rows - uppers.length * profile.step;
      if (uppers.length > 0 && tail < chunkRows * TAIL_MERGE_SHARE) uppers.pop();
      const n = uppers.length;
      return chunksFromUppers(uppers, (i) => (i < n ? profile.step : Math.max(0, rows - n * profile.step)));
    }
    case 'sample': {
      const s = profile.sample.length;
      if (s === 0 || rows <= chunkRows) return [{ id: 1, lower: null, upper: null, estimatedRows: rows }];
      // Each sampled key stands for rows/s rows; every `every`-th sample closes a chunk.
      const every = Math.max(1, Math.round((chunkRows * s) / rows));
      const uppers: KeyTuple[] = [];
      for (let i = every - 1; i < s; i += every) uppers.push(profile.sample[i]);
      const tailSamples = s - uppers.length * every;
      if (uppers.length > 0 && tailSamples < every * TAIL_MERGE_SHARE) uppers.pop();
      const perChunk = Math.round(rows / (uppers.length + 1));
      return chunksFromUppers(uppers, () => perChunk);
    }
  }
}

/** A key value for ferry_meta (JSON): Buffers as hex. */
export function storeKey(tuple: KeyTuple | null): StoredKeyValue[] | null {
  return tuple === null ? null : tuple.map((v) => (Buffer.isBuffer(v) ? { hex: v.toString('hex') } : v));
}

export function loadKey(stored: StoredKeyValue[] | null): KeyTuple | null {
  return stored === null ? null : stored.map((v) => (typeof v === 'string' ? v : Buffer.from(v.hex, 'hex')));
}

/** A short printable form of a key tuple for messages (binary as 0x…, long values cut). */
export function describeKey(columns: string[], tuple: KeyTuple): string {
  return columns.map((c, i) => `${c}=${describeValue(tuple[i] ?? null)}`).join(', ');
}

export function describeValue(v: string | Buffer | null, max = 80): string {
  if (v === null) return 'NULL';
  const text = Buffer.isBuffer(v) ? `0x${v.subarray(0, max / 2).toString('hex')}${v.length > max / 2 ? '…' : ''}` : JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  return text;
}
