// One `ferry run` keeps going through a crash-restart of the target server during the full load, a restart of
// the source server during the incremental apply, and KILLed sessions on both servers: every fault is retried
// with backoff (an 'error' event with retryable true in --json), nothing needs a user, the end state is equal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FerryEvent } from '../../src/engine/events';
import {
  type FaultServer, FERRY_PASSWORD, createFaultDb, faultSeed, killFerrySessions, planScenario, recordTally, seededRandom, sleep,
  spawnFerry, startFaultMariadb, startFaultPostgres, writeFaultTask,
} from '../helpers/faults';
import { compareByKey, seedSource, startWriter } from './workload';
import { finishAndVerify } from './finish';

const ROWS = 30_000;
const seed = faultSeed('server restart / killed sessions suite');
const env = { FERRY_SOURCE_PASSWORD: FERRY_PASSWORD, FERRY_TARGET_PASSWORD: FERRY_PASSWORD, FERRY_DEBUG: '1' };

const isRetry = (e: FerryEvent) => e.type === 'error' && e.retryable;
const chunkDone = (e: FerryEvent) => e.type === 'checkpoint' && / chunk \d+/.test(e.detail ?? '');

describe('server restarts and killed sessions during one run', () => {
  let my: FaultServer;
  let pgs: FaultServer;
  before(async () => { [my, pgs] = await Promise.all([startFaultMariadb(), startFaultPostgres()]); });
  after(async () => { await Promise.all([my?.destroy(), pgs?.destroy()]); });

  for (const [dir, i] of [['mysql->postgres', 0], ['postgres->mysql', 1]] as const) {
    test(`${dir}: the run retries through target and source restarts and killed sessions, then verifies equal`, async (t) => {
      planScenario(`restarts and KILLs ${dir}`);
      const rnd = seededRandom(seed + i);
      const source = dir.startsWith('mysql') ? my : pgs;
      const target = dir.startsWith('mysql') ? pgs : my;
      const db = `restart_${i}_${seed % 100000}`;
      await createFaultDb(source, db);
      await createFaultDb(target, db);
      await seedSource(source, db, ROWS);
      const file = writeFaultTask({
        name: db, source: source.url(db), target: target.url(db), phases: ['schema', 'full', 'incremental'],
        parallelism: 2, options: { chunkRows: 300 },
      });
      const writer = startWriter(source, db, seed + 200 + i, ROWS);
      const child = spawnFerry(['run', file, '--json'], env);
      const faults: string[] = [];
      /** After a fault: the run makes progress again (a chunk copied, or the applied position moving on). */
      const progressAfter = async (what: string, retriesBefore: number) => {
        const n = child.events.length;
        const positionAt = [...child.events].reverse().find((e) => e.type === 'lag');
        const since = Date.now();
        await child.waitForEvent((e) => child.events.indexOf(e) >= n && Date.now() - since > 1000
          && (chunkDone(e) || (e.type === 'phase' && e.status === 'finished')
            || (e.type === 'lag' && (!positionAt || positionAt.type !== 'lag' || e.position !== positionAt.position))), 90_000);
        const retried = child.events.filter(isRetry).length - retriesBefore;
        t.diagnostic(`${what}: ${retried} retr${retried === 1 ? 'y' : 'ies'}, progressing again`);
        return retried;
      };
      try {
        // 1. Crash the target mid full load.
        await child.waitForEvent((e) => e.type === 'phase' && e.phase === 'full' && e.status === 'started');
        await child.waitForEvent(() => child.events.filter(chunkDone).length >= rnd.int(2, 8));
        let before = child.events.filter(isRetry).length;
        await target.restart('crash', rnd.int(500, 2500));
        faults.push('target server crash + restart during the full load');
        assert.ok(await progressAfter(faults[faults.length - 1], before) >= 1, 'the target crash was retried');

        // 2. Kill ferry's sessions on the target, still during the load when it lasts, else during the apply.
        before = child.events.filter(isRetry).length;
        const killedTarget = await killFerrySessions(target);
        faults.push(`KILL of ${killedTarget} ferry sessions on the target`);
        if (killedTarget > 0) await progressAfter(faults[faults.length - 1], before);

        // 3. Restart the source during the incremental apply.
        await child.waitForEvent((e) => e.type === 'phase' && e.phase === 'incremental' && e.status === 'started', 180_000);
        await sleep(rnd.int(300, 2000));
        before = child.events.filter(isRetry).length;
        await source.restart('clean', rnd.int(500, 2500));
        faults.push('source server restart during the incremental apply');
        assert.ok(await progressAfter(faults[faults.length - 1], before) >= 1, 'the source restart was retried');

        // 4. Kill ferry's sessions on the source (the log stream among them), then on the target again.
        await sleep(rnd.int(300, 1500));
        before = child.events.filter(isRetry).length;
        const killedSource = await killFerrySessions(source);
        faults.push(`KILL of ${killedSource} ferry sessions on the source`);
        if (killedSource > 0) await progressAfter(faults[faults.length - 1], before);
        await sleep(rnd.int(300, 1500));
        before = child.events.filter(isRetry).length;
        const killedTarget2 = await killFerrySessions(target);
        faults.push(`KILL of ${killedTarget2} ferry sessions on the target during the apply`);
        if (killedTarget2 > 0) await progressAfter(faults[faults.length - 1], before);
      } finally {
        const w = await writer.stop();
        t.diagnostic(`writer: ${w.commits} commits, ${w.rollbacks} rollbacks, ${w.errors} failed while a server was down`);
      }
      // A clean stop (SIGTERM) of the run that lived through all of it.
      child.kill('SIGTERM');
      const r = await child.exited;
      const fatal = child.events.filter((e) => e.type === 'error' && !e.retryable);
      assert.deepEqual(fatal, [], 'no fault stopped the run');
      assert.equal(r.code, 0, `the run stops cleanly on SIGTERM: ${child.stderr().slice(-3000)}`);
      const retries = child.events.filter(isRetry);
      for (const e of retries) t.diagnostic(`retry: ${e.type === 'error' ? `${e.code}: ${e.message}` : ''}`.slice(0, 300));
      assert.ok(retries.length >= 2, 'both server restarts were reported as retries');
      assert.ok(retries.every((e) => e.type === 'error' && / retry \d+\/\d+ in /.test(e.message)), 'each retry says which attempt and the backoff');

      const result = await finishAndVerify(file, env);
      for (const c of await compareByKey(source, db, target, db)) {
        assert.deepEqual({ table: c.table, duplicated: c.duplicated.slice(0, 10), missing: c.missing.slice(0, 10) }, { table: c.table, duplicated: [], missing: [] });
      }
      recordTally({ scenario: `restarts and KILLs ${dir}`, faults: faults.length, retries: retries.length + result.retries, rowsCompared: result.rowsCompared, differences: result.differences });
      assert.equal(result.differences, 0, result.verifyOutput);
    });
  }
});
