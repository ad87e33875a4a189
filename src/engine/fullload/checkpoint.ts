// Plan and checkpoint bookkeeping: fresh plans from the snapshot, resume decisions from ferry_meta, the non-empty-target guard.
import { FerryError } from '../errors';
import type { ChunkRecord } from '../meta';
import type { QualifiedName } from '../model';
import { type Chunk, loadKey, planChunks, storeKey } from './planner';
import { profileTable } from './profile';
import type { CopySpec, SourceSession, TargetSession } from './types';

/** Plans every table inside the snapshot, several tables at a time (one per source session). */
export async function planTables(specs: CopySpec[], sessions: SourceSession[], chunkRows: number, signal?: AbortSignal): Promise<Map<string, Chunk[]>> {
  const plans = new Map<string, Chunk[]>();
  let next = 0;
  const worker = async (s: SourceSession) => {
    for (let spec = specs[next++]; spec; spec = specs[next++]) {
      signal?.throwIfAborted();
      const profile = await profileTable(s, spec.mapping.source, spec.mapping.key, chunkRows, signal);
      plans.set(spec.tableId, planChunks(profile, chunkRows));
    }
  };
  await Promise.all(sessions.map(worker));
  return plans;
}

export function toRecords(plans: Map<string, Chunk[]>): ChunkRecord[] {
  const out: ChunkRecord[] = [];
  for (const [table, chunks] of plans) {
    for (const c of chunks) {
      out.push({ table, chunkId: c.id, lower: storeKey(c.lower), upper: storeKey(c.upper), estimatedRows: c.estimatedRows, rows: 0, bytes: 0, done: false, attempts: 0 });
    }
  }
  return out;
}

export function fromRecord(r: ChunkRecord): Chunk {
  return { id: r.chunkId, lower: loadKey(r.lower), upper: loadKey(r.upper), estimatedRows: r.estimatedRows };
}

/** On resume every migrated table must have its saved plan; a table added since cannot join the old snapshot. */
export function checkResumable(specs: CopySpec[], saved: ChunkRecord[]): void {
  const planned = new Set(saved.map((c) => c.table));
  const missing = specs.filter((s) => !planned.has(s.tableId)).map((s) => s.tableId);
  if (missing.length) {
    throw new FerryError('PLAN_MISMATCH', `the interrupted full load did not include ${missing.join(', ')}: a table added now cannot be made consistent with the saved snapshot`,
      { fix: 'finish the run without it (exclude it in the task) and migrate it separately, or restart the full load from scratch (ferry run --force)' });
  }
}

/**
 * Never silently duplicates: a target table that already holds rows while no chunk of it is checkpointed
 * was filled by someone else (or by a run whose ferry_meta was dropped).
 */
export async function refuseNonEmptyTargets(specs: CopySpec[], saved: ChunkRecord[], target: TargetSession, describe: (q: QualifiedName) => string): Promise<void> {
  const withCheckpoint = new Set(saved.filter((c) => c.done).map((c) => c.table));
  for (const spec of specs) {
    if (withCheckpoint.has(spec.tableId)) continue;
    const n = await target.countRows(spec.mapping.target);
    if (n > 0) {
      throw new FerryError('TARGET_NOT_EMPTY', `target table ${describe(spec.mapping.target)} already holds ${n} rows and no checkpoint of this task covers them; copying would duplicate them`,
        { fix: `empty it (TRUNCATE ${describe(spec.mapping.target)}) or exclude the table from the task, then run again` });
    }
  }
}

/**
 * Tables without a key whose copy was interrupted. Their remaining rows can only be read from a later view
 * than the saved position, and the incremental phase (which starts at that position) cannot match the rows it
 * replays against them by key: resuming would duplicate rows inserted in between. Such a load starts over.
 */
export function keylessUnfinished(specs: CopySpec[], saved: ChunkRecord[]): string[] {
  const unfinished = new Set(saved.filter((c) => !c.done).map((c) => c.table));
  return specs.filter((s) => s.mapping.key.length === 0 && unfinished.has(s.tableId)).map((s) => s.tableId);
}
