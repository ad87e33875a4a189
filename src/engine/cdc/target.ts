// What the replicator needs from a target engine: apply sessions, the ferry_meta CDC state, DDL statements.
import type { SourcePosition } from '../position';
import type { ApplyWorker } from './scheduler';
import type { TablePlan } from './writeset';
import type { DdlChange } from './events';

export interface CdcState {
  /** Everything up to and including this transaction key is applied; resume from `position`. */
  lowWater?: { key: string; position: SourcePosition };
  /** Keys above the low-water mark that are applied too (skipped on replay). */
  applied: Set<string>;
}

export interface TargetApplier {
  /** Creates ferry_meta.cdc_applied / cdc_state when missing and reads this task's state. */
  loadState(): Promise<CdcState>;
  /** Persists the low-water mark and forgets the applied marks at or below it (one transaction). */
  saveLowWater(key: string, position: SourcePosition, lagSeconds: number): Promise<void>;
  /** Opens one apply session (its own connection). */
  openWorker(): Promise<ApplyWorker & { close(): Promise<void> }>;
  /**
   * Target statements for a TRUNCATE, or for a same-engine MySQL statement (the statement itself, adapted), or a
   * reason it cannot be applied automatically (the table then pauses). Column changes of a PostgreSQL source and
   * every change across engines go through the schema rules instead (cdc/ddl-convert.ts).
   */
  ddlStatements(ddl: DdlChange, plans: TablePlan[]): { statements: string[] } | { reason: string; fix: string };
  close(): Promise<void>;
}
