// The engine calls the UI makes (src/engine/api.ts), gathered behind one interface so the UI can be
// driven headless in unit tests against the real engine and the real test databases.
import * as api from '../engine/api';
import type { ConnectionConfig } from '../engine/connection';
import type { TaskEvents } from '../engine/events';
import type { Task } from '../engine/task';

/** Same shape as the engine's `Passwords`: the passwords of a task's two sides. */
export type Passwords = { source?: string; target?: string };

/** What the UI needs of a `TaskRunner`: its event bus and a run that honours an AbortSignal. */
export interface TaskRun {
  readonly events: TaskEvents;
  run(opts?: { until?: 'full' | 'caught-up'; signal?: AbortSignal; force?: boolean }): Promise<void>;
}

export interface EngineApi {
  testConnection(cfg: ConnectionConfig, signal?: AbortSignal): Promise<api.ConnectionTestResult>;
  listDatabases(cfg: ConnectionConfig): Promise<string[]>;
  listTables(cfg: ConnectionConfig, database: string): Promise<api.TableInfo[]>;
  precheckTask(task: Task, passwords: Passwords, signal?: AbortSignal): Promise<api.CheckResult[]>;
  verifyTask(task: Task, passwords: Passwords, opts?: { repair?: boolean; signal?: AbortSignal; events?: TaskEvents }): Promise<api.VerifyReport>;
  cutoverTask(task: Task, passwords: Passwords, opts?: { readOnlySource?: boolean; signal?: AbortSignal; events?: TaskEvents }): Promise<api.CutoverReport>;
  taskStatus(task: Task, passwords: Passwords): Promise<api.TaskStatus>;
  createRunner(task: Task, passwords: Passwords): TaskRun;
}

/** The real engine (src/engine/api.ts). */
export function realEngine(): EngineApi {
  return {
    testConnection: (cfg, signal) => api.testConnection(cfg, signal),
    listDatabases: (cfg) => api.listDatabases(cfg),
    listTables: (cfg, database) => api.listTables(cfg, database),
    precheckTask: (task, passwords, signal) => api.precheckTask(task, passwords, signal),
    verifyTask: (task, passwords, opts) => api.verifyTask(task, passwords, opts),
    cutoverTask: (task, passwords, opts) => api.cutoverTask(task, passwords, opts),
    taskStatus: (task, passwords) => api.taskStatus(task, passwords),
    createRunner: (task, passwords) => new api.TaskRunner(task, passwords),
  };
}
