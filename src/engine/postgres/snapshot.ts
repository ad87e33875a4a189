// Consistent snapshot of a PostgreSQL source: publication + logical slot with an exported snapshot shared by all copy connections.
import { createHash } from 'node:crypto';
import { parseConnectionUrl } from '../connection';
import type { Task } from '../task';
import pg from 'pg';
import type { ConnectionConfig } from '../connection';
import { FerryError, asFerryError } from '../errors';
import type { TaskEvents } from '../events';
import type { Table } from '../model';
import { compareLsn, type PostgresPosition } from '../position';
import { PG_SESSION_SQL } from '../sessions';
import type { SourceSnapshot } from '../fullload/types';
import { connectPostgres, pgClientConfig, pgConnectError, quotePgIdent, quotePgLiteral } from './connect';
import { PostgresSourceSession, pgTableRef } from './reader';

/**
 * The publication and slot name of a task: `ferry_<task>_<hash>`, [a-z0-9_] only, at most 63 characters.
 * Slot names are global in a PostgreSQL cluster, so the hash of the source database and the target tells two
 * tasks of the same name apart (one must never drop or reuse the other's slot).
 */
export function replicationName(task: Pick<Task, 'name' | 'source' | 'target'>): string {
  const ends = [task.source, task.target].map((u) => {
    const c = parseConnectionUrl(u);
    return `${c.engine}://${c.host}:${c.port}/${c.database}`;
  }).join('|');
  const hash = createHash('sha1').update(ends).digest('hex').slice(0, 8);
  return `ferry_${task.name.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63 - 6 - 9)}_${hash}`;
}

async function openCopySession(source: ConnectionConfig, snapshotId: string): Promise<pg.Client> {
  const client = await connectPostgres(source);
  try {
    for (const sql of PG_SESSION_SQL) await client.query(sql);
    // A synchronized seq scan may start mid-table; a fixed order lets a failed row be found again by its line.
    await client.query('SET synchronize_seqscans = off');
    await client.query('SET statement_timeout = 0');
    await client.query('SET idle_in_transaction_session_timeout = 0');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${quotePgLiteral(snapshotId)}`);
  } catch (err) {
    await client.end().catch(() => undefined);
    throw asFerryError(err, 'importing the snapshot on a copy connection');
  }
  return client;
}

async function importSnapshot(source: ConnectionConfig, snapshotId: string, parallelism: number, signal?: AbortSignal): Promise<PostgresSourceSession[]> {
  const sessions: PostgresSourceSession[] = [];
  try {
    for (let i = 0; i < Math.max(1, parallelism); i++) {
      signal?.throwIfAborted();
      sessions.push(new PostgresSourceSession(await openCopySession(source, snapshotId)));
    }
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
  return sessions;
}

/**
 * Tables without a primary key get REPLICA IDENTITY FULL: once published, the source refuses UPDATE and
 * DELETE on a table without a replica identity, and CDC matches keyless rows on the whole row anyway.
 */
async function ensureReplicaIdentity(admin: pg.Client, tables: Table[], events?: TaskEvents): Promise<void> {
  for (const t of tables) {
    const r = await admin.query(`SELECT c.relreplident,
        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisreplident)) AS has_identity
      FROM pg_class c WHERE c.oid = $1::regclass`, [pgTableRef(t)]);
    const row = r.rows[0];
    if (!row || row.relreplident === 'f') continue;
    if (row.relreplident === 'n' || (row.relreplident === 'd' && row.has_identity !== true && row.has_identity !== 't' && row.has_identity !== 'true')) {
      await admin.query(`ALTER TABLE ${pgTableRef(t)} REPLICA IDENTITY FULL`);
      events?.emit({ type: 'warning', code: 'REPLICA_IDENTITY_FULL', object: `table:${t.schema}.${t.name}`,
        message: `source table ${t.schema}.${t.name} has no primary key: set REPLICA IDENTITY FULL so that its updates and deletes keep working once published and can be replicated`,
        fix: 'add a primary key to the table for faster replication' });
    }
  }
}

/** Creates or updates the task's publication over the migrated tables (partitions published through their root). */
async function ensurePublication(admin: pg.Client, name: string, tables: Table[]): Promise<void> {
  const list = tables.filter((t) => !t.partitionOf).map(pgTableRef).join(', ');
  const forTables = list ? ` FOR TABLE ${list}` : '';
  const version = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num);
  const exists = (await admin.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name])).rowCount === 1;
  if (exists) {
    // An empty list (incremental without a full load) leaves the publication as it is.
    if (list) await admin.query(`ALTER PUBLICATION ${quotePgIdent(name)} SET TABLE ${list}`);
  } else {
    await admin.query(`CREATE PUBLICATION ${quotePgIdent(name)}${forTables}${version >= 130000 ? ' WITH (publish_via_partition_root = true)' : ''}`);
  }
}

/**
 * Takes the full load's snapshot. With CDC to follow (`withSlot`): publication, then
 * CREATE_REPLICATION_SLOT … LOGICAL pgoutput EXPORT_SNAPSHOT on a replication connection; every copy
 * connection imports the exported snapshot; the exporting connection stays open until all have imported it
 * (the snapshot dies with it). Position = the slot's consistent_point. Without CDC no slot is left behind
 * (a forgotten slot retains WAL forever): a plain exported snapshot at the current WAL position.
 */
export async function openPostgresSnapshot(source: ConnectionConfig, tables: Table[], parallelism: number, task: Pick<Task, 'name' | 'source' | 'target'>,
  opts: { withSlot: boolean; events?: TaskEvents; signal?: AbortSignal }): Promise<SourceSnapshot> {
  const name = replicationName(task);
  const admin = await connectPostgres(source);
  try {
    if (!opts.withSlot) {
      await admin.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const r = await admin.query('SELECT pg_export_snapshot() AS id, pg_current_wal_lsn()::text AS lsn');
      const sessions = await importSnapshot(source, r.rows[0].id, parallelism, opts.signal);
      const position: PostgresPosition = { engine: 'postgres', lsn: r.rows[0].lsn, slot: '', publication: '' };
      return { position, sessions, close: async () => { await Promise.all(sessions.map((s) => s.close())); } };
    }
    await ensureReplicaIdentity(admin, tables, opts.events);
    await ensurePublication(admin, name, tables);
    const existing = await admin.query('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [name]);
    if (existing.rows[0]) {
      if (existing.rows[0].active_pid !== null) {
        throw new FerryError('SLOT_IN_USE', `replication slot ${name} is in use by backend ${existing.rows[0].active_pid}`,
          { fix: 'another run of this task is active: stop it first' });
      }
      // No saved snapshot refers to it (the caller checked ferry_meta): a leftover of an attempt that died before saving.
      await admin.query('SELECT pg_drop_replication_slot($1)', [name]);
    }
    const repl = new pg.Client(pgClientConfig(source, source.database, true));
    repl.on('error', () => undefined);
    try {
      await repl.connect();
    } catch (err) {
      throw pgConnectError(err, source);
    }
    try {
      const r = await repl.query(`CREATE_REPLICATION_SLOT ${quotePgIdent(name)} LOGICAL pgoutput EXPORT_SNAPSHOT`);
      const row = r.rows[0] as { consistent_point: string; snapshot_name: string };
      const sessions = await importSnapshot(source, row.snapshot_name, parallelism, opts.signal);
      const position: PostgresPosition = { engine: 'postgres', lsn: row.consistent_point, slot: name, publication: name };
      return { position, sessions, close: async () => { await Promise.all(sessions.map((s) => s.close())); } };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === '55000' || /wal_level/i.test(e.message ?? '')) {
        throw new FerryError('WAL_LEVEL', `the source cannot create a logical replication slot: ${e.message}`,
          { fix: 'set wal_level = logical (and max_replication_slots, max_wal_senders >= 1) in postgresql.conf and restart', cause: err });
      }
      if (e.code === '42501') {
        throw new FerryError('REPLICATION_PRIVILEGE', `the source user may not create a replication slot: ${e.message}`,
          { fix: `ALTER ROLE ${quotePgIdent(source.user)} WITH REPLICATION` , cause: err });
      }
      throw err;
    } finally {
      // The exported snapshot lives as long as this connection; every copy connection has imported it by now.
      await repl.end().catch(() => undefined);
    }
  } catch (err) {
    throw asFerryError(err, 'taking a consistent snapshot of the source');
  } finally {
    // Ending the admin connection ends the plain exported snapshot's transaction too — after the imports.
    await admin.end().catch(() => undefined);
  }
}

/**
 * Resume after a crash: the exported snapshot died with its connection. A NEW snapshot is taken for the
 * unfinished chunks while the SAVED position (the slot's consistent_point) is kept. Invariant that makes
 * this safe: the slot still holds every change since the saved position and CDC starts there, applying
 * idempotently (upsert by key; deleting a missing row is a no-op; keyless tables match on the whole row).
 * A chunk re-copied at the later snapshot already contains some of those changes; replaying them again
 * yields the same rows, so no change is lost and none is doubled. Requires: the slot exists and has not
 * been advanced past the saved position (checked here).
 */
export async function reopenPostgresSnapshot(source: ConnectionConfig, parallelism: number, saved: PostgresPosition, signal?: AbortSignal): Promise<SourceSnapshot> {
  const admin = await connectPostgres(source);
  try {
    if (saved.slot) {
      const r = await admin.query('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [saved.slot]);
      if (!r.rows[0]) {
        throw new FerryError('SNAPSHOT_POSITION_LOST', `replication slot ${saved.slot}, which holds the changes since this task's snapshot, no longer exists: the interrupted full load cannot resume consistently`,
          { fix: 'restart the full load from scratch (ferry run --force)' });
      }
      if (r.rows[0].lsn && compareLsn(r.rows[0].lsn, saved.lsn) > 0) {
        throw new FerryError('SNAPSHOT_POSITION_LOST', `replication slot ${saved.slot} was advanced to ${r.rows[0].lsn}, past the snapshot at ${saved.lsn}: changes in between are gone`,
          { fix: 'restart the full load from scratch (ferry run --force)' });
      }
    }
    await admin.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const id = (await admin.query('SELECT pg_export_snapshot() AS id')).rows[0].id as string;
    const sessions = await importSnapshot(source, id, parallelism, signal);
    return { position: saved, sessions, close: async () => { await Promise.all(sessions.map((s) => s.close())); } };
  } catch (err) {
    throw asFerryError(err, 'taking a new snapshot of the source to resume the full load');
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** One reading session without a shared position (copyTableOnce, tests): its own REPEATABLE READ view. */
export async function openPostgresReadSession(source: ConnectionConfig): Promise<PostgresSourceSession> {
  const client = await connectPostgres(source);
  try {
    for (const sql of PG_SESSION_SQL) await client.query(sql);
    await client.query('SET synchronize_seqscans = off');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw asFerryError(err, 'opening a read transaction on the source');
  }
  return new PostgresSourceSession(client);
}
