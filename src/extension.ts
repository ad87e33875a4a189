// Extension entry: wires the engine to the UI pieces of src/ui (trees, commands, output, status bar).
import * as vscode from 'vscode';
import { TaskError } from './engine/errors';
import { FerryCommands } from './ui/commands';
import { ConnectionStore } from './ui/connections';
import { ConnectionsTreeProvider } from './ui/connections-tree';
import { realEngine } from './ui/engine-api';
import { PasswordVault } from './ui/passwords';
import { SchemaPanel } from './ui/schema-panel';
import { readSettings } from './ui/settings';
import { TaskStatusBar } from './ui/status-bar';
import type { TaskHandle } from './ui/task-handle';
import { TASKS_DIR, TaskIndex, readTaskFile } from './ui/task-files';
import { TaskLog } from './ui/task-log';
import { TaskBoard, viewFromStatus } from './ui/task-monitor';
import { TaskRuns } from './ui/task-runs';
import { TasksTreeProvider } from './ui/tasks-tree';
import { REPORT_SCHEME, ReportDocuments, VscodePrompter } from './ui/vscode-prompter';
import { restoreState } from '../webview/review-state';

let runs: TaskRuns | undefined;

export function activate(context: vscode.ExtensionContext): { commands: FerryCommands } {
  const channel = vscode.window.createOutputChannel('Ferry', { log: true });
  const settings = () => readSettings(vscode.workspace.getConfiguration('ferry'));
  const log = new TaskLog(channel, () => { const s = settings(); return { level: s.logLevel, intervalSeconds: s.progressLogIntervalSeconds }; });
  const engine = realEngine();
  const reports = new ReportDocuments();
  const prompter = new VscodePrompter(reports);
  const store = new ConnectionStore(context.globalState, context.secrets);
  const vault = new PasswordVault(store, context.secrets, prompter);
  const folders = () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const index = new TaskIndex(folders);
  const board = new TaskBoard();
  runs = new TaskRuns(engine, context.workspaceState, board, log);
  const taskRuns = runs;

  const connectionsTree = new ConnectionsTreeProvider(store, engine);
  const tasksTree = new TasksTreeProvider(index, board);

  const handle = (file: string, task: TaskHandle['task']): TaskHandle => ({
    uri: vscode.Uri.file(file),
    task,
    log: channel,
    passwords: async () => {
      const p = await vault.forTask(task, true);
      if (!p) throw new Error('cancelled');
      return p;
    },
    reload: async () => {
      index.refresh();
      const entry = readTaskFile(file);
      if (!entry.ok) throw new TaskError(entry.error);
      return entry.task;
    },
  });

  const commands = new FerryCommands({
    engine, store, vault, prompter, index, board, runs: taskRuns, log, settings,
    folder: () => folders()[0],
    hooks: {
      openFile: async (file) => { await vscode.window.showTextDocument(vscode.Uri.file(file)); },
      showLog: () => channel.show(true),
      showSchemaPanel: async (file, task) => { await SchemaPanel.show(context, handle(file, task)); },
      connectionTested: (profile, result) => connectionsTree.noteTest(profile.id, result),
    },
  });

  // Every command reports its failure as an actionable notification instead of a silent rejection.
  const register = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        await commands.reportError(err);
        return undefined;
      }
    });

  const watchers = folders().map((f) => vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(f, `${TASKS_DIR}/*.json`)));
  for (const w of watchers) {
    w.onDidCreate(() => index.refresh());
    w.onDidChange(() => index.refresh());
    w.onDidDelete(() => index.refresh());
  }

  context.subscriptions.push(
    channel,
    ...watchers,
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports),
    vscode.window.createTreeView('ferry.connections', { treeDataProvider: connectionsTree, showCollapseAll: true }),
    vscode.window.createTreeView('ferry.tasks', { treeDataProvider: tasksTree }),
    new TaskStatusBar(board),
    vscode.workspace.onDidChangeWorkspaceFolders(() => index.refresh()),
    register('ferry.newConnection', (a) => commands.newConnection(a as never)),
    register('ferry.editConnection', (a) => commands.editConnection(a)),
    register('ferry.testConnection', (a) => commands.testConnection(a)),
    register('ferry.removeConnection', (a) => commands.removeConnection(a)),
    register('ferry.duplicateConnection', (a) => commands.duplicateConnection(a)),
    register('ferry.updatePassword', (a, side) => commands.updatePassword(a, side === 'source' || side === 'target' ? side : undefined)),
    register('ferry.newTask', () => commands.newTask()),
    register('ferry.precheck', (a) => commands.precheck(a)),
    register('ferry.start', (a, o) => commands.start(a, (o ?? {}) as { until?: 'full' | 'caught-up'; force?: boolean })),
    register('ferry.pause', (a) => commands.pause(a)),
    register('ferry.resume', (a) => commands.resume(a)),
    register('ferry.stop', (a) => commands.stop(a)),
    register('ferry.verify', (a, o) => commands.verify(a, (o ?? {}) as { repair?: boolean })),
    register('ferry.cutover', (a, o) => commands.cutover(a, (o ?? {}) as { readOnlySource?: boolean })),
    register('ferry.showSchemaConversion', (a) => commands.showSchemaConversion(a)),
    register('ferry.openTaskFile', (a) => commands.openTaskFile(a)),
    register('ferry.showLog', () => commands.showLog()),
    register('ferry.refresh', () => { commands.refresh(); connectionsTree.refresh(); void loadStatuses(); }),
    // After a window reload VS Code hands back the open schema panels with the page's saved state, which names
    // the task file; a panel whose task file is gone or broken closes with a line in the log.
    vscode.window.registerWebviewPanelSerializer(SchemaPanel.viewType, {
      deserializeWebviewPanel: async (panel, saved: unknown) => {
        const uri = restoreState(saved).taskFile;
        const file = uri && vscode.Uri.parse(uri).scheme === 'file' ? vscode.Uri.parse(uri).fsPath : undefined;
        const entry = file ? readTaskFile(file) : undefined;
        if (!file || !entry?.ok) {
          panel.dispose();
          log.line(undefined, 'info', `schema panel not restored: ${!file ? 'its saved state names no task file' : `${file}: ${entry && !entry.ok ? entry.error : ''}`}`);
          return;
        }
        SchemaPanel.revive(panel, context, handle(file, entry.task));
      },
    }),
  );

  /** Shows the ferry_meta status of tasks not running here — only where both passwords are stored (never prompts). */
  async function loadStatuses(): Promise<void> {
    for (const { file, task } of index.tasks()) {
      if (taskRuns.isRunning(file)) continue;
      const passwords = await vault.forTask(task, false);
      if (!passwords || passwords.source === undefined || passwords.target === undefined) continue;
      try {
        const status = await engine.taskStatus(task, passwords);
        if (!taskRuns.isRunning(file)) board.set(file, { ...viewFromStatus(status), name: task.name });
      } catch (err) {
        log.line(task.name, 'debug', `status not available: ${(err as Error).message}`);
      }
    }
    for (const r of taskRuns.remembered()) {
      if (r.state === 'paused' && !taskRuns.isRunning(r.file)) board.setState(r.file, r.name, 'paused');
    }
  }

  /** Offers to resume the tasks that were running when VS Code closed. */
  async function offerResume(): Promise<void> {
    const remembered = taskRuns.remembered().filter((r) => r.state === 'running' && index.find(r.file)?.ok);
    if (remembered.length === 0) return;
    const mode = settings().resumeOnStartup;
    if (mode === 'never') return;
    const names = remembered.map((r) => r.name).join(', ');
    const answer = mode === 'always' ? 'Resume' : await prompter.message('info',
      `Ferry: ${remembered.length === 1 ? 'task' : 'tasks'} ${names} ${remembered.length === 1 ? 'was' : 'were'} running when VS Code closed. Resume from the checkpoint?`, ['Resume', 'Not now']);
    if (answer === 'Resume') {
      for (const r of remembered) await commands.start(r.file);
    } else {
      for (const r of remembered) board.setState(r.file, r.name, 'stopped');
    }
  }

  log.line(undefined, 'info', `Ferry activated; ${index.all().length} task file(s) in ${TASKS_DIR}/`);
  void loadStatuses().then(offerResume).catch((err) => log.line(undefined, 'error', (err as Error).message));
  return { commands };
}

/** VS Code is closing: running tasks are aborted at a checkpoint and stay remembered for resume. */
export async function deactivate(): Promise<void> {
  await runs?.shutdown();
}
