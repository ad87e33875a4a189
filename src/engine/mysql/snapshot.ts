// Consistent snapshot of a MySQL/MariaDB source: N connections in one REPEATABLE READ view at a known binlog position.
import type { Connection } from 'mysql2/promise';
import type { ConnectionConfig } from '../connection';
import { FerryError, asFerryError } from '../errors';
import type { TaskEvents } from '../events';
import type { MysqlPosition } from '../position';
import { MYSQL_SESSION_SQL } from '../sessions';
import type { SourceSnapshot } from '../fullload/types';
import { connectMysql } from './connect';
import { MysqlSourceSession } from './reader';

type Row = Record<string, unknown>;

async function q(conn: Connection, sql: string): Promise<Row[]> {
  const [rows] = await conn.query(sql);
  return Array.isArray(rows) ? (rows as Row[]) : [];
}

async function openSession(source: ConnectionConfig): Promise<Connection> {
  const conn = await connectMysql(source);
  for (const sql of MYSQL_SESSION_SQL) await conn.query(sql);
  // The view is taken by START TRANSACTION WITH CONSISTENT SNAPSHOT; long reads must not time out.
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await conn.query('SET SESSION net_write_timeout = 3600');
  await conn.query('SET SESSION wait_timeout = 86400');
  return conn;
}

async function isMariadb(conn: Connection): Promise<boolean> {
  const r = await q(conn, 'SELECT VERSION() AS v');
  return /mariadb/i.test(String(r[0]?.v ?? ''));
}

/** The binlog position and GTID state right now (call while commits are blocked, or inside the snapshot on MariaDB). */
async function readPosition(conn: Connection, mariadb: boolean): Promise<MysqlPosition | null> {
  if (mariadb) {
    // binlog_snapshot_* is the position of THIS connection's consistent snapshot — exact even without a lock.
    const st = await q(conn, "SHOW STATUS LIKE 'binlog_snapshot_%'");
    const get = (n: string) => String(st.find((r) => String(r.Variable_name).toLowerCase() === n)?.Value ?? '');
    const file = get('binlog_snapshot_file');
    if (!file) return null;
    const gtid = await q(conn, 'SELECT @@GLOBAL.gtid_binlog_pos AS g');
    return { engine: 'mysql', file, pos: Number(get('binlog_snapshot_position')), gtid: String(gtid[0]?.g ?? '') || undefined };
  }
  let st: Row[];
  try {
    st = await q(conn, 'SHOW BINARY LOG STATUS');
  } catch {
    st = await q(conn, 'SHOW MASTER STATUS');
  }
  if (!st[0]) return null;
  const gtid = String(st[0].Executed_Gtid_Set ?? '').replace(/\s+/g, '');
  return { engine: 'mysql', file: String(st[0].File), pos: Number(st[0].Position), gtid: gtid || undefined };
}

async function startSnapshot(conn: Connection): Promise<void> {
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

function isPrivilegeError(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return e.errno === 1227 || e.errno === 1044 || e.errno === 1045 || e.code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR';
}

/**
 * Opens `parallelism` connections that all see the same committed state, and the binlog position of that
 * state. MariaDB: start the snapshots and accept them when every connection reports the same
 * binlog_snapshot position (lock-free). MySQL, or MariaDB under a write storm: FLUSH TABLES WITH READ LOCK
 * for the instant the snapshots start (needs RELOAD). Without RELOAD: one connection and a warning.
 */
export async function openMysqlSnapshot(source: ConnectionConfig, parallelism: number, events?: TaskEvents, signal?: AbortSignal): Promise<SourceSnapshot> {
  const conns: Connection[] = [];
  const cleanup = async () => { await Promise.all(conns.map((c) => c.end().catch(() => c.destroy()))); };
  try {
    for (let i = 0; i < Math.max(1, parallelism); i++) {
      signal?.throwIfAborted();
      conns.push(await openSession(source));
    }
    const mariadb = await isMariadb(conns[0]);
    let position: MysqlPosition | null = null;
    let aligned = conns.length === 1;
    if (aligned) {
      await startSnapshot(conns[0]);
      position = await readPosition(conns[0], mariadb);
    }
    // MariaDB reports each snapshot's own binlog position: snapshots that report the same one see the same
    // committed state, exactly, without locking anything. Retried a few times under heavy write load.
    for (let attempt = 0; attempt < 10 && mariadb && !aligned; attempt++) {
      signal?.throwIfAborted();
      if (attempt > 0) await Promise.all(conns.map((c) => c.query('ROLLBACK')));
      await Promise.all(conns.map((c) => startSnapshot(c)));
      const positions = await Promise.all(conns.map((c) => readPosition(c, true)));
      aligned = positions.every((p) => p !== null && p.file === positions[0]?.file && p.pos === positions[0]?.pos);
      position = positions[0];
    }
    if (!aligned) {
      await Promise.all(conns.map((c) => c.query('ROLLBACK')));
      let locked = false;
      try {
        // A long-running statement would make FTWRL wait while it blocks all writes: give up quickly instead.
        await conns[0].query('SET SESSION lock_wait_timeout = 30');
        await conns[0].query('FLUSH TABLES WITH READ LOCK');
        locked = true;
      } catch (err) {
        if (!isPrivilegeError(err)) {
          throw new FerryError('SNAPSHOT_LOCK_FAILED', `could not briefly lock the source for a consistent snapshot: ${(err as Error).message}`,
            { fix: 'look for long-running queries or transactions on the source (SHOW PROCESSLIST) and retry', retryable: true, cause: err });
        }
      }
      if (locked) {
        try {
          for (const c of conns) await startSnapshot(c);
          position = await readPosition(conns[0], mariadb);
        } finally {
          await conns[0].query('UNLOCK TABLES');
        }
      } else {
        await Promise.all(conns.splice(1).map((c) => c.end().catch(() => c.destroy())));
        await startSnapshot(conns[0]);
        position = await readPosition(conns[0], mariadb);
        events?.emit({ type: 'warning', code: 'SNAPSHOT_SINGLE_CONNECTION', message:
          'the source user lacks the RELOAD privilege, so the parallel copy connections cannot be aligned to one snapshot: the full load reads through one connection',
          fix: 'GRANT RELOAD ON *.* TO the Ferry user for a parallel full load' });
      }
    }
    if (position === null) {
      events?.emit({ type: 'warning', code: 'BINLOG_DISABLED', message: 'the source has no binary log: the full load works, but incremental replication cannot start from it',
        fix: 'enable log_bin (with binlog_format=ROW) and restart the server for incremental sync' });
      position = { engine: 'mysql', file: '', pos: 0 };
    }
    const sessions = conns.map((c) => new MysqlSourceSession(c));
    return { position, sessions, close: async () => { await Promise.all(sessions.map((s) => s.close())); } };
  } catch (err) {
    await cleanup();
    throw asFerryError(err, 'taking a consistent snapshot of the source');
  }
}

/**
 * Resume after a crash. The original view is gone; a new one is taken, and the SAVED position is kept.
 * Invariant that makes this safe: CDC starts at the saved position and applies idempotently (upsert by key,
 * delete of a missing row is a no-op), so every change between the saved position and the new view that the
 * re-copied chunks already contain is re-applied harmlessly, and none is lost. The binlog from the saved
 * position must still exist, which is checked here.
 */
export async function reopenMysqlSnapshot(source: ConnectionConfig, parallelism: number, saved: MysqlPosition, events?: TaskEvents, signal?: AbortSignal): Promise<SourceSnapshot> {
  if (saved.file) {
    const conn = await connectMysql(source);
    try {
      const logs = await q(conn, 'SHOW BINARY LOGS');
      if (!logs.some((r) => String(r.Log_name) === saved.file)) {
        throw new FerryError('SNAPSHOT_POSITION_LOST', `the source no longer has binlog ${saved.file}, where this task's snapshot was taken: changes since then cannot be replayed, so the interrupted full load cannot resume`,
          { fix: 'restart the full load from scratch (ferry run --force), and keep binlogs longer (binlog_expire_logs_seconds / expire_logs_days)' });
      }
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }
  const snap = await openMysqlSnapshot(source, parallelism, events, signal);
  return { ...snap, position: saved };
}

/** One reading session without a shared position (copyTableOnce, tests): its own consistent view. */
export async function openMysqlReadSession(source: ConnectionConfig): Promise<MysqlSourceSession> {
  const conn = await openSession(source);
  try {
    await startSnapshot(conn);
  } catch (err) {
    await conn.end().catch(() => conn.destroy());
    throw asFerryError(err, 'opening a read transaction on the source');
  }
  return new MysqlSourceSession(conn);
}
