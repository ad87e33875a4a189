// The fault suite's summary (runs last: files run in name order with --test-concurrency=1): faults injected,
// retries, rows compared and differences over every scenario of this run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { readPlanned, readTallies, tallyDir } from '../helpers/faults';

test('the fault suite injected faults, compared rows and found no difference', (t) => {
  const tallies = readTallies();
  const planned = readPlanned();
  rmSync(tallyDir(), { recursive: true, force: true });
  for (const x of tallies) t.diagnostic(`${x.scenario}: ${x.faults} faults, ${x.retries} retries, ${x.rowsCompared} rows compared, ${x.differences} differences${x.note ? ` (${x.note})` : ''}`);
  const unfinished = planned.filter((p) => !tallies.some((x) => x.scenario === p));
  const sum = (k: 'faults' | 'retries' | 'rowsCompared' | 'differences') => tallies.reduce((n, x) => n + x[k], 0);
  const line = `FAULT SUMMARY: ${tallies.length}/${planned.length} scenarios passed, faults injected ${sum('faults')}, retries ${sum('retries')}, rows compared ${sum('rowsCompared')}, differences ${sum('differences')}`;
  process.stdout.write(`# ${line}\n`);
  t.diagnostic(line);
  assert.deepEqual(unfinished, [], 'every scenario that started finished with its tally (a failed scenario records none)');
  assert.ok(tallies.length > 0, 'the scenarios recorded their tallies (run the whole suite: npm run test:faults)');
  assert.ok(sum('faults') > 0 && sum('rowsCompared') > 0);
  assert.equal(sum('differences'), 0);
});
