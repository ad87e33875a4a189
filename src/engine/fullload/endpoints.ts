// Picks the dialect's snapshot, reader and writer for a connection: the only place the full load looks at the engine.
import type { ConnectionConfig } from '../connection';
import { FerryError } from '../errors';
import type { TaskEvents } from '../events';
import type { Task } from '../task';
import type { Table } from '../model';
import type { SourcePosition } from '../position';
import { openMysqlReadSession, openMysqlSnapshot, reopenMysqlSnapshot } from '../mysql/snapshot';
import { openMysqlTarget } from '../mysql/writer';
import { openPostgresReadSession, openPostgresSnapshot, reopenPostgresSnapshot } from '../postgres/snapshot';
import { openPostgresTarget } from '../postgres/writer';
import type { SourceSession, SourceSnapshot, TargetSession } from './types';

export interface SnapshotRequest {
  source: ConnectionConfig;
  tables: Table[];
  parallelism: number;
  /** Names the PostgreSQL slot and publication (replicationName). */
  task: Pick<Task, 'name' | 'source' | 'target'>;
  /** CDC follows: PostgreSQL keeps a slot and publication for it. */
  forIncremental: boolean;
  events?: TaskEvents;
  signal?: AbortSignal;
}

export function openSnapshot(r: SnapshotRequest): Promise<SourceSnapshot> {
  return r.source.engine === 'mysql'
    ? openMysqlSnapshot(r.source, r.parallelism, r.events, r.signal)
    : openPostgresSnapshot(r.source, r.tables, r.parallelism, r.task, { withSlot: r.forIncremental, events: r.events, signal: r.signal });
}

/** A new view for resuming, keeping the saved position (see the invariant in the dialects' reopen functions). */
export function reopenSnapshot(r: SnapshotRequest, saved: SourcePosition): Promise<SourceSnapshot> {
  if (saved.engine !== r.source.engine) {
    throw new FerryError('SNAPSHOT_ENGINE_MISMATCH', `the saved snapshot position is for a ${saved.engine} source but the task's source is ${r.source.engine}`,
      { fix: 'restart the full load from scratch (ferry run --force)' });
  }
  return saved.engine === 'mysql'
    ? reopenMysqlSnapshot(r.source, r.parallelism, saved, r.events, r.signal)
    : reopenPostgresSnapshot(r.source, r.parallelism, saved, r.signal);
}

export function openReadSession(source: ConnectionConfig): Promise<SourceSession> {
  return source.engine === 'mysql' ? openMysqlReadSession(source) : openPostgresReadSession(source);
}

export function openTarget(target: ConnectionConfig): Promise<TargetSession> {
  return target.engine === 'mysql' ? openMysqlTarget(target) : openPostgresTarget(target);
}

/** Opens n target sessions, closing the opened ones if one fails. */
export async function openTargets(target: ConnectionConfig, n: number): Promise<TargetSession[]> {
  const out: TargetSession[] = [];
  try {
    for (let i = 0; i < n; i++) out.push(await openTarget(target));
  } catch (err) {
    await Promise.all(out.map((t) => t.close()));
    throw err;
  }
  return out;
}
