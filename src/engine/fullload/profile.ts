// Gathers a table's KeyProfile from the source (inside the snapshot) with the cheapest queries that suffice.
import type { Table } from '../model';
import { type KeyProfile, type KeyTuple, isDenseIntegerRange, isSingleChunk } from './planner';
import type { KeySource } from './types';

function isIntegerKey(table: Table, key: string[]): boolean {
  if (key.length !== 1) return false;
  const col = table.columns.find((c) => c.name === key[0]);
  const t = col?.type;
  return t?.kind === 'int' || (t?.kind === 'domain' && t.base.kind === 'int');
}

/**
 * Small tables and tables without a key: one chunk. A single integer key spread densely over [min, max]:
 * even ranges (two index probes). Anything else (composite, string, binary, sparse integer keys): walk the
 * key in the source's order and take every chunkRows-th key as a boundary — exact quantiles, so no chunk is
 * empty or oversized, and boundaries follow the source's collation because the source orders them.
 */
export async function profileTable(source: KeySource, table: Table, key: string[], chunkRows: number, signal?: AbortSignal): Promise<KeyProfile> {
  const rows = await source.countRows(table);
  if (isSingleChunk(rows, key.length > 0, chunkRows)) return { kind: 'single', rows };
  if (isIntegerKey(table, key)) {
    const range = await source.integerKeyRange(table, key[0]);
    if (range === null) return { kind: 'single', rows: 0 };
    if (isDenseIntegerRange(range.min, range.max, rows)) return { kind: 'integer-range', rows, ...range };
  }
  const boundaries: KeyTuple[] = [];
  let after: KeyTuple | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const next: KeyTuple | null = await source.keyAfter(table, key, after, chunkRows);
    if (next === null) break;
    boundaries.push(next);
    after = next;
  }
  return { kind: 'boundaries', rows: Math.max(rows, boundaries.length * chunkRows), step: chunkRows, boundaries };
}
