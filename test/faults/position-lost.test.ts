// The source's log no longer holds the saved position (binlog purged, replication slot dropped while Ferry was
// stopped): the next run stops with an error that says a new full load is needed, never skipping silently.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type FaultServer, FERRY_PASSWORD, createFaultDb, dropReplicationSlots, faultSeed, purgeBinaryLogs, planScenario, recordTally,
  spawnFerry, startFaultMariadb, startFaultPostgres, writeFaultTask,
} from '../helpers/faults';
import { seedSource, startWriter } from './workload';

const seed = faultSeed('lost source position suite');
const env = { FERRY_SOURCE_PASSWORD: FERRY_PASSWORD, FERRY_TARGET_PASSWORD: FERRY_PASSWORD };

describe('the saved source position is gone', () => {
  let my: FaultServer;
  let pgs: FaultServer;
  before(async () => { [my, pgs] = await Promise.all([startFaultMariadb(), startFaultPostgres()]); });
  after(async () => { await Promise.all([my?.destroy(), pgs?.destroy()]); });

  for (const [dir, i] of [['mysql->postgres', 0], ['postgres->mysql', 1]] as const) {
    test(`${dir}: a ${dir.startsWith('mysql') ? 'purged binlog' : 'dropped slot'} stops the run with an error asking for a new full load`, async () => {
      planScenario(`position lost ${dir}`);
      const source = dir.startsWith('mysql') ? my : pgs;
      const target = dir.startsWith('mysql') ? pgs : my;
      const db = `lost_${i}_${seed % 100000}`;
      await createFaultDb(source, db);
      await createFaultDb(target, db);
      await seedSource(source, db, 2000);
      const file = writeFaultTask({ name: db, source: source.url(db), target: target.url(db), phases: ['schema', 'full', 'incremental'], parallelism: 2 });
      const first = spawnFerry(['run', file, '--json', '--until', 'caught-up'], env);
      const r1 = await first.exited;
      assert.equal(r1.code, 0, first.stderr());

      // Changes Ferry has not seen, then the log that holds them goes away while Ferry is stopped.
      const writer = startWriter(source, db, seed + i, 2000, 0);
      await new Promise((r) => setTimeout(r, 1000));
      const w = await writer.stop();
      assert.ok(w.commits > 0);
      if (source.engine === 'mysql') await purgeBinaryLogs(source);
      else assert.ok((await dropReplicationSlots(source, db)).length > 0, 'the task slot was dropped');

      const second = spawnFerry(['run', file, '--json', '--until', 'caught-up'], env);
      const timer = setTimeout(() => second.kill('SIGKILL'), 120_000);
      const r2 = await second.exited;
      clearTimeout(timer);
      assert.notEqual(r2.code, 0, `the run does not pretend to be caught up: ${JSON.stringify(second.events.filter((e) => e.type !== 'progress').slice(-12))}`);
      const fatal = second.events.filter((e) => e.type === 'error' && !e.retryable);
      assert.equal(fatal.length, 1, `one final error: ${second.stderr().slice(-2000)}`);
      const e = fatal[0] as { code: string; message: string; fix?: string };
      assert.match(`${e.message} ${e.fix ?? ''}`, /full load/i, `the error says a new full load is needed: ${JSON.stringify(e)}`);
      assert.ok(e.fix && e.fix.length > 0, 'it carries a fix');
      assert.match(second.stderr(), /full load/i, 'the CLI prints it');
      recordTally({ scenario: `position lost ${dir}`, faults: 1, retries: second.events.filter((x) => x.type === 'error' && x.retryable).length, rowsCompared: 0, differences: 0 });
    });
  }
});
