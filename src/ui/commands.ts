// The handlers behind Ferry's commands. They take a tree item, a task file / name, or nothing (then ask
// with a QuickPick), and talk to the user only through the Prompter, so they run headless in tests.
import type { CheckResult, ConnectionTestResult, CutoverReport, VerifyReport } from '../engine/api';
import { FerryError, asFerryError, redactSecrets } from '../engine/errors';
import { TaskEvents } from '../engine/events';
import type { Task } from '../engine/task';
import { type ConnectionAnswer, type ConnectionPrefill, askConnection, isCompletePrefill, profileFromPrefill } from './connection-form';
import { type ConnectionProfile, type ConnectionStore, profileServer } from './connections';
import type { EngineApi, Passwords } from './engine-api';
import { newTaskWizard, type WizardResult } from './new-task-wizard';
import { type PasswordVault, type Side, sideOfError } from './passwords';
import type { Prompter } from './prompter';
import { checkCounts, checkSummary, connectionTestMarkdown, connectionTestSummary, cutoverMarkdown, cutoverSummary, precheckMarkdown, verifyMarkdown, verifySummary } from './reports';
import type { FerrySettings } from './settings';
import type { TaskIndex } from './task-files';
import { formatEvent } from './task-log';
import type { TaskLog } from './task-log';
import type { TaskBoard, UiTaskState } from './task-monitor';
import type { RunOutcome, TaskRuns } from './task-runs';

/** What the handlers need that only the extension host has. */
export interface CommandHooks {
  openFile(file: string): Promise<void>;
  showLog(): void;
  showSchemaPanel(file: string, task: Task): Promise<void>;
  /** A connection was tested successfully (the tree shows the version). */
  connectionTested?(profile: ConnectionProfile, result: ConnectionTestResult): void;
}

export interface CommandDeps {
  engine: EngineApi;
  store: ConnectionStore;
  vault: PasswordVault;
  prompter: Prompter;
  index: TaskIndex;
  board: TaskBoard;
  runs: TaskRuns;
  log: TaskLog;
  settings: () => FerrySettings;
  folder: () => string | undefined;
  hooks: CommandHooks;
}

/** A task chosen by the user or named by a command argument. */
export interface TaskRef {
  file: string;
  task: Task;
}

const RUNNING_STATES: UiTaskState[] = ['running', 'caught_up'];

export class FerryCommands {
  constructor(private readonly d: CommandDeps) {}

  // ---- connections -------------------------------------------------------------------------------

  /** New Connection: asks (or takes a complete prefill object), saves, then tests it. */
  async newConnection(prefill?: ConnectionPrefill): Promise<ConnectionProfile | undefined> {
    let answer: ConnectionAnswer | undefined;
    if (isCompletePrefill(prefill)) {
      answer = { profile: profileFromPrefill(prefill), password: prefill.password };
      if (answer.password === undefined) {
        answer.password = await this.d.prompter.input({ title: `Ferry: password for ${prefill.name}`, password: true, prompt: 'Kept in VS Code\'s secret storage only' });
        if (answer.password === undefined) return undefined;
      }
    } else {
      answer = await askConnection(this.d.prompter, this.d.store.list());
    }
    if (!answer) return undefined;
    await this.d.store.save(answer.profile, answer.password);
    this.d.log.line(undefined, 'info', `connection "${answer.profile.name}" saved (${answer.profile.engine} ${profileServer(answer.profile)}/${answer.profile.database})`);
    await this.testConnection(answer.profile);
    return answer.profile;
  }

  async editConnection(arg?: unknown): Promise<ConnectionProfile | undefined> {
    const existing = await this.resolveConnection(arg, 'Edit which connection?');
    if (!existing) return undefined;
    const answer = await askConnection(this.d.prompter, this.d.store.list(), existing);
    if (!answer) return undefined;
    await this.d.store.save(answer.profile, answer.password);
    this.d.log.line(undefined, 'info', `connection "${answer.profile.name}" updated`);
    return answer.profile;
  }

  /** Test Connection under a cancellable progress notification; reports version and replication settings. */
  async testConnection(arg?: unknown): Promise<ConnectionTestResult | undefined> {
    const profile = await this.resolveConnection(arg, 'Test which connection?');
    if (!profile) return undefined;
    if (!(await this.ensurePassword(profile))) return undefined;
    let result: ConnectionTestResult;
    try {
      const cfg = await this.d.store.config(profile);
      result = await this.d.prompter.progress(`Ferry: testing ${profile.name}…`, (signal) => this.d.engine.testConnection(cfg, signal));
    } catch (err) {
      await this.reportError(err, { profile });
      return undefined;
    }
    this.d.hooks.connectionTested?.(profile, result);
    const summary = connectionTestSummary(profile.name, result);
    this.d.log.line(undefined, 'info', summary.replace(/^Ferry: /, ''));
    for (const s of result.settings.filter((x) => !x.ok)) this.d.log.line(undefined, 'warn', `${profile.name}: ${s.name}=${s.value}${s.fix ? ` — fix: ${s.fix}` : ''}`);
    const ok = result.settings.every((s) => s.ok);
    void this.d.prompter.message(ok ? 'info' : 'warning', summary, ['Show details']).then((a) => {
      if (a === 'Show details') return this.d.prompter.showReport(`connection-${profile.name}`, connectionTestMarkdown(profile.name, result));
    });
    return result;
  }

  async removeConnection(arg?: unknown): Promise<boolean> {
    const profile = await this.resolveConnection(arg, 'Remove which connection?');
    if (!profile) return false;
    const answer = await this.d.prompter.message('warning', `Remove the connection "${profile.name}" and its stored password? Task files that use it keep working from their URLs.`, ['Remove'], true);
    if (answer !== 'Remove') return false;
    await this.d.store.remove(profile.id);
    this.d.log.line(undefined, 'info', `connection "${profile.name}" removed`);
    return true;
  }

  async duplicateConnection(arg?: unknown): Promise<ConnectionProfile | undefined> {
    const profile = await this.resolveConnection(arg, 'Duplicate which connection?');
    if (!profile) return undefined;
    const copy = await this.d.store.duplicate(profile.id);
    this.d.log.line(undefined, 'info', `connection "${profile.name}" duplicated as "${copy.name}"`);
    return copy;
  }

  /** Update Password: for a connection (tree item / id) or, given a task and side, that side's server user. */
  async updatePassword(arg?: unknown, side?: Side): Promise<boolean> {
    const ref = this.taskFromArg(arg);
    if (ref) {
      const s = side ?? await this.d.prompter.pick<Side>([{ label: 'Source', value: 'source' }, { label: 'Target', value: 'target' }], { title: `Ferry: update which password of ${ref.task.name}?` });
      return s !== undefined && (await this.d.vault.update(ref.task, s)) !== undefined;
    }
    const profile = await this.resolveConnection(arg, 'Update the password of which connection?');
    if (!profile) return false;
    const pw = await this.d.prompter.input({ title: `Ferry: password for ${profile.name} (${profileServer(profile)})`, password: true, prompt: 'Kept in VS Code\'s secret storage only' });
    if (pw === undefined) return false;
    await this.d.store.setPassword(profile.id, pw);
    this.d.log.line(undefined, 'info', `password of connection "${profile.name}" updated`);
    return true;
  }

  /** Asks for a saved connection's password when none is stored; false when the user dismisses it. */
  async ensurePassword(profile: ConnectionProfile): Promise<boolean> {
    if ((await this.d.store.password(profile.id)) !== undefined) return true;
    const pw = await this.d.prompter.input({ title: `Ferry: password for ${profile.name} (${profileServer(profile)})`, password: true, prompt: 'No password is stored for this connection yet' });
    if (pw === undefined) return false;
    await this.d.store.setPassword(profile.id, pw);
    return true;
  }

  // ---- tasks -------------------------------------------------------------------------------------

  async newTask(): Promise<WizardResult | undefined> {
    const result = await newTaskWizard({
      prompter: this.d.prompter, store: this.d.store, engine: this.d.engine, settings: this.d.settings, folder: this.d.folder,
      takenNames: () => this.d.index.all().map((e) => (e.ok ? e.task.name : e.file.replace(/^.*[\\/]|\.json$/g, ''))),
      newConnection: () => this.newConnection(),
      ensurePassword: (p) => this.ensurePassword(p),
    });
    if (!result) return undefined;
    this.d.index.refresh();
    const c = checkCounts(result.checks);
    this.d.log.line(result.task.name, c.fail > 0 ? 'warn' : 'info', `task saved to ${result.file}; pre-check: ${checkSummary(result.checks)}`);
    void this.d.prompter.message(c.fail > 0 ? 'warning' : 'info', `Ferry: task ${result.task.name} saved to .ferry/${result.task.name}.json (pre-check: ${checkSummary(result.checks)}).`,
      ['Show Schema Conversion', 'Start', 'Open Task File']).then(async (a) => {
      if (a === 'Show Schema Conversion') await this.showSchemaConversion(result.file);
      else if (a === 'Start') await this.start(result.file);
      else if (a === 'Open Task File') await this.openTaskFile(result.file);
    });
    return result;
  }

  async precheck(arg?: unknown): Promise<CheckResult[] | undefined> {
    const ref = await this.resolveTask(arg, 'Pre-check which task?');
    if (!ref) return undefined;
    const passwords = await this.passwordsFor(ref);
    if (!passwords) return undefined;
    let checks: CheckResult[];
    try {
      checks = await this.d.prompter.progress(`Ferry: pre-checking ${ref.task.name}…`, (signal) => this.d.engine.precheckTask(ref.task, passwords, signal));
    } catch (err) {
      await this.reportError(err, { ref });
      return undefined;
    }
    const c = checkCounts(checks);
    this.d.log.line(ref.task.name, c.fail > 0 ? 'warn' : 'info', `pre-check: ${checkSummary(checks)}`);
    for (const r of checks.filter((x) => x.level !== 'pass')) this.d.log.line(ref.task.name, r.level === 'fail' ? 'error' : 'warn', `${r.title}: ${r.message}${r.fix ? ` — fix: ${r.fix}` : ''}`);
    await this.d.prompter.showReport(`precheck-${ref.task.name}`, precheckMarkdown(ref.task.name, checks));
    void this.d.prompter.message(c.fail > 0 ? 'error' : c.warn > 0 ? 'warning' : 'info', `Ferry: pre-check of ${ref.task.name}: ${checkSummary(checks)}.`);
    return checks;
  }

  /** Start (or resume from the checkpoint) a task; returns once it runs. `until` stops it early. */
  async start(arg?: unknown, opts: { until?: 'full' | 'caught-up'; force?: boolean } = {}): Promise<boolean> {
    const ref = await this.resolveTask(arg, 'Start which task?', (s) => !RUNNING_STATES.includes(s));
    if (!ref) return false;
    if (this.d.runs.isRunning(ref.file)) {
      void this.d.prompter.message('info', `Ferry: ${ref.task.name} is running already.`);
      return false;
    }
    const passwords = await this.passwordsFor(ref);
    if (!passwords) return false;
    void this.d.runs.start(ref.file, ref.task, passwords, opts).then((outcome) => this.afterRun(ref, outcome, opts));
    return true;
  }

  private async afterRun(ref: TaskRef, outcome: RunOutcome, opts: { until?: 'full' | 'caught-up'; force?: boolean }): Promise<void> {
    if (outcome.kind === 'failed') {
      const fixed = await this.reportError(outcome.error, { ref });
      if (fixed === 'start-anyway') await this.start(ref.file, { ...opts, force: true });
      else if (fixed) await this.start(ref.file, opts);
    } else if (outcome.kind === 'finished') {
      const state = this.d.board.get(ref.file)?.state ?? 'finished';
      void this.d.prompter.message('info', `Ferry: ${ref.task.name} ${state === 'caught_up' ? 'caught up with the source' : state === 'switched' ? 'switched over' : 'finished'}.`);
    }
  }

  async pause(arg?: unknown): Promise<boolean> {
    const ref = await this.resolveTask(arg, 'Pause which task?', (s) => RUNNING_STATES.includes(s));
    if (!ref) return false;
    return (await this.d.runs.pause(ref.file)) !== undefined;
  }

  async resume(arg?: unknown): Promise<boolean> {
    const ref = await this.resolveTask(arg, 'Resume which task?', (s) => s === 'paused' || s === 'stopped');
    if (!ref) return false;
    return this.start(ref.file);
  }

  async stop(arg?: unknown): Promise<boolean> {
    const ref = await this.resolveTask(arg, 'Stop which task?', (s) => RUNNING_STATES.includes(s) || s === 'paused');
    if (!ref) return false;
    if (!this.d.runs.isRunning(ref.file)) {
      // A paused task has no run to abort; stopping it only changes how it is remembered.
      await this.d.runs.forget(ref.file);
      this.d.board.setState(ref.file, ref.task.name, 'stopped');
      return true;
    }
    return (await this.d.runs.stop(ref.file)) !== undefined;
  }

  async verify(arg?: unknown, opts: { repair?: boolean } = {}): Promise<VerifyReport | undefined> {
    const ref = await this.resolveTask(arg, 'Verify which task?');
    if (!ref) return undefined;
    const passwords = await this.passwordsFor(ref);
    if (!passwords) return undefined;
    let report: VerifyReport;
    try {
      report = await this.d.prompter.progress(`Ferry: verifying ${ref.task.name}…`, (signal, progress) =>
        this.d.engine.verifyTask(ref.task, passwords, { repair: opts.repair, signal, events: this.sideEvents(ref, (m) => progress.report(m)) }));
    } catch (err) {
      await this.reportError(err, { ref });
      return undefined;
    }
    this.d.log.line(ref.task.name, report.equal ? 'info' : 'warn', verifySummary(ref.task.name, report).replace(/^Ferry: \S+ /, 'verify: '));
    await this.d.prompter.showReport(`verify-${ref.task.name}`, verifyMarkdown(ref.task.name, report));
    void this.d.prompter.message(report.equal ? 'info' : 'warning', verifySummary(ref.task.name, report));
    return report;
  }

  async cutover(arg?: unknown, opts: { readOnlySource?: boolean } = {}): Promise<CutoverReport | undefined> {
    const ref = await this.resolveTask(arg, 'Cut over which task?', (s) => s !== 'switched');
    if (!ref) return undefined;
    let readOnlySource = opts.readOnlySource;
    if (readOnlySource === undefined) {
      const choice = await this.d.prompter.pick<boolean>([
        { label: '$(lock) Make the source read-only, then switch', description: 'recommended: no write can be lost after the final position', value: true },
        { label: '$(unlock) Switch without touching the source', description: 'stop writers yourself before confirming', value: false },
      ], { title: `Ferry: cutover of ${ref.task.name}`, placeholder: 'Wait for lag 0, drain, sync sequences, verify, stop replication' });
      if (choice === undefined) return undefined;
      readOnlySource = choice;
    }
    const passwords = await this.passwordsFor(ref);
    if (!passwords) return undefined;
    if (this.d.runs.isRunning(ref.file)) {
      // The cutover drains replication itself from the checkpoint; the run here must release the slot/binlog stream first.
      this.d.log.line(ref.task.name, 'info', 'cutover: stopping the running replication first');
      await this.d.runs.stop(ref.file);
    }
    let report: CutoverReport;
    try {
      report = await this.d.prompter.progress(`Ferry: cutover of ${ref.task.name}…`, (signal, progress) =>
        this.d.engine.cutoverTask(ref.task, passwords, { readOnlySource, signal, events: this.sideEvents(ref, (m) => progress.report(m)) }));
    } catch (err) {
      await this.reportError(err, { ref });
      return undefined;
    }
    const ok = report.steps.every((s) => s.ok) && report.differences === 0;
    if (ok) this.d.board.setState(ref.file, ref.task.name, 'switched');
    this.d.log.line(ref.task.name, ok ? 'info' : 'error', cutoverSummary(ref.task.name, report).replace(/^Ferry: \S+ /, 'cutover: '));
    await this.d.prompter.showReport(`cutover-${ref.task.name}`, cutoverMarkdown(ref.task.name, report));
    void this.d.prompter.message(ok ? 'info' : 'error', cutoverSummary(ref.task.name, report));
    return report;
  }

  async showSchemaConversion(arg?: unknown): Promise<void> {
    const ref = await this.resolveTask(arg, 'Show the schema conversion of which task?');
    if (ref) await this.d.hooks.showSchemaPanel(ref.file, ref.task);
  }

  async openTaskFile(arg?: unknown): Promise<void> {
    const file = this.fileFromArg(arg) ?? (await this.resolveTask(arg, 'Open which task file?'))?.file;
    if (file) await this.d.hooks.openFile(file);
  }

  showLog(): void {
    this.d.hooks.showLog();
  }

  refresh(): void {
    this.d.index.refresh();
  }

  // ---- errors ------------------------------------------------------------------------------------

  /**
   * Shows an error a DBA can act on (message + fix). A rejected password offers "Update password";
   * resolves true when the user updated it (the caller may retry). A failed pre-check offers "Start anyway".
   */
  async reportError(err: unknown, about: { ref?: TaskRef; profile?: ConnectionProfile } = {}): Promise<boolean | 'start-anyway'> {
    const e = err instanceof FerryError ? err : asFerryError(err);
    if (e.code === 'CANCELLED' || /cancelled by the user/.test(e.message)) return false;
    const subject = about.ref?.task.name ?? about.profile?.name;
    this.d.log.line(about.ref?.task.name, 'error', `${about.ref ? '' : subject ? `${subject}: ` : ''}${e.oneLine()}`);
    const auth = e.code === 'AUTH_FAILED';
    const precheckFailed = e.code === 'PRECHECK_FAILED' && about.ref !== undefined;
    const actions = auth ? ['Update password', 'Show log'] : precheckFailed ? ['Start anyway', 'Run Pre-check', 'Show log'] : ['Show log'];
    const text = redactSecrets(`Ferry${subject ? ` (${subject})` : ''}: ${e.message}${e.fix ? ` — ${e.fix}` : ''}`);
    const action = await this.d.prompter.message('error', text, actions);
    if (action === 'Show log') this.d.hooks.showLog();
    if (action === 'Start anyway') return 'start-anyway';
    if (action === 'Run Pre-check' && about.ref) { await this.precheck(about.ref.file); return false; }
    if (action !== 'Update password') return false;
    if (about.ref) {
      const side = sideOfError(about.ref.task, e.message);
      return this.updatePassword(about.ref.file, side);
    }
    if (about.profile) return this.updatePassword({ kind: 'connection', profile: about.profile });
    return false;
  }

  // ---- argument handling -------------------------------------------------------------------------

  private sideEvents(ref: TaskRef, progress: (m: string) => void): TaskEvents {
    const events = new TaskEvents(ref.task.name);
    events.on((ev) => {
      if (ev.type === 'progress') { progress(`${ev.table ?? ''} ${ev.rows.toLocaleString('en-US')}${ev.totalRows !== undefined ? ` / ${ev.totalRows.toLocaleString('en-US')}` : ''} rows`.trim()); return; }
      const f = formatEvent(ev);
      if (f) { this.d.log.line(ev.task, f.level, f.text); if (ev.type === 'phase' || ev.type === 'log') progress(f.text); }
    });
    return events;
  }

  private async passwordsFor(ref: TaskRef): Promise<Passwords | undefined> {
    return this.d.vault.forTask(ref.task, true);
  }

  /** The task file a command argument names: a tree node, a Uri, a file path or a task name. */
  fileFromArg(arg: unknown): string | undefined {
    if (arg === undefined || arg === null) return undefined;
    if (typeof arg === 'string') {
      const byFile = this.d.index.find(arg);
      if (byFile) return byFile.file;
      return this.d.index.tasks().find((t) => t.task.name === arg)?.file;
    }
    if (typeof arg === 'object') {
      const o = arg as { kind?: string; entry?: { file: string }; file?: string; fsPath?: string };
      if ((o.kind === 'task' || o.kind === 'invalid') && o.entry) return o.entry.file;
      if ((o.kind === 'table' || o.kind === 'error') && typeof o.file === 'string') return o.file;
      if (typeof o.fsPath === 'string') return o.fsPath;
    }
    return undefined;
  }

  private taskFromArg(arg: unknown): TaskRef | undefined {
    const file = this.fileFromArg(arg);
    if (!file) return undefined;
    this.d.index.refresh();
    const entry = this.d.index.find(file);
    return entry?.ok ? { file: entry.file, task: entry.task } : undefined;
  }

  /** The task of the argument, else a QuickPick of the tasks whose state fits the command. */
  async resolveTask(arg: unknown, question: string, fits: (state: UiTaskState) => boolean = () => true): Promise<TaskRef | undefined> {
    const file = this.fileFromArg(arg);
    if (file) {
      const ref = this.taskFromArg(file);
      if (!ref) {
        const entry = this.d.index.find(file);
        await this.d.prompter.message('error', `Ferry: ${entry && !entry.ok ? entry.error : `no task file ${file}`}`);
      }
      return ref;
    }
    const candidates = this.d.index.tasks().filter((t) => fits(this.d.board.get(t.file)?.state ?? 'not_started'));
    if (candidates.length === 0) {
      await this.d.prompter.message('info', this.d.index.tasks().length === 0
        ? 'Ferry: no task files in .ferry/ yet — create one with "Ferry: New Migration Task".'
        : `Ferry: no task is in a state for this (${question.replace(/\?$/, '').toLowerCase()}).`);
      return undefined;
    }
    return this.d.prompter.pick(candidates.map((t) => ({
      label: t.task.name, description: this.d.board.get(t.file)?.state.replace('_', ' ') ?? 'not started', detail: `${t.task.source} → ${t.task.target}`, value: t,
    })), { title: `Ferry: ${question}` });
  }

  /** The connection of the argument (tree node, id or name), else a QuickPick of saved connections. */
  async resolveConnection(arg: unknown, question: string): Promise<ConnectionProfile | undefined> {
    if (typeof arg === 'string') {
      const p = this.d.store.get(arg) ?? this.d.store.list().find((c) => c.name === arg);
      if (p) return p;
    }
    if (typeof arg === 'object' && arg !== null) {
      // A tree node carries the profile; callers inside the extension pass the profile itself.
      const p = 'profile' in arg ? (arg as { profile: ConnectionProfile }).profile : arg as Partial<ConnectionProfile>;
      if (typeof p.id === 'string' && typeof p.host === 'string') return this.d.store.get(p.id) ?? p as ConnectionProfile;
    }
    const list = this.d.store.list();
    if (list.length === 0) {
      await this.d.prompter.message('info', 'Ferry: no connections yet — add one with "Ferry: New Connection".');
      return undefined;
    }
    return this.d.prompter.pick(list.map((c) => ({ label: c.name, description: `${c.engine} ${profileServer(c)}/${c.database}`, value: c })), { title: `Ferry: ${question}` });
  }
}
