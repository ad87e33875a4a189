// Runs a command and measures its wall time and peak RSS (GNU time), for the benchmark's peers and Ferry.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Measured {
  seconds: number;
  peakRssMb: number;
  exitCode: number;
  stderrTail: string;
}

/**
 * Runs `bash -c script` under /usr/bin/time and returns wall seconds and the peak RSS of the largest process
 * in the tree (GNU time reports the maximum resident set of the command and its waited-for children).
 */
export async function measure(script: string, env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-'));
  const timeFile = path.join(dir, 'time.txt');
  const t0 = process.hrtime.bigint();
  const stderr: Buffer[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, 'bash', '-o', 'pipefail', '-c', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (b: Buffer) => { stderr.push(b); if (stderr.length > 200) stderr.shift(); });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let peakKb = 0;
  try { peakKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()); } catch { peakKb = 0; }
  rmSync(dir, { recursive: true, force: true });
  return { seconds, peakRssMb: Math.round(peakKb / 1024), exitCode: code, stderrTail: Buffer.concat(stderr).toString().slice(-2000) };
}
