// The incremental benchmark: sysbench oltp_write_only on the MariaDB source while Ferry replicates to
// PostgreSQL and to MariaDB. Apply throughput is measured by draining a backlog with 1 and N workers; lag
// is measured live under 4 sysbench threads; verify runs at the end of every run.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MYSQL_PASSWORD, MYSQL_PORT, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlUrl, pgUrl, uniqueName } from '../helpers/db';
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
  maxLagSeconds: number;
  verifyEqual: boolean;
  /** Set when the run failed: the bench records it and goes on with the other runs. */
  error?: string;
}

const SRC = 'bench_src';

/** Runs sysbench without blocking the event loop (Ferry's events keep being read meanwhile). */
function sysbench(size: ReturnType<typeof sizeFor>, threads: number, seconds: number): Promise<{ transactions: number; tps: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sysbench', ['oltp_write_only', '--db-driver=mysql', '--mysql-host=127.0.0.1', `--mysql-port=${MYSQL_PORT}`,
      '--mysql-user=root', `--mysql-password=${MYSQL_PASSWORD}`, `--mysql-db=${SRC}`, `--tables=${size.sbtestTables}`,
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

async function target(engine: 'mysql' | 'postgres'): Promise<{ url: string; drop: () => Promise<void> }> {
  if (engine === 'postgres') {
    const db = await createPgDb('bench_cdc_pg');
    return { url: pgUrl(db), drop: () => dropPgDb(db) };
  }
  const db = uniqueName('bench_cdc_my');
  mariadb('mysql', `CREATE DATABASE ${db} CHARACTER SET utf8mb4`);
  return { url: mysqlUrl(db), drop: () => dropMysqlDb(db) };
}

export async function runIncrementalBench(scale: number, work: string): Promise<{ runs: IncrementalRun[] }> {
  const size = sizeFor(Math.min(scale, 0.25));
  const seconds = Math.max(10, Math.round(60 * Math.min(1, scale * 2)));
  const workersN = 8;
  const runs: IncrementalRun[] = [];
  for (const engine of ['postgres', 'mysql'] as const) {
    const pair = `mysql->${engine}`;
    const env = ferryEnv('mysql', engine);
    // Throughput: a backlog of `seconds` of sysbench writes, drained with 1 and with N workers.
    for (const workers of [1, workersN]) {
      createMariadbDataset(SRC, size, false);
      const t = await target(engine);
      try {
        const task = writeTask(work, `bench-cdc-${engine}-${workers}`, mysqlUrl(SRC), t.url, ['schema', 'full', 'incremental'], ['sbtest*'], workers);
        const full = await measure(`${FERRY} run ${task} --until full`, env);
        if (full.exitCode !== 0) throw new Error(`full load failed: ${full.stderrTail}`);
        const load = await sysbench(size, 4, seconds);
        // `--until caught-up` ends once everything the source had when the phase began is applied.
        const run = follow(task, env, true);
        const code = await run.exited;
        if (code !== 0 || run.incrementalStarted() === 0) throw new Error(`ferry run --until caught-up failed (exit ${code}):\n${run.stderr()}`);
        const drain = (Date.now() - run.incrementalStarted()) / 1000;
        const equal = await verify(task, env);
        runs.push({ pair, mode: 'catch-up', workers, sourceTps: load.tps, sourceTransactions: load.transactions,
          appliedTps: Math.round(load.transactions / drain), maxLagSeconds: Math.round(seconds + drain), verifyEqual: equal });
        process.stderr.write(`[bench] ${pair} catch-up workers=${workers}: ${load.transactions} tx drained in ${drain.toFixed(1)} s = ${Math.round(load.transactions / drain)} tx/s; verify ${equal ? 'equal' : 'DIFFERENT'}\n`);
      } catch (err) {
        runs.push(failedRun(pair, 'catch-up', workers, err));
      } finally {
        await t.drop();
      }
    }
    // Lag: Ferry replicating live while sysbench runs with 4 threads.
    {
      createMariadbDataset(SRC, size, false);
      const t = await target(engine);
      try {
        const task = writeTask(work, `bench-cdc-${engine}-live`, mysqlUrl(SRC), t.url, ['schema', 'full', 'incremental'], ['sbtest*'], workersN);
        const run = follow(task, env);
        await waitFor(run.caughtUp, 10 * 60_000, 'the initial catch-up', run.exited);
        run.track(true);
        const load = await sysbench(size, 4, seconds);
        // Caught up means a lag report made after the load ended says so, and the source's last write is applied.
        const seen = run.lagEvents();
        await waitFor(() => run.lagEvents() > seen + 2 && run.caughtUp(), 10 * 60_000, 'catch-up after the load', run.exited);
        run.track(false);
        await run.stop();
        const equal = await verify(task, env);
        runs.push({ pair, mode: 'live', workers: workersN, sourceTps: load.tps, sourceTransactions: load.transactions,
          appliedTps: load.tps, maxLagSeconds: Math.round(run.maxLag() * 100) / 100, verifyEqual: equal });
        process.stderr.write(`[bench] ${pair} live workers=${workersN}: source ${load.tps} tx/s, max lag ${run.maxLag().toFixed(2)} s; verify ${equal ? 'equal' : 'DIFFERENT'}\n`);
      } catch (err) {
        runs.push(failedRun(pair, 'live', workersN, err));
      } finally {
        await t.drop();
      }
    }
  }
  printIncremental(runs);
  return { runs };
}

function failedRun(pair: string, mode: IncrementalRun['mode'], workers: number, err: unknown): IncrementalRun {
  const error = (err as Error).message.split('\n').filter(Boolean).slice(-2).join(' ');
  process.stderr.write(`[bench] ${pair} ${mode} workers=${workers} FAILED: ${error}\n`);
  return { pair, mode, workers, sourceTps: 0, sourceTransactions: 0, appliedTps: 0, maxLagSeconds: 0, verifyEqual: false, error };
}

function printIncremental(runs: IncrementalRun[]): void {
  process.stdout.write('\npair              mode      workers  source tx/s  applied tx/s  max lag s  verify\n');
  for (const r of runs) {
    process.stdout.write(`${r.pair.padEnd(18)}${r.mode.padEnd(10)}${String(r.workers).padEnd(9)}${String(r.sourceTps).padEnd(13)}${String(r.appliedTps).padEnd(14)}${String(r.maxLagSeconds).padEnd(11)}${r.error ? `FAILED: ${r.error}` : r.verifyEqual ? 'equal' : 'DIFFERENT'}\n`);
  }
  for (const pair of new Set(runs.map((r) => r.pair))) {
    const one = runs.find((r) => r.pair === pair && r.mode === 'catch-up' && r.workers === 1);
    const n = runs.find((r) => r.pair === pair && r.mode === 'catch-up' && r.workers > 1);
    if (one && n) process.stdout.write(`${pair}: ${n.workers} workers apply ${(n.appliedTps / Math.max(1, one.appliedTps)).toFixed(2)}x the rate of 1 worker\n`);
  }
}
