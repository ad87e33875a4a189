// Turns source row changes into target row changes (column mapping + value converters) and computes each
// transaction's write-set: the table + key values that decide which transactions may run concurrently.
import type { ColumnMapping, SourceValue, TableMapping, TargetValue } from '../convert/types';
import { FerryError } from '../errors';
import { qualifiedKey } from '../model';
import { type PreparedTransaction, type RowChange, type SourceTransaction, type TargetRowChange, rowImageBytes } from './events';

/** What the replicator knows about one migrated table, derived once from its TableMapping. */
export interface TablePlan {
  index: number;
  mapping: TableMapping;
  /** Source column position of each mapped column (mapping.columns order). */
  sourceIndex: number[];
  /** Mapped columns the target accepts values for (generated target columns are computed there). */
  writable: boolean[];
  /** Positions (in mapping.columns) of the key columns, in key order; empty = no key. */
  keyColumns: number[];
  /** Unique keys (source column positions), the primary key first: write-set members. */
  uniqueKeys: { name: string; columns: number[] }[];
  /** Foreign keys as (referenced table + columns, source column positions), so parents and children order. */
  references: { name: string; columns: number[] }[];
}

export function planTables(mappings: TableMapping[]): TablePlan[] {
  return mappings.map((mapping, index) => {
    const src = mapping.source;
    const pos = (name: string) => {
      const i = src.columns.findIndex((c) => c.name === name);
      if (i < 0) throw new FerryError('CDC_MAPPING', `table ${src.schema}.${src.name}: key column "${name}" is not a column of the table`);
      return i;
    };
    const sourceIndex = mapping.columns.map((c: ColumnMapping) => pos(c.source.name));
    const keyColumns = mapping.key.map((k) => {
      const i = mapping.columns.findIndex((c) => c.source.name === k);
      if (i < 0) throw new FerryError('CDC_MAPPING', `table ${src.schema}.${src.name}: key column "${k}" is not migrated`, { fix: 'include every key column in the migration' });
      return i;
    });
    const tableId = qualifiedKey(src);
    const uniqueKeys: TablePlan['uniqueKeys'] = [];
    const keyName = (table: string, cols: string[]) => `${table}|${[...cols].sort().join(',')}`;
    if (src.primaryKey.length > 0) uniqueKeys.push({ name: keyName(tableId, src.primaryKey), columns: sortedPositions(src.primaryKey, pos) });
    for (const ix of src.indexes) {
      if (!ix.unique || ix.primary || ix.where || ix.parts.some((p) => !p.column || p.prefixLength)) continue;
      const cols = ix.parts.map((p) => p.column as string);
      uniqueKeys.push({ name: keyName(tableId, cols), columns: sortedPositions(cols, pos) });
    }
    if (uniqueKeys.length === 0 && mapping.key.length > 0) uniqueKeys.push({ name: keyName(tableId, mapping.key), columns: sortedPositions(mapping.key, pos) });
    // A child row's FK values name the parent's key: both transactions then share a write-set member.
    const references = src.foreignKeys.map((fk) => {
      const pairs = fk.columns.map((c, i) => ({ ref: fk.referencedColumns[i], col: pos(c) })).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
      return { name: keyName(qualifiedKey(fk.references), pairs.map((p) => p.ref)), columns: pairs.map((p) => p.col) };
    });
    return {
      index, mapping, sourceIndex, keyColumns, uniqueKeys, references,
      writable: mapping.columns.map((c) => !c.target.generated),
    };
  });
}

function sortedPositions(cols: string[], pos: (n: string) => number): number[] {
  return [...cols].sort().map(pos);
}

/**
 * A key value as a write-set member. Folded to lower case and right-trimmed so values equal under a
 * case-insensitive or PAD SPACE target collation also conflict: a false conflict only costs concurrency.
 */
function keyText(v: SourceValue | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  return v.toLowerCase().trimEnd();
}

function addMembers(set: Set<string>, plan: TablePlan, row: (SourceValue | undefined)[] | undefined): void {
  if (!row) return;
  for (const keys of [plan.uniqueKeys, plan.references]) {
    for (const k of keys) {
      const parts: string[] = [];
      for (const c of k.columns) {
        const t = keyText(row[c]);
        // NULL never conflicts in a unique index; an absent old value (not sent) cannot be used either.
        if (t === undefined) { parts.length = 0; break; }
        parts.push(t);
      }
      if (parts.length === k.columns.length && parts.length > 0) set.add(`${k.name}=${parts.join('\u0000')}`);
    }
  }
}

function convertValue(col: ColumnMapping, v: SourceValue | undefined, table: string): TargetValue | undefined {
  if (v === null || v === undefined || !col.convert) return v;
  try {
    return col.convert(v);
  } catch (err) {
    if (err instanceof FerryError) throw new FerryError(err.code, `${table}.${col.source.name}: ${err.message}`, { fix: err.fix });
    throw err;
  }
}

/** Converts one source row change to the target's terms. */
export function convertChange(plan: TablePlan, change: RowChange): TargetRowChange {
  const name = qualifiedKey(plan.mapping.source);
  const cols = plan.mapping.columns;
  const map = (row: (SourceValue | undefined)[] | undefined) =>
    row ? cols.map((c, i) => convertValue(c, row[plan.sourceIndex[i]], name)) : undefined;
  const out: TargetRowChange = { kind: change.kind, table: plan.index };
  const before = map(change.before);
  const after = map(change.after) as TargetValue[] | undefined;
  if (before) out.before = before;
  if (after) out.after = after;
  if (change.unchanged) out.unchanged = cols.map((_, i) => change.unchanged?.[plan.sourceIndex[i]] ?? false);
  if (plan.keyColumns.length > 0 && change.kind !== 'insert') {
    // PostgreSQL sends no old image when the key did not change: the new image's key is the old key.
    const old = before && plan.keyColumns.every((k) => before[k] !== undefined) ? before : after;
    if (!old) throw new FerryError('CDC_DECODE', `${name}: a ${change.kind} without a key image`);
    out.oldKey = plan.keyColumns.map((k) => old[k] as TargetValue);
  }
  return out;
}

/** Converts a source transaction and computes its write-set. `plans` is indexed by `qualifiedKey(source table)`. */
export function prepareTransaction(tx: SourceTransaction, plans: Map<string, TablePlan>): PreparedTransaction {
  const set = new Set<string>();
  const changes: TargetRowChange[] = [];
  for (const ch of tx.changes) {
    const plan = plans.get(qualifiedKey(ch.table));
    if (!plan) continue;
    if (plan.uniqueKeys.length === 0) set.add(`${qualifiedKey(plan.mapping.source)}|*`);
    addMembers(set, plan, ch.before);
    addMembers(set, plan, ch.after);
    changes.push(convertChange(plan, ch));
  }
  // Target images are about as large as the source ones (both are held until the batch commits).
  const bytes = 2 * (tx.bytes ?? tx.changes.reduce((n, ch) => n + rowImageBytes(ch.before) + rowImageBytes(ch.after), 0));
  return { source: tx, changes, writeSet: [...set], barrier: tx.ddl !== undefined, rows: changes.length, bytes };
}
