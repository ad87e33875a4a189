// The interface behind which each dialect answers pre-check's questions about one server (source or target).
import type { CheckResult } from './api';
import type { ConnectionConfig } from './connection';
import type { ConvertedSchema } from './convert/types';
import type { EngineKind, QualifiedName, Table } from './model';
import type { Task } from './task';

/** A migrated source table as pre-check sees it (read from the catalog, cheap). */
export interface InventoryTable {
  schema: string;
  name: string;
  hasPrimaryKey: boolean;
  /** A unique key over NOT NULL columns exists (CDC can identify rows by it). */
  hasUniqueKey: boolean;
  estimatedRows: number;
  estimatedBytes: number;
  /** PostgreSQL: relreplident (d default, n nothing, f full, i index). */
  replicaIdentity?: 'd' | 'n' | 'f' | 'i';
  /** PostgreSQL: SELECT privilege and ownership (for publications) of the connected role. */
  canSelect?: boolean;
  owned?: boolean;
}

/** What the source-side and target-side checks share. */
export interface PrecheckPlan {
  task: Task;
  conversion?: ConvertedSchema;
  /** The source tables that migrate (after the task's include/exclude filter). */
  sourceTables: InventoryTable[];
  /** Where those tables land on the target. */
  targetTables: QualifiedName[];
  sourceBytes: number;
  /** Conservative full-load duration estimate. */
  estimatedLoadSeconds: number;
  incremental: boolean;
  /** `ferry_<task>`: publication and slot name on PostgreSQL sources. */
  replicationName: string;
  signal?: AbortSignal;
}

export interface FreeSpace {
  bytes?: number;
  /** Why it cannot be read, when bytes is absent. */
  reason?: string;
}

export interface PrecheckProbe {
  readonly engine: EngineKind;
  readonly config: ConnectionConfig;
  /** e.g. `10.11.6-MariaDB`, `15.5`. */
  readonly version: string;
  /** The version check for this server in this role. */
  versionCheck(role: 'source' | 'target'): CheckResult;
  /** The migrated tables, filtered by the task's objects. */
  inventory(filter: (schema: string, name: string) => boolean): Promise<InventoryTable[]>;
  sourceChecks(plan: PrecheckPlan): Promise<CheckResult[]>;
  targetChecks(plan: PrecheckPlan): Promise<CheckResult[]>;
  /** The zone the server renders zone-aware timestamps in for applications (its default, not Ferry's session). */
  timeZone(): Promise<string>;
  freeSpace(): Promise<FreeSpace>;
  /** Target MySQL: the global max_allowed_packet; PostgreSQL: undefined (no such limit). */
  maxPacket(): Promise<number | undefined>;
  /** Source: the largest row in bytes of the given tables, or undefined when too expensive to measure. */
  largestRow(tables: Table[], budgetRows: number): Promise<{ table: string; bytes: number } | undefined>;
  /** Target: which of these tables exist and whether they hold rows. */
  existingTables(names: QualifiedName[]): Promise<{ name: QualifiedName; hasRows: boolean }[]>;
  /** Target MySQL: the collation a column gets when its definition names none. */
  defaultCollation(schema: string): Promise<string | undefined>;
  /** Target MySQL: lower_case_table_names != 0 (table names compare case-insensitively). */
  caseInsensitiveTableNames(): Promise<boolean>;
  /**
   * Source: how many groups of rows of `table` share the same values of `columns` once compared the way
   * `collation` compares them (case, accents, trailing spaces); undefined when it cannot tell.
   */
  collidingGroups(table: QualifiedName, columns: string[], collation: string): Promise<number | undefined>;
  close(): Promise<void>;
}

export function check(id: string, level: CheckResult['level'], title: string, message: string, fix?: string, object?: string): CheckResult {
  const r: CheckResult = { id, level, title, message };
  if (fix !== undefined) r.fix = fix;
  if (object !== undefined) r.object = object;
  return r;
}

/** Compares dotted version numbers. */
export function versionAtLeast(version: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = version[i] ?? 0;
    if (a !== min[i]) return a > min[i];
  }
  return true;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** Loopback hosts: the server's files are on this machine, so its data directory's free space is readable. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
