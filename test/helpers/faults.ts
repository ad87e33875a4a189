// Fault injection for the fault suite: private, restartable MariaDB/PostgreSQL servers, killing Ferry's
// sessions, purging the source log, a seeded random source, `ferry` children with their events and peak RSS.
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { FerryEvent } from '../../src/engine/events';
import { ensureCliBuilt } from './cli';
import { ROOT } from './db';
import { PG_BIN, initMariadb, initPostgres } from './extra-servers';

/** Password of the admin users (root / postgres) of the fault servers; Ferry itself connects as `ferry`. */
export const FAULT_ADMIN_PASSWORD = 'fault-admin-pw';
/** Ferry's own login on the fault servers: a separate user makes its sessions easy to find and kill. */
export const FERRY_USER = 'ferry';
export const FERRY_PASSWORD = 'fault-ferry-pw';

export interface FaultServer {
  readonly engine: 'mysql' | 'postgres';
  readonly port: number;
  readonly dir: string;
  /** `mode: 'crash'` = SIGKILL / pg_ctl -m immediate; 'clean' = orderly shutdown. */
  stop(mode?: 'crash' | 'clean'): Promise<void>;
  start(): Promise<void>;
  /** Stops, stays down for `downMs`, starts again. */
  restart(mode?: 'crash' | 'clean', downMs?: number): Promise<void>;
  /** Stops for good and removes the data directory. */
  destroy(): Promise<void>;
  /** A task URL for `db` as the ferry user (no password; pass FERRY_PASSWORD through the environment). */
  url(db: string): string;
}

const cleanups = new Set<() => void>();
process.on('exit', () => { for (const c of cleanups) { try { c(); } catch { /* best effort at exit */ } } });

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try { if (await probe()) return; } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s: ${(last as Error | undefined)?.message ?? ''}`);
}

/**
 * A private MariaDB configured like the shared test server (binlog ROW/FULL, GTID, LOAD DATA LOCAL), so it
 * can be restarted, crashed and purged without disturbing tests running in parallel.
 */
export async function startFaultMariadb(extraSettings: string[] = []): Promise<FaultServer> {
  const { dir, port, cnf, sock } = await initMariadb('ferry-fault-my-', [
    'server-id=1', 'log-bin=binlog', 'binlog_format=ROW', 'binlog_row_image=FULL', 'binlog_row_metadata=FULL', 'gtid_strict_mode=ON', 'local_infile=ON',
    'max_allowed_packet=256M', 'innodb_buffer_pool_size=64M', 'innodb_log_file_size=48M', 'innodb_flush_log_at_trx_commit=2',
    'sync_binlog=0', 'collation-server=utf8mb4_general_ci', 'max_connections=200', ...extraSettings,
  ]);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let first = true;
  const kill = () => child?.kill('SIGKILL');
  cleanups.add(kill);

  const start = async () => {
    const c = spawn('mariadbd', [`--defaults-file=${cnf}`], { stdio: 'ignore' });
    child = c;
    let gone = false;
    exited = new Promise((resolve) => c.once('exit', () => { gone = true; resolve(); }));
    await waitFor('fault MariaDB', async () => {
      if (gone) throw new Error(`mariadbd exited; see ${dir}/error.log`);
      const conn = await mysql.createConnection(first
        ? { socketPath: sock, user: 'root' }
        : { host: '127.0.0.1', port, user: 'root', password: FAULT_ADMIN_PASSWORD });
      try {
        if (first) {
          await conn.query(`CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '${FAULT_ADMIN_PASSWORD}'`);
          await conn.query(`GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION`);
          await conn.query(`CREATE OR REPLACE USER '${FERRY_USER}'@'127.0.0.1' IDENTIFIED BY '${FERRY_PASSWORD}'`);
          await conn.query(`GRANT ALL PRIVILEGES ON *.* TO '${FERRY_USER}'@'127.0.0.1'`);
        }
      } finally { await conn.end(); }
      return true;
    });
    first = false;
  };
  const stop = async (mode: 'crash' | 'clean' = 'clean') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(mode === 'crash' ? 'SIGKILL' : 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
  };
  await start();
  return {
    engine: 'mysql', port, dir, start, stop,
    async restart(mode = 'clean', downMs = 1000) { await stop(mode); await sleep(downMs); await start(); },
    async destroy() { await stop('crash'); cleanups.delete(kill); rmSync(dir, { recursive: true, force: true }); },
    url: (db) => `mysql://${FERRY_USER}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
  };
}


/** A private PostgreSQL 15 with wal_level=logical; the ferry role is a superuser that logs in with a password. */
export async function startFaultPostgres(extraSettings: string[] = []): Promise<FaultServer> {
  const { dir, port, data, run } = await initPostgres('ferry-fault-pg-', FAULT_ADMIN_PASSWORD, [
    'synchronous_commit = off', 'full_page_writes = off', 'shared_buffers = 64MB', 'max_connections = 100', 'wal_level = logical',
    'max_replication_slots = 10', 'max_wal_senders = 10', ...extraSettings,
  ]);
  const ctl = (args: string[]) => run(`${PG_BIN}/pg_ctl`, ['-D', data, ...args]);
  let running = false;
  const stopAtExit = () => { if (running) ctl(['-m', 'immediate', '-w', 'stop']); };
  cleanups.add(stopAtExit);
  const start = async () => {
    ctl(['-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    running = true;
    await waitFor('fault PostgreSQL', async () => {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: FAULT_ADMIN_PASSWORD, database: 'postgres' });
      c.on('error', () => undefined);
      await c.connect();
      await c.end();
      return true;
    });
  };
  const stop = async (mode: 'crash' | 'clean' = 'clean') => {
    if (!running) return;
    ctl(['-m', mode === 'crash' ? 'immediate' : 'fast', '-w', '-t', '60', 'stop']);
    running = false;
  };
  await start();
  const admin = await pgFaultAdmin({ port } as FaultServer);
  try {
    await admin.query(`CREATE ROLE ${FERRY_USER} LOGIN SUPERUSER REPLICATION PASSWORD '${FERRY_PASSWORD}'`);
  } finally { await admin.end(); }
  return {
    engine: 'postgres', port, dir, start, stop,
    async restart(mode = 'clean', downMs = 1000) { await stop(mode); await sleep(downMs); await start(); },
    async destroy() { await stop('crash'); cleanups.delete(stopAtExit); rmSync(dir, { recursive: true, force: true }); },
    url: (db) => `postgres://${FERRY_USER}@127.0.0.1:${port}/${encodeURIComponent(db)}`,
  };
}

/** An admin connection (root) to a fault MariaDB. */
export async function mysqlFaultAdmin(s: Pick<FaultServer, 'port'>, db?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: '127.0.0.1', port: s.port, user: 'root', password: FAULT_ADMIN_PASSWORD, database: db,
    dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, multipleStatements: true, charset: 'utf8mb4_bin',
  });
}

/** An admin connection (postgres) to a fault PostgreSQL. */
export async function pgFaultAdmin(s: Pick<FaultServer, 'port'>, db = 'postgres'): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: s.port, user: 'postgres', password: FAULT_ADMIN_PASSWORD, database: db });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

export async function createFaultDb(s: FaultServer, name: string): Promise<void> {
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s);
    try { await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`); } finally { await c.end(); }
  } else {
    const c = await pgFaultAdmin(s);
    try { await c.query(`CREATE DATABASE "${name}"`); } finally { await c.end(); }
  }
}

/**
 * Kills every session of the ferry user (MariaDB `KILL`, including binlog dump threads; PostgreSQL
 * `pg_terminate_backend`, including walsenders). Returns how many were killed.
 */
export async function killFerrySessions(s: FaultServer): Promise<number> {
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s);
    try {
      const [rows] = await c.query(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER = ?`, [FERRY_USER]);
      let n = 0;
      for (const r of rows as { id: number }[]) {
        await c.query(`KILL ${Number(r.id)}`).then(() => { n++; }, () => undefined); // it may have ended meanwhile
      }
      return n;
    } finally { await c.end(); }
  }
  const c = await pgFaultAdmin(s);
  try {
    const r = await c.query(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE usename = $1 AND application_name = 'ferry' AND pid <> pg_backend_pid()`, [FERRY_USER]);
    return Number(r.rows[0].n);
  } finally { await c.end(); }
}

/** MariaDB: rotates the binary log and purges every file before the new one (the saved position goes away). */
export async function purgeBinaryLogs(s: FaultServer): Promise<{ purgedUpTo: string }> {
  const c = await mysqlFaultAdmin(s);
  try {
    await c.query('FLUSH BINARY LOGS');
    const [rows] = await c.query('SHOW MASTER STATUS');
    const file = String((rows as { File: string }[])[0].File);
    // MariaDB keeps (with only a warning) a file a binlog dump thread still reads, e.g. the dump of a
    // client it has not noticed gone: those threads go first, and the purge is checked, so the fault is real.
    for (let attempt = 0; attempt < 20; attempt++) {
      const [threads] = await c.query(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'`);
      for (const t of threads as { id: number }[]) await c.query(`KILL ${Number(t.id)}`).catch(() => undefined);
      await c.query(`PURGE BINARY LOGS TO '${file}'`);
      const [logs] = await c.query('SHOW BINARY LOGS');
      if ((logs as { Log_name: string }[])[0]?.Log_name === file) return { purgedUpTo: file };
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`binlogs before ${file} could not be purged`);
  } finally { await c.end(); }
}

/** PostgreSQL: drops the task's replication slot (the saved position goes away). Returns the slots dropped. */
export async function dropReplicationSlots(s: FaultServer, db: string): Promise<string[]> {
  const c = await pgFaultAdmin(s);
  try {
    const r = await c.query(`SELECT slot_name AS n, pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [db]);
    return r.rows.map((x: { n: string }) => x.n);
  } finally { await c.end(); }
}

// ---- randomness -------------------------------------------------------------------------------------------

/** The suite's seed: FERRY_FAULT_SEED when set (to replay a failure), else a fresh one. Always printed. */
export function faultSeed(label: string): number {
  const fromEnv = process.env.FERRY_FAULT_SEED;
  const seed = fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
  process.stdout.write(`# ${label}: FERRY_FAULT_SEED=${seed} (set it to replay this run)\n`);
  return seed;
}

/** mulberry32: small, fast, deterministic for a seed. */
export function seededRandom(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---- ferry children ---------------------------------------------------------------------------------------

/** A running `ferry` command (bin/ferry.js) with its JSON events (with --json), output and peak memory. */
export interface FerryChild {
  readonly pid: number;
  readonly events: FerryEvent[];
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (128 + n when killed by signal n) and the child's peak RSS in MB. */
  readonly exited: Promise<{ code: number; signal: NodeJS.Signals | null; peakRssMb: number }>;
  /** Resolves when an event matching `pred` arrives (or rejects when the child exits first). */
  waitForEvent(pred: (e: FerryEvent) => boolean, timeoutMs?: number): Promise<FerryEvent>;
  kill(signal: NodeJS.Signals): void;
  /** The highest VmHWM seen so far (sampled every 100 ms: /proc/<pid> disappears with the process). */
  peakRssMb(): number;
}

export function spawnFerry(args: string[], env: NodeJS.ProcessEnv): FerryChild {
  // FERRY_CLI_PREBUILT=1: run the dist/cli.js already built (npm run build) instead of bundling it again.
  if (process.env.FERRY_CLI_PREBUILT !== '1') ensureCliBuilt();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ferry.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: FerryEvent[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const waiters = new Set<{ pred: (e: FerryEvent) => boolean; resolve: (e: FerryEvent) => void }>();
  let partial = '';
  child.stdout.on('data', (b: Buffer) => {
    out.push(b);
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let e: FerryEvent;
      try { e = JSON.parse(line) as FerryEvent; } catch { continue; }
      if (typeof e !== 'object' || e === null || typeof (e as { type?: unknown }).type !== 'string') continue;
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) { waiters.delete(w); w.resolve(e); }
    }
  });
  child.stderr.on('data', (b: Buffer) => err.push(b));
  let peak = 0;
  const sample = () => { peak = Math.max(peak, vmHwmMb(child.pid ?? -1)); };
  const sampler = setInterval(sample, 100);
  const exited = new Promise<{ code: number; signal: NodeJS.Signals | null; peakRssMb: number }>((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      const sigNo = signal ? ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 1 : 0;
      resolve({ code: code ?? 128 + sigNo, signal, peakRssMb: peak });
    });
  });
  return {
    pid: child.pid ?? -1,
    events,
    stdout: () => Buffer.concat(out).toString(),
    stderr: () => Buffer.concat(err).toString(),
    exited,
    waitForEvent(pred, timeoutMs = 120_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (e: FerryEvent) => { clearTimeout(t); resolve(e); } };
        const t = setTimeout(() => { waiters.delete(w); reject(new Error(`no matching event within ${timeoutMs / 1000} s; stderr: ${Buffer.concat(err).toString().slice(-2000)}`)); }, timeoutMs);
        waiters.add(w);
        void exited.then(() => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(t);
          reject(new Error(`ferry exited before the awaited event; stderr: ${Buffer.concat(err).toString().slice(-2000)}`));
        });
      });
    },
    kill: (signal) => { sample(); child.kill(signal); },
    peakRssMb: () => { sample(); return peak; },
  };
}

/** Peak resident set size (VmHWM) of a live process in MB; 0 when it is gone. */
export function vmHwmMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Writes a task file into a fresh temp folder's .ferry/ and returns its path. */
export function writeFaultTask(task: Record<string, unknown>): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ferry-fault-task-')), '.ferry');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${String(task.name)}.json`);
  writeFileSync(file, JSON.stringify(task, null, 2));
  return file;
}

// ---- the suite's summary ----------------------------------------------------------------------------------

export interface FaultTally {
  scenario: string;
  /** Measurements worth printing in the summary (peak RSS, durations). */
  note?: string;
  faults: number;
  retries: number;
  rowsCompared: number;
  differences: number;
}

/** Where the test files of one `node --test` run collect their tallies (the runner is every file's parent). */
export function tallyDir(): string {
  return path.join(tmpdir(), `ferry-fault-tally-${process.ppid}`);
}

export function recordTally(t: FaultTally): void {
  mkdirSync(tallyDir(), { recursive: true });
  appendFileSync(path.join(tallyDir(), 'tally.jsonl'), JSON.stringify(t) + '\n');
}

/** Announces a scenario when it starts: the summary fails for every announced scenario that recorded no tally. */
export function planScenario(scenario: string): void {
  mkdirSync(tallyDir(), { recursive: true });
  appendFileSync(path.join(tallyDir(), 'planned.jsonl'), JSON.stringify(scenario) + '\n');
}

export function readPlanned(): string[] {
  const file = path.join(tallyDir(), 'planned.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string);
}

export function readTallies(): FaultTally[] {
  const file = path.join(tallyDir(), 'tally.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as FaultTally);
}
