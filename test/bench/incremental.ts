// The incremental benchmark: sysbench oltp_write_only on the MariaDB source while Ferry replicates to
// PostgreSQL and to MariaDB. Apply throughput is measured by draining a backlog with 1 and N workers; lag
// is measured live under 4 sysbench threads with 1 and N workers; verify runs at the end of every run. Each
// run records the CPU seconds of ferry, mariadbd and postgres (from /proc), which shows where a 2-core
// machine runs out. It runs on the servers test/helpers/db.ts points at: `npm run bench` starts the benchmark's own
// pair with the Debian default (durable) settings and points there (test/bench/env.sh).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MYSQL_PASSWORD, MYSQL_PORT, PG_PORT, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlAdmin, mysqlUrl, pgAdmin, pgUrl, uniqueName } from '../helpers/db';
import { createMariadbDataset, sizeFor } from './dataset';
import { FERRY, ferryEnv, writeTask } from './common';
import { measure } from './measure';

export interface IncrementalRun {
  pair: string;
  mode: 'catch-up' | 'live';
  workers: number;
  sourceTps: number;
  sourceTransactions: number;
  appliedTps: number;
  /**
   * Live runs: the end-to-end lag, measured outside Ferry with a heartbeat row (the bench's clock written on the
   * source every 100 ms, the target polled every 50 ms; lag = now - newest value visible on the target).
   * Catch-up runs: Ferry's own reported lag at the start of the drain (the backlog's age).
   */
  maxLagSeconds: number;
  /** Ferry's own metric (lag events): MySQL commit timestamps have whole seconds, so it can read up to 1 s high. */
  maxReportedLagSeconds?: number;
  verifyEqual: boolean;
  /** CPU seconds used during the measured phase by each process group (ferry, mariadbd, postgres) and the wall time. */
  cpu?: { wallSeconds: number; ferry: number; mariadbd: number; postgres: number };
  /** Set when the run failed: the bench records it and goes on with the other runs. */
  error?: string;
}

const SRC = 'bench_src';

/** The database servers a run uses (those of test/helpers/db.ts). */
interface Servers {
  label: string;
  mysqlPort: number;
  pgPort: number;
  mysqlPassword: string;
  mysqlUrl(db: string): string;
  pgUrl(db: string): string;
  mariadb(db: string, sql: string): string;
  createPg(prefix: string): Promise<string>;
  dropPg(db: string): Promise<void>;
  dropMysql(db: string): Promise<void>;
  env(targetEngine: 'mysql' | 'postgres'): NodeJS.ProcessEnv;
}

function openServers(): Servers {
  const label = process.env.FERRY_DB_PROFILE === 'debian' ? 'bench servers (Debian default settings: durable commits)' : 'test servers (no fsync)';
  return {
    label, mysqlPort: MYSQL_PORT, pgPort: PG_PORT, mysqlPassword: MYSQL_PASSWORD, mysqlUrl, pgUrl, mariadb,
    createPg: createPgDb, dropPg: dropPgDb, dropMysql: dropMysqlDb,
    env: (engine) => ferryEnv('mysql', engine),
  };
}

/** CPU seconds (user + system, reaped children included) of the process listening on `port`. */
function listenerCpu(port: number): number {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`]).toString();
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid ? procCpu(Number(pid)) : 0;
  } catch {
    return 0;
  }
}

function procCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return -1;
  }
}

/** Samples the CPU of the servers and of one ferry process between start and stop. */
function cpuMeter(servers: Servers) {
  const t0 = Date.now();
  const my0 = listenerCpu(servers.mysqlPort);
  const pg0 = listenerCpu(servers.pgPort);
  let ferry = 0;
  let pid = -1;
  const timer = setInterval(() => { if (pid > 0) { const c = procCpu(pid); if (c >= 0) ferry = c; } }, 100);
  return {
    watch: (p: number | undefined) => { pid = p ?? -1; },
    stop: () => {
      clearInterval(timer);
      const round = (n: number) => Math.round(n * 100) / 100;
      return { wallSeconds: round((Date.now() - t0) / 1000), ferry: round(ferry), mariadbd: round(listenerCpu(servers.mysqlPort) - my0), postgres: round(listenerCpu(servers.pgPort) - pg0) };
    },
  };
}

/** Runs sysbench without blocking the event loop (Ferry's events keep being read meanwhile). */
function sysbench(servers: Servers, size: ReturnType<typeof sizeFor>, threads: number, seconds: number): Promise<{ transactions: number; tps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sysbench', ['oltp_write_only', '--db-driver=mysql', '--mysql-host=127.0.0.1', `--mysql-port=${servers.mysqlPort}`,
      '--mysql-user=root', `--mysql-password=${servers.mysqlPassword}`, `--mysql-db=${SRC}`, `--tables=${size.sbtestTables}`,
      `--table-size=${size.sbtestRows}`, `--threads=${threads}`, `--time=${seconds}`, '--report-interval=0', '--rand-seed=42', 'run'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /transactions:\s+(\d+)\s+\(([\d.]+) per sec/.exec(out);
      if (code !== 0 || !m) reject(new Error(`sysbench failed (exit ${code}):\n${out}`));
      else resolve({ transactions: Number(m[1]), tps: Number(m[2]) });
    });
  });
}

interface LagEvent { type: string; secondsBehind?: number; queuedTransactions?: number; phase?: string; status?: string }

/** Starts `ferry run --json` and follows its events. */
function follow(task: string, env: NodeJS.ProcessEnv, untilCaughtUp = false) {
  const child = spawn('bash', ['-c', `exec ${FERRY} run ${task} --json${untilCaughtUp ? ' --until caught-up' : ''}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let maxLag = 0;
  let lastLag: LagEvent | undefined;
  let lagEvents = 0;
  let tracking = false;
  let incrementalStarted = 0;
  const stderr: string[] = [];
  child.stderr.on('data', (b: Buffer) => { stderr.push(b.toString()); if (stderr.length > 50) stderr.shift(); });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let e: LagEvent;
    try { e = JSON.parse(line) as LagEvent; } catch { return; }
    if (e.type === 'phase' && e.phase === 'incremental' && e.status === 'started') incrementalStarted = Date.now();
    if (e.type === 'lag') {
      lastLag = e;
      lagEvents++;
      if (tracking) maxLag = Math.max(maxLag, e.secondsBehind ?? 0);
    }
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  return {
    caughtUp: () => lastLag !== undefined && (lastLag.secondsBehind ?? 99) < 1 && (lastLag.queuedTransactions ?? 1) === 0,
    lagEvents: () => lagEvents,
    track: (on: boolean) => { tracking = on; },
    maxLag: () => maxLag,
    pid: child.pid,
    incrementalStarted: () => incrementalStarted,
    stop: async () => { child.kill('SIGTERM'); return exited; },
    exited,
    stderr: () => stderr.join(''),
  };
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string, alive?: Promise<number>): Promise<void> {
  let dead = false;
  void alive?.then(() => { dead = true; });
  const t0 = Date.now();
  while (!cond()) {
    if (dead) throw new Error(`ferry exited while waiting for ${what}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function verify(task: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const m = await measure(`${FERRY} verify ${task}`, env);
  return m.exitCode === 0;
}

async function target(servers: Servers, engine: 'mysql' | 'postgres'): Promise<{ db: string; url: string; drop: () => Promise<void> }> {
  if (engine === 'postgres') {
    const db = await servers.createPg('bench_cdc_pg');
    return { db, url: servers.pgUrl(db), drop: () => servers.dropPg(db) };
  }
  const db = uniqueName('bench_cdc_my');
  servers.mariadb('mysql', `CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  return { db, url: servers.mysqlUrl(db), drop: () => servers.dropMysql(db) };
}

const HEARTBEAT = 'bench_heartbeat';

/**
 * End-to-end lag the way pt-heartbeat measures replication: the bench's clock (ms) goes into a row on the source
 * every 100 ms, the target is polled every 50 ms, and the lag at each poll is now minus the newest clock value the
 * target shows. It overstates by at most the two intervals and does not depend on Ferry's own metric.
 */
async function startHeartbeat(engine: 'mysql' | 'postgres', targetDb: string) {
  const src = await mysqlAdmin(SRC);
  const dst = engine === 'mysql' ? await mysqlAdmin(targetDb) : await pgAdmin(targetDb);
  const read = async (): Promise<number> => {
    if (engine === 'mysql') {
      const [rows] = await (dst as Awaited<ReturnType<typeof mysqlAdmin>>).query(`SELECT sent FROM ${HEARTBEAT} WHERE id = 1`);
      return Number((rows as { sent: string }[])[0]?.sent ?? 0);
    }
    const r = await (dst as Awaited<ReturnType<typeof pgAdmin>>).query(`SELECT sent FROM public.${HEARTBEAT} WHERE id = 1`);
    return Number(r.rows[0]?.sent ?? 0);
  };
  let max = 0;
  let running = true;
  const writer = (async () => {
    while (running) {
      await src.query(`UPDATE ${HEARTBEAT} SET sent = ? WHERE id = 1`, [Date.now()]);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const poller = (async () => {
    while (running) {
      const sent = await read();
      if (sent > 0) max = Math.max(max, (Date.now() - sent) / 1000);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    max: () => max,
    stop: async () => {
      running = false;
      await Promise.all([writer, poller]);
      await src.end();
      await dst.end();
    },
  };
}

export async function runIncrementalBench(scale: number, work: string): Promise<{ servers: string; runs: IncrementalRun[] }> {
  const size = sizeFor(Math.min(scale, 0.25));
  const seconds = Math.max(10, Math.round(60 * Math.min(1, scale * 2)));
  const workersN = 8;
  const runs: IncrementalRun[] = [];
  const servers = openServers();
  process.stderr.write(`[bench] incremental on ${servers.label}\n`);
  for (const engine of ['postgres', 'mysql'] as const) {
    const pair = `mysql->${engine}`;
    const env = servers.env(engine);
    // Throughput: a backlog of `seconds` of sysbench writes, drained with 1 and with N workers.
    for (const workers of [1, workersN]) {
      createMariadbDataset(SRC, size, false);
      const t = await target(servers, engine);
      try {
        const task = writeTask(work, `bench-cdc-${engine}-${workers}`, servers.mysqlUrl(SRC), t.url, ['schema', 'full', 'incremental'], ['sbtest*'], workers);
        const full = await measure(`${FERRY} run ${task} --until full`, env);
        if (full.exitCode !== 0) throw new Error(`full load failed: ${full.stderrTail}`);
        const load = await sysbench(servers, size, 4, seconds);
        // `--until caught-up` ends once everything the source had when the phase began is applied.
        const cpu = cpuMeter(servers);
        const run = follow(task, env, true);
        cpu.watch(run.pid);
        const code = await run.exited;
        const used = cpu.stop();
        if (code !== 0 || run.incrementalStarted() === 0) throw new Error(`ferry run --until caught-up failed (exit ${code}):\n${run.stderr()}`);
        const drain = (Date.now() - run.incrementalStarted()) / 1000;
        const equal = await verify(task, env);
        runs.push({ pair, mode: 'catch-up', workers, sourceTps: load.tps, sourceTransactions: load.transactions,
          appliedTps: Math.round(load.transactions / drain), maxLagSeconds: Math.round(seconds + drain), verifyEqual: equal, cpu: used });
        process.stderr.write(`[bench] ${pair} catch-up workers=${workers}: ${load.transactions} tx drained in ${drain.toFixed(1)} s = ${Math.round(load.transactions / drain)} tx/s; cpu ${JSON.stringify(used)}; verify ${equal ? 'equal' : 'DIFFERENT'}\n`);
      } catch (err) {
        runs.push(failedRun(pair, 'catch-up', workers, err));
      } finally {
        await t.drop();
      }
    }
    // Lag: Ferry replicating live while sysbench runs with 4 threads, with 1 and N workers.
    for (const workers of [1, workersN]) {
      createMariadbDataset(SRC, size, false);
      const t = await target(servers, engine);
      try {
        mariadb(SRC, `CREATE TABLE ${HEARTBEAT} (id int PRIMARY KEY, sent bigint NOT NULL); INSERT INTO ${HEARTBEAT} VALUES (1, 0)`);
        const task = writeTask(work, `bench-cdc-${engine}-live-${workers}`, servers.mysqlUrl(SRC), t.url, ['schema', 'full', 'incremental'], ['sbtest*', HEARTBEAT], workers);
        const run = follow(task, env);
        await waitFor(run.caughtUp, 10 * 60_000, 'the initial catch-up', run.exited);
        const beat = await startHeartbeat(engine, t.db);
        run.track(true);
        const cpu = cpuMeter(servers);
        cpu.watch(run.pid);
        const load = await sysbench(servers, size, 4, seconds);
        const used = cpu.stop();
        // Caught up means a lag report made after the load ended says so, and the source's last write is applied.
        const seen = run.lagEvents();
        await waitFor(() => run.lagEvents() > seen + 2 && run.caughtUp(), 10 * 60_000, 'catch-up after the load', run.exited);
        await beat.stop();
        run.track(false);
        await run.stop();
        const equal = await verify(task, env);
        const lag = Math.round(beat.max() * 100) / 100;
        runs.push({ pair, mode: 'live', workers, sourceTps: load.tps, sourceTransactions: load.transactions,
          appliedTps: load.tps, maxLagSeconds: lag, maxReportedLagSeconds: Math.round(run.maxLag() * 100) / 100, verifyEqual: equal, cpu: used });
        process.stderr.write(`[bench] ${pair} live workers=${workers}: source ${load.tps} tx/s, max lag ${lag.toFixed(2)} s (heartbeat; Ferry reported ${run.maxLag().toFixed(2)} s); cpu during the load ${JSON.stringify(used)}; verify ${equal ? 'equal' : 'DIFFERENT'}\n`);
      } catch (err) {
        runs.push(failedRun(pair, 'live', workers, err));
      } finally {
        await t.drop();
      }
    }
  }
  printIncremental(runs);
  return { servers: servers.label, runs };
}

function failedRun(pair: string, mode: IncrementalRun['mode'], workers: number, err: unknown): IncrementalRun {
  const error = (err as Error).message.split('\n').filter(Boolean).slice(-2).join(' ');
  process.stderr.write(`[bench] ${pair} ${mode} workers=${workers} FAILED: ${error}\n`);
  return { pair, mode, workers, sourceTps: 0, sourceTransactions: 0, appliedTps: 0, maxLagSeconds: 0, verifyEqual: false, error };
}

function printIncremental(runs: IncrementalRun[]): void {
  process.stdout.write('\npair              mode      workers  source tx/s  applied tx/s  max lag s (ferry)  cpu s ferry/mariadbd/postgres (wall)  verify\n');
  for (const r of runs) {
    const cpu = r.cpu ? `${r.cpu.ferry}/${r.cpu.mariadbd}/${r.cpu.postgres} (${r.cpu.wallSeconds})` : '';
    process.stdout.write(`${r.pair.padEnd(18)}${r.mode.padEnd(10)}${String(r.workers).padEnd(9)}${String(r.sourceTps).padEnd(13)}${String(r.appliedTps).padEnd(14)}${`${r.maxLagSeconds}${r.maxReportedLagSeconds === undefined ? '' : ` (${r.maxReportedLagSeconds})`}`.padEnd(19)}${cpu.padEnd(33)}${r.error ? `FAILED: ${r.error}` : r.verifyEqual ? 'equal' : 'DIFFERENT'}\n`);
  }
  for (const pair of new Set(runs.map((r) => r.pair))) {
    const one = runs.find((r) => r.pair === pair && r.mode === 'catch-up' && r.workers === 1);
    const n = runs.find((r) => r.pair === pair && r.mode === 'catch-up' && r.workers > 1);
    if (one && n) process.stdout.write(`${pair}: ${n.workers} workers apply ${(n.appliedTps / Math.max(1, one.appliedTps)).toFixed(2)}x the rate of 1 worker\n`);
  }
}
