// The neutral change model of incremental replication: source transactions of row changes, as the binlog
// and pgoutput readers produce them and the scheduler and appliers consume them.
import type { QualifiedName } from '../model';
import type { SourcePosition } from '../position';
import type { SourceValue, TargetValue } from '../convert/types';

export type ChangeKind = 'insert' | 'update' | 'delete';

/**
 * One row change in the source's terms. Images hold every column of the source table in column order
 * (TableMapping.source.columns). `before` may be partial (PostgreSQL sends only the replica-identity
 * columns); columns it does not carry are `undefined`. `unchanged` marks after-image columns whose value
 * the source did not send (PostgreSQL unchanged TOAST): they must keep the target's current value.
 */
export interface RowChange {
  kind: ChangeKind;
  table: QualifiedName;
  before?: (SourceValue | undefined)[];
  after?: SourceValue[];
  unchanged?: boolean[];
}

/** A schema change seen in the log, applied in order as a barrier (nothing runs beside it). */
export interface DdlChange {
  /** The statement text as the source logged it (MySQL) or a description of the relation change (PostgreSQL). */
  statement: string;
  /** Source default schema/database the statement ran in. */
  schema: string;
  /** The tables it affects, when known. */
  tables: QualifiedName[];
  /** The live column names of each affected table after the statement (by `schema.name`); images after it use this order. */
  columns?: Record<string, string[]>;
  /** PostgreSQL: the columns a Relation message added or dropped. */
  relation?: { table: QualifiedName; added: { name: string; typeOid: number; typmod: number }[]; dropped: string[] };
  /** PostgreSQL TRUNCATE message: the tables to empty (with CASCADE / RESTART IDENTITY flags). */
  truncate?: { tables: QualifiedName[]; cascade: boolean; restartIdentity: boolean };
}

/**
 * One committed source transaction, in source commit order. `key` totally orders transactions of one task
 * (zero-padded so string order is log order) and is what ferry_meta.cdc_applied records; `resumeFrom` is
 * the position just after its commit, where a restart continues once it and everything before is applied.
 */
export interface SourceTransaction {
  key: string;
  /** Source transaction id (MariaDB GTID, MySQL XID, PostgreSQL xid), for messages. */
  id: string;
  resumeFrom: SourcePosition;
  /** Source commit time, epoch milliseconds (feeds lag). */
  commitTime: number;
  changes: RowChange[];
  ddl?: DdlChange;
  /** Estimated memory of its row images (rowImageBytes), for the readers' and the scheduler's byte bounds. */
  bytes?: number;
}

/** A row change in the target's terms: target table, target column names and converted values. */
export interface TargetRowChange {
  kind: ChangeKind;
  /** Index of the table's TableMapping in the replicator's list. */
  table: number;
  /** Target-side key values (old image) in key order, for update/delete; absent when the table has no key. */
  oldKey?: TargetValue[];
  /** Whole old row (target columns, undefined = not sent), used to match tables without a key. */
  before?: (TargetValue | undefined)[];
  /** New row (target columns); `unchanged[i]` = keep the target's current value. */
  after?: TargetValue[];
  unchanged?: boolean[];
}

/** A transaction ready to apply: its changes converted, its write-set computed. */
export interface PreparedTransaction {
  source: SourceTransaction;
  changes: TargetRowChange[];
  writeSet: string[];
  /** A barrier runs alone: everything before it finishes first, nothing after it starts before it ends. */
  barrier: boolean;
  rows: number;
  /** Target statements a DDL barrier runs before its row changes. */
  ddlSql?: string[];
  /** Estimated memory held by this transaction (source and target images), for the scheduler's byte bound. */
  bytes?: number;
}

/** A TRUNCATE from either source: pgoutput's Truncate message, or a MySQL TRUNCATE statement. */
export function isTruncate(ddl: DdlChange): boolean {
  return ddl.truncate !== undefined || /^\s*TRUNCATE\b/i.test(ddl.statement);
}

/** What a change stream yields: committed transactions in commit order, and position/liveness notes. */
export type StreamItem =
  | { kind: 'transaction'; tx: SourceTransaction }
  /**
   * The source is at `sourceTime` (epoch ms) and nothing of interest lies before `position`; `caughtUp`
   * when the source said so (heartbeat / keepalive: no more log to send right now).
   */
  | { kind: 'position'; sourceTime: number; position: SourcePosition; caughtUp: boolean };

/** A source log reader (binlog, pgoutput). Iterate once; `close` ends the iteration. */
export interface ChangeStream extends AsyncIterable<StreamItem> {
  /** Everything up to and including `position` is committed on the target (PostgreSQL acknowledges it to the slot). */
  confirm(position: SourcePosition): void;
  close(): Promise<void>;
}

/** Rough per-value cost of a JS array slot plus a string/Buffer header, so many small values count too. */
const VALUE_OVERHEAD = 40;

/** Estimated memory of one row image: value lengths (strings may be two bytes a character) plus per-value overhead. */
export function rowImageBytes(row: readonly (SourceValue | TargetValue | undefined)[] | undefined): number {
  if (!row) return 0;
  let n = 64;
  for (const v of row) {
    n += VALUE_OVERHEAD;
    if (typeof v === 'string') n += v.length * 2;
    else if (v) n += v.length;
  }
  return n;
}
