// Runs the real `ferry` command (bin/ferry.js -> dist/cli.js, built once per test process) in a child process.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT, passwordFor } from './db';

let built = false;

/** Bundles src/cli.ts into dist/cli.js once per test process, so the tests run what users run. */
export function ensureCliBuilt(): void {
  if (built) return;
  // Test processes run in parallel and start `ferry` while others build: each builds beside the bundle and
  // renames it into place, so no process ever loads a half-written dist/cli.js.
  const tmp = path.join(ROOT, 'dist', `cli.${process.pid}.tmp.js`);
  buildSync({ entryPoints: [path.join(ROOT, 'src', 'cli.ts')], outfile: tmp, bundle: true,
    platform: 'node', target: 'node20', format: 'cjs', external: ['pg-native'], sourcemap: false, logLevel: 'error' });
  renameSync(tmp, path.join(ROOT, 'dist', 'cli.js'));
  built = true;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ferry …args` with the given environment additions; resolves when it exits. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  ensureCliBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ferry.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** Writes a task file into a fresh temp folder's .ferry/ and returns its path. */
export function writeTaskFile(task: Record<string, unknown>): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ferry-task-')), '.ferry');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${String(task.name ?? 'task')}.json`);
  writeFileSync(file, JSON.stringify(task, null, 2));
  return file;
}

/** The CLI environment with both passwords of a task's URLs. */
export function passwordsEnv(source: string, target: string): NodeJS.ProcessEnv {
  return { FERRY_SOURCE_PASSWORD: passwordFor(source), FERRY_TARGET_PASSWORD: passwordFor(target) };
}
