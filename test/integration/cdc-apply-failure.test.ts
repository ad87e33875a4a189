// A change the target refuses (here a CHECK constraint added on the target by hand) stops the run with an error
// that names the source transaction and the target's reason, at once, even when the source then stays idle
// (nothing more arriving from the log must not keep the failure unreported); the next run resumes there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLiveRun } from '../helpers/live-run';

for (const [src, dst] of [['mysql', 'postgres'], ['postgres', 'mysql'], ['mysql', 'mysql'], ['postgres', 'postgres']] as const) {
  test(`${src} -> ${dst}: a change the target refuses stops the run with the transaction and the reason, while the source is idle`, { timeout: 120_000 }, async (t) => {
    const { source, target, run } = await startLiveRun(t, src, dst, `refused-${src}-${dst}`, [
      'CREATE TABLE a (id int PRIMARY KEY, v int NOT NULL)', 'INSERT INTO a VALUES (1, 1)',
    ]);
    await target.sql(['ALTER TABLE a ADD CONSTRAINT small_v CHECK (v < 100)']);
    await source.sql(['INSERT INTO a VALUES (2, 500)']);
    const t0 = Date.now();
    const r = await run.exited;
    const seconds = (Date.now() - t0) / 1000;
    assert.notEqual(r.code, 0, 'the run fails');
    assert.ok(seconds < 30, `it stopped ${seconds.toFixed(1)} s after the refused change`);
    const fatal = run.events.filter((e) => e.type === 'error' && !e.retryable);
    assert.equal(fatal.length, 1, JSON.stringify(fatal));
    const e = fatal[0];
    assert.ok(e.type === 'error' && /applying source transaction \S+ .*failed/.test(e.message) && /small_v|check/i.test(e.message), JSON.stringify(e));
    assert.match(run.stderr(), /small_v|check/i);
  });
}
