// Bounded memory: the peak RSS (VmHWM) of the `ferry` process stays under 300 MB while it copies a 50 MB
// LONGBLOB/bytea row plus a few hundred MB of ordinary rows, and while it replicates a burst of changes into a
// target whose table is locked for 20 s (back-pressure to the source log, not buffering), both directions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type FaultServer, FERRY_PASSWORD, createFaultDb, mysqlFaultAdmin, pgFaultAdmin, planScenario, recordTally, sleep, spawnFerry,
  startFaultMariadb, startFaultPostgres, writeFaultTask,
} from '../helpers/faults';
import type { VerifyReport } from '../../src/engine/api';

const LIMIT_MB = 300;
/** Ordinary rows: 2 KB each, ROWS of them (about 250 MB). */
const ROWS = Number(process.env.FERRY_RESOURCE_ROWS ?? 125_000);
const BLOB_MB = Number(process.env.FERRY_RESOURCE_BLOB_MB ?? 50);
/** The change burst during the target lock: BURST_TX transactions of 1000 rows of 1.5 KB (about 150 MB of log). */
const BURST_TX = Number(process.env.FERRY_RESOURCE_BURST_TX ?? 100);
const LOCK_MS = 20_000;
const env = { FERRY_SOURCE_PASSWORD: FERRY_PASSWORD, FERRY_TARGET_PASSWORD: FERRY_PASSWORD };

async function sourceSql(s: FaultServer, db: string, statements: string[]): Promise<void> {
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s, db);
    try { for (const sql of statements) await c.query(sql); } finally { await c.end(); }
  } else {
    const c = await pgFaultAdmin(s, db);
    try { for (const sql of statements) await c.query(sql); } finally { await c.end(); }
  }
}

/** `bulk`: ROWS rows of about 2 KB; `blobs`: one 50 MB row among a few small ones. */
async function seedLarge(s: FaultServer, db: string): Promise<void> {
  if (s.engine === 'mysql') {
    await sourceSql(s, db, [
      'CREATE TABLE bulk (id INT PRIMARY KEY, a VARCHAR(1100) NOT NULL, b TEXT NOT NULL, n BIGINT NOT NULL, d DATETIME(6) NOT NULL)',
      `INSERT INTO bulk SELECT seq, CONCAT(seq, '-', REPEAT('a', 1000)), REPEAT(MD5(seq), 30), seq * 7, '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_${ROWS}`,
      'CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB NOT NULL)',
      `INSERT INTO blobs VALUES (1, UNHEX('00ff')), (2, REPEAT(RANDOM_BYTES(1024), ${BLOB_MB * 1024})), (3, UNHEX(MD5('x')))`,
    ]);
    return;
  }
  await sourceSql(s, db, [
    'CREATE TABLE bulk (id int PRIMARY KEY, a varchar(1100) NOT NULL, b text NOT NULL, n bigint NOT NULL, d timestamp(6) NOT NULL)',
    `INSERT INTO bulk SELECT g, g || '-' || repeat('a', 1000), repeat(md5(g::text), 30), g * 7, timestamp '2024-01-01' + g * interval '1 second' FROM generate_series(1, ${ROWS}) g`,
    'CREATE TABLE blobs (id int PRIMARY KEY, data bytea NOT NULL)',
    // Every byte value, repeated to 50 MB.
    `INSERT INTO blobs SELECT 2, decode(repeat(string_agg(lpad(to_hex(g), 2, '0'), '' ORDER BY g), ${BLOB_MB * 4096}), 'hex') FROM generate_series(0, 255) g`,
    "INSERT INTO blobs VALUES (1, '\\x00ff'), (3, decode(md5('x'), 'hex'))",
  ]);
}

async function verifyEqual(file: string): Promise<VerifyReport> {
  const v = spawnFerry(['verify', file, '--json'], env);
  const r = await v.exited;
  const out = v.stdout();
  const report = JSON.parse(out.slice(out.indexOf('{'))) as VerifyReport;
  assert.equal(r.code, 0, `verify equal: ${out.slice(0, 3000)} ${v.stderr().slice(-2000)}`);
  assert.equal(report.equal, true);
  return report;
}

/** Holds an exclusive lock on the target table (MariaDB LOCK TABLES … WRITE, PostgreSQL ACCESS EXCLUSIVE) until released. */
async function lockTargetTable(s: FaultServer, db: string, table: string): Promise<() => Promise<void>> {
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s, db);
    await c.query(`LOCK TABLES \`${table}\` WRITE`);
    return async () => { await c.query('UNLOCK TABLES'); await c.end(); };
  }
  const c = await pgFaultAdmin(s, db);
  await c.query('BEGIN');
  await c.query(`LOCK TABLE public."${table}" IN ACCESS EXCLUSIVE MODE`);
  return async () => { await c.query('COMMIT'); await c.end(); };
}

describe('bounded memory', () => {
  let my: FaultServer;
  let pgs: FaultServer;
  before(async () => { [my, pgs] = await Promise.all([startFaultMariadb(), startFaultPostgres()]); });
  after(async () => { await Promise.all([my?.destroy(), pgs?.destroy()]); });

  for (const [dir, i] of [['mysql->postgres', 0], ['postgres->mysql', 1]] as const) {
    // Large values travel in pieces and few rows wait between reader, encoder and writer, so four workers and a
    // 50 MB row stay under the bound.
    test(`${dir}: the full load of a ${BLOB_MB} MB row and about ${Math.round(ROWS * 2 / 1000)} MB of rows stays under ${LIMIT_MB} MB of memory`,
      { timeout: 900_000 }, async (t) => {
      planScenario(`memory, full load ${dir}`);
      const source = dir.startsWith('mysql') ? my : pgs;
      const target = dir.startsWith('mysql') ? pgs : my;
      const db = `mem_full_${i}`;
      await createFaultDb(source, db);
      await createFaultDb(target, db);
      let t0 = Date.now();
      await seedLarge(source, db);
      t.diagnostic(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const file = writeFaultTask({ name: db, source: source.url(db), target: target.url(db), phases: ['schema', 'full'], parallelism: Number(process.env.FERRY_RESOURCE_PARALLELISM ?? 4) });
      t0 = Date.now();
      const run = spawnFerry(['run', file, '--json', '--until', 'full'], env);
      const r = await run.exited;
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(r.code, 0, run.stderr().slice(-3000));
      const bytes = run.events.filter((e) => e.type === 'progress').reduce((m, e) => Math.max(m, e.type === 'progress' ? e.bytes : 0), 0);
      t.diagnostic(`full load: ${seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB (limit ${LIMIT_MB} MB), ${(bytes / 1e6).toFixed(0)} MB written`);
      process.stdout.write(`# RESOURCES full load ${dir}: ${seconds.toFixed(1)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB\n`);
      assert.ok(r.peakRssMb > 0, 'the peak RSS was sampled');
      assert.ok(r.peakRssMb < LIMIT_MB, `peak RSS ${r.peakRssMb.toFixed(0)} MB`);
      t0 = Date.now();
      const report = await verifyEqual(file);
      t.diagnostic(`verify: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${report.rowsCompared} rows compared`);
      recordTally({ scenario: `memory, full load ${dir}`, note: `peak RSS ${r.peakRssMb.toFixed(0)} MB, ${seconds.toFixed(1)} s`, faults: 0, retries: 0, rowsCompared: report.rowsCompared, differences: 0 });
    });

    // The readers and the apply queue are bounded by bytes (estimated), so the burst waits in the source log.
    test(`${dir}: a target table locked for ${LOCK_MS / 1000} s during a burst of changes holds the reader back instead of buffering the log`,
      { timeout: 900_000 }, async (t) => {
      planScenario(`memory, slow target ${dir}`);
      const source = dir.startsWith('mysql') ? my : pgs;
      const target = dir.startsWith('mysql') ? pgs : my;
      const db = `mem_cdc_${i}`;
      await createFaultDb(source, db);
      await createFaultDb(target, db);
      await sourceSql(source, db, [source.engine === 'mysql'
        ? 'CREATE TABLE events (id INT PRIMARY KEY, payload TEXT NOT NULL, n INT NOT NULL)'
        : 'CREATE TABLE events (id int PRIMARY KEY, payload text NOT NULL, n int NOT NULL)']);
      const file = writeFaultTask({ name: db, source: source.url(db), target: target.url(db), phases: ['schema', 'full', 'incremental'], parallelism: 4 });
      const run = spawnFerry(['run', file, '--json'], env);
      try {
        await run.waitForEvent((e) => e.type === 'phase' && e.phase === 'incremental' && e.status === 'started');
        const baseline = run.peakRssMb();
        const release = await lockTargetTable(target, db, 'events');
        const t0 = Date.now();
        // The burst: about 150 MB of row changes in the source log while the target cannot take any.
        for (let tx = 0; tx < BURST_TX; tx++) {
          const lo = tx * 1000 + 1;
          await sourceSql(source, db, [source.engine === 'mysql'
            ? `INSERT INTO events SELECT seq, REPEAT(CONCAT(seq, 'x', MD5(seq)), 40), 0 FROM seq_${lo}_to_${lo + 999}`
            : `INSERT INTO events SELECT g, repeat(g || 'x' || md5(g::text), 40), 0 FROM generate_series(${lo}, ${lo + 999}) g`]);
        }
        const burstSeconds = (Date.now() - t0) / 1000;
        await sleep(Math.max(0, LOCK_MS - (Date.now() - t0)));
        const duringLock = run.peakRssMb();
        await release();
        const released = Date.now();
        // Caught up: a lag report after the release with nothing queued and less than a second behind.
        await run.waitForEvent((e) => e.type === 'lag' && Date.parse(e.at) > released + 1000 && e.queuedTransactions === 0 && e.secondsBehind < 1, 300_000);
        const caughtUp = (Date.now() - released) / 1000;
        const peak = run.peakRssMb();
        t.diagnostic(`burst of ${BURST_TX * 1000} rows in ${burstSeconds.toFixed(1)} s; RSS before ${baseline.toFixed(0)} MB, peak during the ${LOCK_MS / 1000} s lock ${duringLock.toFixed(0)} MB, peak overall ${peak.toFixed(0)} MB; caught up ${caughtUp.toFixed(1)} s after the release`);
        process.stdout.write(`# RESOURCES slow target ${dir}: peak RSS ${peak.toFixed(0)} MB (during lock ${duringLock.toFixed(0)} MB), caught up in ${caughtUp.toFixed(1)} s\n`);
        assert.ok(peak < LIMIT_MB, `peak RSS ${peak.toFixed(0)} MB`);
      } finally {
        run.kill('SIGTERM');
      }
      const r = await run.exited;
      assert.equal(r.code, 0, `clean stop: ${run.stderr().slice(-2000)}`);
      const report = await verifyEqual(file);
      assert.equal(report.rowsCompared, BURST_TX * 1000);
      recordTally({ scenario: `memory, slow target ${dir}`, note: `peak RSS ${r.peakRssMb.toFixed(0)} MB`, faults: 1, retries: 0, rowsCompared: report.rowsCompared, differences: 0 });
    });
  }
});
