// A live `ferry run` between two fresh test databases for tests that change the source while it replicates:
// the databases (as rows of text), the run with its events, and waiting for the target to show something.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineKind } from '../../src/engine/model';
import type { FerryEvent } from '../../src/engine/events';
import {
  MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, mysqlUrl, pgAdmin, pgUrl,
} from './db';
import { type FerryChild, spawnFerry, writeFaultTask } from './faults';

export interface Db {
  engine: EngineKind;
  name: string;
  url: string;
  /** Runs statements in order on a fresh admin session. */
  sql(statements: string[]): Promise<void>;
  rows(query: string): Promise<string[][]>;
  drop(): Promise<void>;
}

export async function openDb(engine: EngineKind, prefix: string): Promise<Db> {
  if (engine === 'mysql') {
    const name = await createMysqlDb(prefix);
    return {
      engine, name, url: mysqlUrl(name),
      sql: async (statements) => { const c = await mysqlAdmin(name); try { for (const s of statements) await c.query(s); } finally { await c.end(); } },
      rows: async (query) => {
        const c = await mysqlAdmin(name);
        try { const [r] = await c.query({ sql: query, rowsAsArray: true }); return (r as unknown[][]).map((x) => x.map((v) => (v === null ? 'NULL' : String(v)))); } finally { await c.end(); }
      },
      drop: () => dropMysqlDb(name),
    };
  }
  const name = await createPgDb(prefix);
  return {
    engine, name, url: pgUrl(name),
    sql: async (statements) => { const c = await pgAdmin(name); try { for (const s of statements) await c.query(s); } finally { await c.end(); } },
    rows: async (query) => {
      const c = await pgAdmin(name);
      try { const r = await c.query({ text: query, rowMode: 'array' }); return (r.rows as unknown[][]).map((x) => x.map((v) => (v === null ? 'NULL' : String(v)))); } finally { await c.end(); }
    },
    drop: () => dropPgDb(name),
  };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000, story?: () => string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try { const v = await probe(); if (v !== undefined) return v; } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${story ? `\n${story()}` : ''}`);
}

export const ferryPasswords = (src: EngineKind, dst: EngineKind) => ({
  FERRY_SOURCE_PASSWORD: src === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD,
  FERRY_TARGET_PASSWORD: dst === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD,
});

export const incrementalStarted = (e: FerryEvent) => e.type === 'phase' && e.phase === 'incremental' && e.status === 'started';

export interface LiveRun {
  source: Db;
  target: Db;
  task: string;
  run: FerryChild;
  /** Waits until `query` on the target returns `want` (rows of text, NULL as 'NULL'). */
  targetShows(what: string, query: string, want: string[][]): Promise<void>;
  /** SIGTERM, and the run must stop cleanly. */
  stop(): Promise<void>;
}

/**
 * Fresh source and target databases, `setup` run on the source, and `ferry run` (schema, full, incremental)
 * started and in its incremental phase; everything is dropped after the test.
 */
export async function startLiveRun(t: TestContext, src: EngineKind, dst: EngineKind, name: string, setup: string[]): Promise<LiveRun> {
  const source = await openDb(src, 'live_src');
  const target = await openDb(dst, 'live_dst');
  t.after(async () => { await source.drop(); await target.drop(); });
  await source.sql(setup);
  const task = writeFaultTask({ name, source: source.url, target: target.url, phases: ['schema', 'full', 'incremental'], parallelism: 2 });
  const run = spawnFerry(['run', task, '--json'], ferryPasswords(src, dst));
  t.after(() => run.kill('SIGKILL'));
  // What the run said, for a failure message (events other than progress, lag and checkpoints, and its stderr).
  const story = () => run.events.filter((e) => e.type !== 'progress' && e.type !== 'lag' && e.type !== 'checkpoint').slice(-30)
    .map((e) => JSON.stringify(e).slice(0, 400)).join('\n') + `\n${run.stderr().slice(-1500)}`;
  await run.waitForEvent(incrementalStarted, 120_000);
  const targetShows = async (what: string, query: string, want: string[][]) => {
    let seen: unknown;
    await until(what, async () => {
      const r = await target.rows(query).catch((err: Error) => [[err.message]]);
      seen = r;
      return JSON.stringify(r) === JSON.stringify(want) ? true : undefined;
    }, 60_000, () => `target: ${JSON.stringify(seen)}\n${story()}`);
  };
  const stop = async () => { run.kill('SIGTERM'); const r = await run.exited; assert.equal(r.code, 0, run.stderr().slice(-2000)); };
  return { source, target, task, run, targetShows, stop };
}
