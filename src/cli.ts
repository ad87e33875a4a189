// The `ferry` command line (ARCHITECTURE.md §3): check | schema | run | verify | cutover | status <task.json>.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type CheckResult, type CutoverReport, type Passwords, type VerifyReport, applySchema, assertApplied, convertTask,
  cutoverTask, precheckTask, TaskRunner, taskStatus, verifyTask,
} from './engine/api';
import { formatReport } from './engine/convert/report';
import { FerryError, asFerryError, redactSecrets } from './engine/errors';
import type { FerryEvent } from './engine/events';
import { TaskEvents } from './engine/events';
import { type Task, loadTask, passwordsFromEnv, serializeTask } from './engine/task';

const USAGE = `usage: ferry <command> <task.json> [flags]

commands:
  check    <task.json> [--json]                 pre-check both sides; exit 1 on any fail
  schema   <task.json> [--apply] [--json]       print the converted DDL and warnings; --apply applies it
  run      <task.json> [--until full|caught-up] [--force] [--json]
                                                run the task's phases (resumes from ferry_meta)
  verify   <task.json> [--repair] [--json]      compare source and target; exit 1 on any difference
  cutover  <task.json> [--read-only-source] [--reverse] [--json]
                                                drain, sync sequences, verify, stop replication;
                                                --reverse also writes <name>-reverse.json (rollback)
  status   <task.json> [--json]                 phase, progress, lag, last error

passwords: FERRY_SOURCE_PASSWORD and FERRY_TARGET_PASSWORD (or in the URL; never in a task file)`;

interface Args {
  command: string;
  file?: string;
  flags: Map<string, string | true>;
}

const FLAGS: Record<string, { value: boolean; commands: string[] }> = {
  '--json': { value: false, commands: ['check', 'schema', 'run', 'verify', 'cutover', 'status'] },
  '--apply': { value: false, commands: ['schema'] },
  '--until': { value: true, commands: ['run'] },
  '--force': { value: false, commands: ['run'] },
  '--repair': { value: false, commands: ['verify'] },
  '--read-only-source': { value: false, commands: ['cutover'] },
  '--reverse': { value: false, commands: ['cutover'] },
};

class UsageError extends FerryError {
  constructor(message: string) {
    super('USAGE', message, { fix: 'run `ferry --help`' });
  }
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  const flags = new Map<string, string | true>();
  let file: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.split('=', 2);
      const spec = FLAGS[name];
      if (!spec || !spec.commands.includes(command)) throw new UsageError(`unknown flag ${name} for "${command}"`);
      if (spec.value) {
        const v = inline ?? rest[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name, v);
      } else {
        flags.set(name, true);
      }
    } else if (file === undefined) {
      file = a;
    } else {
      throw new UsageError(`unexpected argument "${a}"`);
    }
  }
  return { command, file, flags };
}

/** Renders events as progress lines on stderr (or JSON lines on stdout with --json). */
function attachRenderer(events: TaskEvents, json: boolean): void {
  const lastProgress = new Map<string, number>();
  events.on((e: FerryEvent) => {
    if (json) {
      process.stdout.write(JSON.stringify(e) + '\n');
      return;
    }
    const line = renderEvent(e, lastProgress);
    if (line) process.stderr.write(redactSecrets(line) + '\n');
  });
}

function renderEvent(e: FerryEvent, lastProgress: Map<string, number>): string | undefined {
  const time = e.at.slice(11, 19);
  switch (e.type) {
    case 'phase':
      return `${time} phase ${e.phase} ${e.status}`;
    case 'progress': {
      // At most one line per table every 2 s (and always the final one).
      const key = e.table ?? '*';
      const now = Date.now();
      const done = e.totalRows !== undefined && e.rows >= e.totalRows;
      if (!done && now - (lastProgress.get(key) ?? 0) < 2000) return undefined;
      lastProgress.set(key, now);
      const pct = e.totalRows ? ` ${Math.min(100, Math.floor((e.rows / Math.max(1, e.totalRows)) * 100))}%` : '';
      const eta = e.etaSeconds !== undefined && !done ? ` eta ${Math.ceil(e.etaSeconds)}s` : '';
      return `${time} ${e.table ?? 'total'}: ${e.rows}${e.totalRows !== undefined ? `/${e.totalRows}` : ''} rows${pct}, ${Math.round(e.rowsPerSecond)} rows/s${eta}`;
    }
    case 'lag':
      return `${time} lag ${e.secondsBehind.toFixed(1)}s, ${e.queuedTransactions} queued, ${e.appliedPerSecond.toFixed(0)} tx/s at ${e.position}`;
    case 'warning':
      return `${time} warning ${e.code}${e.object ? ` ${e.object}` : ''}: ${e.message}${e.fix ? ` (fix: ${e.fix})` : ''}`;
    case 'error':
      return `${time} error ${e.code}: ${e.message}${e.fix ? ` — ${e.fix}` : ''}${e.retryable ? ' (retrying)' : ''}`;
    case 'checkpoint':
      return undefined;
    case 'log':
      return e.level === 'info' ? `${time} ${e.message}` : undefined;
  }
}

function printChecks(results: CheckResult[]): void {
  const width = Math.max(10, ...results.map((r) => r.title.length));
  for (const r of results) {
    const mark = r.level === 'pass' ? 'PASS' : r.level === 'warn' ? 'WARN' : 'FAIL';
    process.stdout.write(`${mark}  ${r.title.padEnd(width)}  ${r.object ? `${r.object.replace(/^\w+:/, '')}: ` : ''}${r.message}\n`);
    if (r.fix && r.level !== 'pass') process.stdout.write(`      ${' '.repeat(width)}  fix: ${r.fix}\n`);
  }
  const count = (l: string) => results.filter((r) => r.level === l).length;
  process.stdout.write(`\n${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed\n`);
}

function printVerify(report: VerifyReport): void {
  for (const t of report.tables) {
    const state = t.differences.length === 0 && t.sourceRows === t.targetRows ? 'equal' : 'DIFFERENT';
    process.stdout.write(`${t.table}: ${state} (source ${t.sourceRows} rows, target ${t.targetRows} rows, ${t.chunks} chunks, ${t.mismatchedChunks} mismatched${t.repaired ? `, ${t.repaired} repaired` : ''})\n`);
    for (const d of t.differences.slice(0, 50)) process.stdout.write(`  ${d.kind} key (${d.key.join(', ')})\n`);
    if (t.differences.length > 50) process.stdout.write(`  … ${t.differences.length - 50} more\n`);
  }
  process.stdout.write(`\n${report.equal ? 'equal' : 'DIFFERENT'}: ${report.tables.length} tables, ${report.rowsCompared} rows compared\n`);
}

function printCutover(report: CutoverReport): void {
  process.stdout.write('switch report\n');
  for (const s of report.steps) process.stdout.write(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.name} (${s.seconds.toFixed(1)} s): ${s.detail}\n`);
  process.stdout.write(`  started ${report.startedAt}, finished ${report.finishedAt}\n`);
  process.stdout.write(`  final source position ${report.finalPosition}; ${report.rows} rows; differences ${report.differences}; source read-only: ${report.sourceReadOnly ? 'yes' : 'no'}\n`);
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(USAGE + '\n');
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    process.stdout.write('ferry 0.1.0\n');
    return 0;
  }
  const args = parseArgs(argv);
  if (!['check', 'schema', 'run', 'verify', 'cutover', 'status'].includes(args.command)) throw new UsageError(`unknown command "${args.command}"`);
  if (!args.file) throw new UsageError(`"${args.command}" needs a task file: ferry ${args.command} .ferry/<name>.json`);
  const task: Task = loadTask(args.file);
  const passwords: Passwords = passwordsFromEnv();
  const json = args.flags.has('--json');

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\nferry: ${sig} received, stopping cleanly (checkpoint saved); press again to exit at once\n`);
    controller.abort(new FerryError('CANCELLED', `stopped by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const events = new TaskEvents(task.name);
  attachRenderer(events, json && args.command === 'run');

  switch (args.command) {
    case 'check': {
      const results = await precheckTask(task, passwords, controller.signal);
      if (json) process.stdout.write(JSON.stringify({ task: task.name, results }, null, 2) + '\n');
      else printChecks(results);
      return results.some((r) => r.level === 'fail') ? 1 : 0;
    }
    case 'schema': {
      if (args.flags.has('--apply')) {
        const results = await applySchema(task, passwords, events, controller.signal);
        if (json) process.stdout.write(JSON.stringify({ task: task.name, results }, null, 2) + '\n');
        else {
          for (const r of results) process.stdout.write(`${r.ok ? 'ok     ' : r.skipped ? 'skipped' : 'FAILED '} ${r.id}${r.error ? `: ${r.error}` : ''}\n`);
          process.stdout.write(`\n${results.filter((r) => r.ok).length} applied, ${results.filter((r) => !r.ok).length} not applied\n`);
          if (task.phases.includes('full') || task.phases.includes('incremental')) {
            process.stdout.write('indexes, foreign keys, views and triggers go on after the data load (`ferry run` continues from here)\n');
          }
        }
        assertApplied(results);
        return 0;
      }
      const report = await convertTask(task, passwords);
      process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      return 0;
    }
    case 'run': {
      const until = args.flags.get('--until');
      if (until !== undefined && until !== 'full' && until !== 'caught-up') throw new UsageError(`--until takes "full" or "caught-up", not "${String(until)}"`);
      const runner = new TaskRunner(task, passwords, events);
      await runner.run({ until: until as 'full' | 'caught-up' | undefined, signal: controller.signal, force: args.flags.has('--force') });
      return 0;
    }
    case 'verify': {
      const report = await verifyTask(task, passwords, { repair: args.flags.has('--repair'), signal: controller.signal, events });
      if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else printVerify(report);
      return report.equal ? 0 : 1;
    }
    case 'cutover': {
      const report = await cutoverTask(task, passwords, { readOnlySource: args.flags.has('--read-only-source'), reverse: args.flags.has('--reverse'), signal: controller.signal, events });
      let reverseFile: string | undefined;
      if (report.reverseTask) {
        reverseFile = path.join(path.dirname(args.file), `${report.reverseTask.name}.json`);
        writeFileSync(reverseFile, serializeTask(report.reverseTask));
      }
      if (json) process.stdout.write(JSON.stringify({ ...report, reverseTaskFile: reverseFile }, null, 2) + '\n');
      else {
        printCutover(report);
        if (reverseFile) {
          process.stdout.write(`\nreverse task written to ${reverseFile}; keep the old source current with:\n`
            + `  FERRY_SOURCE_PASSWORD=<target password> FERRY_TARGET_PASSWORD=<source password> ferry run ${reverseFile}\n`);
        }
      }
      return report.differences === 0 && report.steps.every((s) => s.ok) ? 0 : 1;
    }
    case 'status': {
      const status = await taskStatus(task, passwords);
      if (json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
      else {
        process.stdout.write(`task ${status.task}: phase ${status.phase}, ${status.state}${status.updatedAt ? ` (updated ${status.updatedAt})` : ''}\n`);
        if (status.position) process.stdout.write(`position ${status.position}\n`);
        if (status.lagSeconds !== undefined) process.stdout.write(`lag ${status.lagSeconds.toFixed(1)} s\n`);
        if (status.lastError) process.stdout.write(`last error: ${status.lastError}\n`);
        for (const t of status.tables) {
          process.stdout.write(`  ${t.table}: ${t.rowsCopied}/${t.totalRows} rows, ${t.chunksDone}/${t.chunksTotal} chunks${t.done ? ' done' : ''}\n`);
        }
      }
      return 0;
    }
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const e = asFerryError(err);
    process.stderr.write(`ferry: ${redactSecrets(e.oneLine())}\n`);
    if (process.env.FERRY_DEBUG && e.stack) process.stderr.write(redactSecrets(e.stack) + '\n');
    process.exitCode = e instanceof UsageError ? 2 : e.code === 'CANCELLED' ? 130 : 1;
  },
).finally(() => {
  // Open sockets of a failed run must not keep the process alive.
  setTimeout(() => process.exit(), 200).unref();
});
