// Tasks running in the extension host: one engine TaskRunner and AbortController per run, several at
// once. Stop and Pause abort (the engine checkpoints); the tasks running when VS Code closes are
// remembered in workspaceState so the next start can offer to resume them.
import { type FerryError, asFerryError } from '../engine/errors';
import type { Task } from '../engine/task';
import type { StateStore } from './connections';
import type { EngineApi, Passwords } from './engine-api';
import type { TaskBoard } from './task-monitor';
import type { TaskLog } from './task-log';

export const RUNNING_KEY = 'ferry.runningTasks';

/** A task file remembered as running (or paused) in this workspace. */
export interface RememberedRun {
  file: string;
  name: string;
  state: 'running' | 'paused';
}

export type RunOutcome =
  | { kind: 'finished' }
  | { kind: 'paused' }
  | { kind: 'stopped' }
  /** VS Code is closing: the task stays remembered as running. */
  | { kind: 'shutdown' }
  | { kind: 'failed'; error: FerryError };

type StopReason = 'pause' | 'stop' | 'shutdown';

interface ActiveRun {
  task: Task;
  controller: AbortController;
  reason?: StopReason;
  done: Promise<RunOutcome>;
  unsubscribe: () => void;
}

export class TaskRuns {
  private readonly active = new Map<string, ActiveRun>();
  private readonly listeners = new Set<(file: string, outcome: RunOutcome) => void>();

  constructor(
    private readonly engine: EngineApi,
    private readonly workspaceState: StateStore,
    private readonly board: TaskBoard,
    private readonly log: TaskLog,
  ) {}

  isRunning(file: string): boolean {
    return this.active.has(file);
  }

  runningFiles(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Starts (or resumes: the engine continues from its ferry_meta checkpoint) a task. Resolves when the
   * run ends, with how it ended; the run's events go to the board and the log meanwhile.
   */
  start(file: string, task: Task, passwords: Passwords, opts: { until?: 'full' | 'caught-up'; force?: boolean } = {}): Promise<RunOutcome> {
    const existing = this.active.get(file);
    if (existing) return existing.done;
    const runner = this.engine.createRunner(task, passwords);
    const controller = new AbortController();
    const view = this.board.ensure(file, task.name);
    view.lastError = undefined;
    this.board.setState(file, task.name, 'running');
    this.log.reset(task.name);
    const off = runner.events.on((event) => this.log.event(event, this.board.apply(file, event)));
    const unsubscribe = () => { off(); };
    const run: ActiveRun = { task, controller, unsubscribe, done: undefined as unknown as Promise<RunOutcome> };
    run.done = this.drive(file, run, runner.run({ ...opts, signal: controller.signal }));
    this.active.set(file, run);
    void this.remember(file, task.name, 'running');
    this.log.line(task.name, 'info', `run started${opts.until ? ` (until ${opts.until})` : ''}`);
    return run.done;
  }

  private async drive(file: string, run: ActiveRun, running: Promise<void>): Promise<RunOutcome> {
    let outcome: RunOutcome;
    try {
      await running;
      outcome = run.reason ? { kind: outcomeOf(run.reason) } as RunOutcome : { kind: 'finished' };
    } catch (err) {
      // After an abort the engine may throw its CancelledError (or a driver's aborted-query error): the
      // user's reason decides what it means.
      outcome = run.reason ? { kind: outcomeOf(run.reason) } as RunOutcome : { kind: 'failed', error: asFerryError(err) };
    } finally {
      run.unsubscribe();
      this.active.delete(file);
    }
    const name = run.task.name;
    switch (outcome.kind) {
      case 'finished': {
        const v = this.board.get(file);
        // A run that ends by itself either finished its phases or reached the `until` it was given.
        const state = v?.state === 'switched' ? 'switched' : v?.state === 'caught_up' ? 'caught_up' : 'finished';
        this.board.setState(file, name, state);
        await this.forget(file);
        this.log.line(name, 'info', `run ended: ${state.replace('_', ' ')}`);
        break;
      }
      case 'paused':
        this.board.setState(file, name, 'paused');
        await this.remember(file, name, 'paused');
        this.log.line(name, 'info', 'paused; the checkpoint in ferry_meta is kept — Resume continues from it');
        break;
      case 'stopped':
        this.board.setState(file, name, 'stopped');
        await this.forget(file);
        this.log.line(name, 'info', 'stopped; Start resumes from the checkpoint in ferry_meta');
        break;
      case 'shutdown':
        this.log.line(name, 'info', 'interrupted because VS Code is closing; it will be offered for resume');
        break;
      case 'failed':
        this.board.setState(file, name, 'failed', { code: outcome.error.code, message: outcome.error.message, fix: outcome.error.fix, retryable: outcome.error.retryable });
        await this.forget(file);
        this.log.line(name, 'error', `run failed: ${outcome.error.oneLine()}`);
        break;
    }
    for (const l of this.listeners) l(file, outcome);
    return outcome;
  }

  /** Pauses a run: aborts it (the engine checkpoints) and keeps it remembered as paused. */
  pause(file: string): Promise<RunOutcome | undefined> {
    return this.halt(file, 'pause');
  }

  /** Stops a run: aborts it (the engine checkpoints); Start resumes it later. */
  stop(file: string): Promise<RunOutcome | undefined> {
    return this.halt(file, 'stop');
  }

  private halt(file: string, reason: StopReason): Promise<RunOutcome | undefined> {
    const run = this.active.get(file);
    if (!run) return Promise.resolve(undefined);
    run.reason ??= reason;
    this.log.line(run.task.name, 'info', `${reason === 'pause' ? 'pausing' : reason === 'stop' ? 'stopping' : 'interrupting'}…`);
    run.controller.abort(new Error(`${reason} requested by the user`));
    return run.done;
  }

  /** VS Code is closing: aborts every run, leaving them remembered as running. */
  async shutdown(timeoutMs = 8000): Promise<void> {
    const all = [...this.active.keys()].map((f) => this.halt(f, 'shutdown'));
    await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, timeoutMs).unref?.())]);
  }

  remembered(): RememberedRun[] {
    return this.workspaceState.get<RememberedRun[]>(RUNNING_KEY) ?? [];
  }

  onDidEnd(listener: (file: string, outcome: RunOutcome) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async forget(file: string): Promise<void> {
    await this.workspaceState.update(RUNNING_KEY, this.remembered().filter((r) => r.file !== file));
  }

  private async remember(file: string, name: string, state: RememberedRun['state']): Promise<void> {
    await this.workspaceState.update(RUNNING_KEY, [...this.remembered().filter((r) => r.file !== file), { file, name, state }]);
  }
}

function outcomeOf(reason: StopReason): 'paused' | 'stopped' | 'shutdown' {
  return reason === 'pause' ? 'paused' : reason === 'stop' ? 'stopped' : 'shutdown';
}
