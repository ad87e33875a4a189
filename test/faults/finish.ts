// The end of every fault scenario: `ferry run --until caught-up`, then `ferry verify --json`, both as the user
// runs them; returns what the summary counts.
import assert from 'node:assert/strict';
import type { VerifyReport } from '../../src/engine/api';
import { spawnFerry } from '../helpers/faults';

export interface FinishResult {
  rowsCompared: number;
  differences: number;
  retries: number;
  verifyOutput: string;
}

export async function finishAndVerify(file: string, env: NodeJS.ProcessEnv, opts: { until?: 'caught-up' | 'full' } = {}): Promise<FinishResult> {
  const run = spawnFerry(['run', file, '--json', '--until', opts.until ?? 'caught-up'], env);
  const timer = setTimeout(() => run.kill('SIGKILL'), 240_000);
  const r = await run.exited;
  clearTimeout(timer);
  assert.equal(r.code, 0, `ferry run --until ${opts.until ?? 'caught-up'} succeeds after the faults: ${run.stderr().slice(-3000)}`);
  const retries = run.events.filter((e) => e.type === 'error' && e.retryable).length;
  const verify = spawnFerry(['verify', file, '--json'], env);
  const v = await verify.exited;
  const out = verify.stdout();
  let report: VerifyReport;
  try {
    report = JSON.parse(out.slice(out.indexOf('{'))) as VerifyReport;
  } catch {
    assert.fail(`ferry verify printed no report (exit ${v.code}): ${verify.stderr().slice(-3000)}`);
  }
  const differences = report.tables.reduce((n, t) => n + t.differences.length + Math.abs(t.sourceRows - t.targetRows) + t.mismatchedChunks, 0);
  assert.equal(v.code, report.equal ? 0 : 1, 'verify exits 0 exactly when equal');
  return { rowsCompared: report.rowsCompared, differences: report.equal ? differences : Math.max(1, differences), retries, verifyOutput: out.slice(0, 5000) };
}
