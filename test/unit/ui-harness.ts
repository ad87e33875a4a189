// Builds the extension's command layer headless: real engine, in-memory Memento/SecretStorage, a
// scripted Prompter and a temporary workspace folder.
import './ui-fakes';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryCommands } from '../../src/ui/commands';
import { ConnectionStore } from '../../src/ui/connections';
import { realEngine } from '../../src/ui/engine-api';
import { PasswordVault } from '../../src/ui/passwords';
import { DEFAULT_SETTINGS, type FerrySettings } from '../../src/ui/settings';
import { TaskIndex } from '../../src/ui/task-files';
import { TaskLog } from '../../src/ui/task-log';
import { TaskBoard } from '../../src/ui/task-monitor';
import { TaskRuns } from '../../src/ui/task-runs';
import { MemoryLog, MemoryMemento, MemorySecrets, ScriptedPrompter } from './ui-fakes';

export interface Harness {
  commands: FerryCommands;
  prompter: ScriptedPrompter;
  store: ConnectionStore;
  globalState: MemoryMemento;
  workspaceState: MemoryMemento;
  secrets: MemorySecrets;
  log: MemoryLog;
  board: TaskBoard;
  runs: TaskRuns;
  index: TaskIndex;
  folder: string;
  settings: FerrySettings;
  opened: string[];
  schemaPanels: string[];
  cleanup(): void;
}

export function makeHarness(settings: Partial<FerrySettings> = {}): Harness {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'ferry-ui-'));
  const globalState = new MemoryMemento();
  const workspaceState = new MemoryMemento();
  const secrets = new MemorySecrets();
  const prompter = new ScriptedPrompter();
  const log = new MemoryLog();
  const s = { ...DEFAULT_SETTINGS, ...settings };
  const taskLog = new TaskLog(log, () => ({ level: 'debug', intervalSeconds: s.progressLogIntervalSeconds }));
  const engine = realEngine();
  const store = new ConnectionStore(globalState, secrets);
  const vault = new PasswordVault(store, secrets, prompter);
  const index = new TaskIndex(() => [folder]);
  const board = new TaskBoard();
  const runs = new TaskRuns(engine, workspaceState, board, taskLog);
  const opened: string[] = [];
  const schemaPanels: string[] = [];
  const commands = new FerryCommands({
    engine, store, vault, prompter, index, board, runs, log: taskLog, settings: () => s, folder: () => folder,
    hooks: { openFile: async (f) => { opened.push(f); }, showLog: () => undefined, showSchemaPanel: async (f) => { schemaPanels.push(f); } },
  });
  return { commands, prompter, store, globalState, workspaceState, secrets, log, board, runs, index, folder, settings: s, opened, schemaPanels,
    cleanup: () => rmSync(folder, { recursive: true, force: true }) };
}
