// What verify needs from one side of a migration (source or target), implemented per dialect.
import type { ConnectionConfig } from './connection';
import type { Column, EngineKind, QualifiedName } from './model';
import type { SourceValue } from './convert/types';

/** One table as one side sees it: its name, the compared columns (in mapping order) and its key columns. */
export interface SideTable {
  name: QualifiedName;
  columns: Column[];
  /** Key column names on this side, in key order; empty for a table without a key. */
  key: string[];
}

export interface VerifySide {
  readonly engine: EngineKind;
  count(t: SideTable): Promise<number>;
  /** Up to `limit` rows with key greater than `after` (null = from the start), in the side's key order. */
  readAfter(t: SideTable, after: SourceValue[] | null, limit: number): Promise<SourceValue[][]>;
  /** The rows whose key is one of `keys` (values in this side's input text form), in no particular order. */
  fetchByKeys(t: SideTable, keys: SourceValue[][]): Promise<SourceValue[][]>;
  /** Every row of the table, streamed with back-pressure (tables without a key). */
  scan(t: SideTable, signal?: AbortSignal): AsyncIterable<SourceValue[]>;
  /** In one transaction: delete the rows with these keys, then insert these rows (values aligned to t.columns). */
  replaceByKey(t: SideTable, deleteKeys: SourceValue[][], insertRows: SourceValue[][]): Promise<void>;
  /** In one transaction: delete one row per entry equal in every column (as read from this side), then insert rows. */
  replaceWhole(t: SideTable, deleteRows: SourceValue[][], insertRows: SourceValue[][]): Promise<void>;
  close(): Promise<void>;
}

export type OpenSide = (c: ConnectionConfig) => Promise<VerifySide>;

/** Key values of a row, in the order of `t.key`. */
export function keyOf(t: SideTable, row: SourceValue[]): SourceValue[] {
  return t.key.map((k) => row[keyIndex(t, k)]);
}

export function keyIndex(t: SideTable, column: string): number {
  const i = t.columns.findIndex((c) => c.name === column);
  if (i < 0) throw new Error(`key column ${column} is not among the compared columns of ${t.name.schema}.${t.name.name}`);
  return i;
}

/** Rows per statement for key lists, so no statement exceeds the drivers' parameter limits. */
export function keyBatchSize(keyColumns: number): number {
  return Math.max(1, Math.floor(20_000 / Math.max(1, keyColumns)));
}
