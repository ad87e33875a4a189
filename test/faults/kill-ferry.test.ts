// kill -9 of the `ferry run` process at seeded random points of the full load and the incremental apply, while a
// writer keeps changing the source; after every kill `ferry run` resumes; at the end the target equals the source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FerryEvent } from '../../src/engine/events';
import {
  type FaultServer, FERRY_PASSWORD, createFaultDb, faultSeed, planScenario, recordTally, seededRandom, sleep, spawnFerry,
  startFaultMariadb, startFaultPostgres, writeFaultTask,
} from '../helpers/faults';
import { compareByKey, seedSource, startWriter } from './workload';
import { finishAndVerify } from './finish';

const ROWS = 30_000;
const KILLS_IN_FULL = 6;
const KILLS_IN_INCREMENTAL = 6;

function isChunkCheckpoint(e: FerryEvent): boolean {
  return e.type === 'checkpoint' && / chunk \d+/.test(e.detail ?? '');
}

const seed = faultSeed('kill -9 suite');
const env = { FERRY_SOURCE_PASSWORD: FERRY_PASSWORD, FERRY_TARGET_PASSWORD: FERRY_PASSWORD, FERRY_DEBUG: '1' };

describe('kill -9 of the ferry process', () => {
  let my: FaultServer;
  let pgs: FaultServer;
  before(async () => { [my, pgs] = await Promise.all([startFaultMariadb(), startFaultPostgres()]); });
  after(async () => { await Promise.all([my?.destroy(), pgs?.destroy()]); });

  for (const [dir, i] of [['mysql->postgres', 0], ['postgres->mysql', 1]] as const) {
    test(`${dir}: survives ${KILLS_IN_FULL + KILLS_IN_INCREMENTAL} kills during full load and incremental apply with nothing lost or doubled`, async (t) => {
      planScenario(`kill -9 ${dir}`);
      const rnd = seededRandom(seed + i);
      const source = dir.startsWith('mysql') ? my : pgs;
      const target = dir.startsWith('mysql') ? pgs : my;
      const db = `kill_${i}_${seed % 100000}`;
      await createFaultDb(source, db);
      await createFaultDb(target, db);
      await seedSource(source, db, ROWS);
      const file = writeFaultTask({
        name: db, source: source.url(db), target: target.url(db), phases: ['schema', 'full', 'incremental'],
        parallelism: 2, options: { chunkRows: 500 },
      });
      const writer = startWriter(source, db, seed + 100 + i, ROWS);
      const kills: { phase: string; afterMs: number }[] = [];
      let retries = 0;
      try {
        for (let k = 0; k < KILLS_IN_FULL + KILLS_IN_INCREMENTAL; k++) {
          const wanted = k < KILLS_IN_FULL ? 'full' : 'incremental';
          const child = spawnFerry(['run', file, '--json'], env);
          // Wait for the phase the kill aims at (a full load that already finished moves on to the next one).
          const reached = await Promise.race([
            child.waitForEvent((e) => e.type === 'phase' && e.status === 'started' && (e.phase === wanted || (wanted === 'full' && (e.phase === 'indexes' || e.phase === 'incremental')))).then(() => true, () => false),
            child.exited.then(() => false),
          ]);
          if (!reached) {
            const r = await child.exited;
            assert.fail(`ferry run exited (${r.code}) before the ${wanted} phase: ${child.stderr().slice(-3000)}`);
          }
          // Full load: a random number of chunk checkpoints more, then a random few ms into the next chunk.
          // Incremental: a random time into the apply, while the writer keeps the log busy.
          const t0 = Date.now();
          if (wanted === 'full') {
            const base = child.events.filter(isChunkCheckpoint).length;
            const more = rnd.int(0, 6);
            if (more > 0) await child.waitForEvent(() => child.events.filter(isChunkCheckpoint).length >= base + more, 60_000).catch(() => undefined);
            await sleep(rnd.int(0, 80));
          } else {
            await sleep(rnd.int(200, 3000));
          }
          const afterMs = Date.now() - t0;
          const phases = child.events.filter((e) => e.type === 'phase' && e.status === 'started');
          const current = phases.length ? (phases[phases.length - 1] as { phase: string }).phase : 'startup';
          const early = child.events.find((e) => e.type === 'error' && !e.retryable);
          if (early) {
            await child.exited;
            assert.fail(`no failure before the kill: ${JSON.stringify(early)}\n${child.stderr().slice(-4000)}`);
          }
          retries += child.events.filter((e) => e.type === 'error' && e.retryable).length;
          child.kill('SIGKILL');
          const r = await child.exited;
          kills.push({ phase: current, afterMs });
          t.diagnostic(`kill ${k + 1}: ${current} phase, ${afterMs} ms after the ${wanted} phase began (exit ${r.code})`);
        }
      } finally {
        const w = await writer.stop();
        t.diagnostic(`writer: ${w.commits} commits, ${w.rollbacks} rollbacks, ${w.errors} errors`);
      }
      assert.ok(kills.filter((k) => k.phase === 'full').length >= 3, `at least 3 kills landed in the full load: ${JSON.stringify(kills)}`);
      assert.ok(kills.filter((k) => k.phase === 'incremental').length >= 3, `at least 3 kills landed in the incremental apply: ${JSON.stringify(kills)}`);

      const result = await finishAndVerify(file, env);
      retries += result.retries;
      const byKey = await compareByKey(source, db, target, db);
      for (const c of byKey) {
        assert.deepEqual({ table: c.table, duplicated: c.duplicated.slice(0, 10), missing: c.missing.slice(0, 10) }, { table: c.table, duplicated: [], missing: [] });
        assert.equal(c.targetRows, c.sourceRows, `${c.table}: row count`);
      }
      recordTally({ scenario: `kill -9 ${dir}`, faults: kills.length, retries, rowsCompared: result.rowsCompared, differences: result.differences });
      assert.equal(result.differences, 0, result.verifyOutput);
    });
  }
});
