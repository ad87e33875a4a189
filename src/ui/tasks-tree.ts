// The Tasks view: every `.ferry/*.json` with its state, phase, progress and lag, and a child per table.
import path from 'node:path';
import * as vscode from 'vscode';
import type { TaskFileEntry, TaskIndex } from './task-files';
import { type TableView, type TaskBoard, type TaskView, STATE_LABELS, type UiTaskState, describeTable, describeView, emptyView, formatCount, formatSeconds } from './task-monitor';

export type TaskNode =
  | { kind: 'task'; entry: Extract<TaskFileEntry, { ok: true }> }
  | { kind: 'invalid'; entry: Extract<TaskFileEntry, { ok: false }> }
  | { kind: 'table'; file: string; table: TableView }
  | { kind: 'error'; file: string; message: string; fix?: string };

const STATE_ICONS: Record<UiTaskState, [string, string?]> = {
  not_started: ['circle-outline'],
  running: ['sync~spin', 'charts.blue'],
  paused: ['debug-pause', 'charts.yellow'],
  stopped: ['debug-stop'],
  failed: ['error', 'errorForeground'],
  caught_up: ['pass', 'charts.green'],
  switched: ['check-all', 'charts.green'],
  finished: ['pass-filled', 'charts.green'],
};

/** contextValue of a task item: `task:<state>` — package.json `when` clauses match on it. */
export function taskContextValue(state: UiTaskState): string {
  return `task:${state}`;
}

export function taskTooltip(file: string, view: TaskView): string {
  const lines = [`**${view.name}** — ${STATE_LABELS[view.state]}`, '', `File: \`${file}\``];
  if (view.phase !== 'none') lines.push(`Phase: ${view.phase}`);
  const desc = describeView(view);
  lines.push(`Status: ${desc}`);
  if (view.lag) lines.push(`Lag: ${formatSeconds(view.lag.seconds)}, ${formatCount(view.lag.queuedTransactions)} transactions queued${view.lag.position ? `, at ${view.lag.position}` : ''}`);
  if (view.warnings > 0) lines.push(`Warnings: ${view.warnings}`);
  if (view.lastError) lines.push(`Last error: ${view.lastError.message}${view.lastError.fix ? ` — fix: ${view.lastError.fix}` : ''}`);
  if (view.updatedAt) lines.push(`Updated: ${view.updatedAt}`);
  return lines.join('\n\n');
}

export class TasksTreeProvider implements vscode.TreeDataProvider<TaskNode> {
  private readonly emitter = new vscode.EventEmitter<TaskNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly index: TaskIndex, private readonly board: TaskBoard) {
    index.onDidChange(() => this.refresh());
    // Progress events arrive many times a second; the tree is redrawn at most every 500 ms.
    board.onDidChange(() => this.refreshSoon());
  }

  refresh(): void {
    if (this.pending) { clearTimeout(this.pending); this.pending = undefined; }
    this.emitter.fire(undefined);
  }

  private refreshSoon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => { this.pending = undefined; this.emitter.fire(undefined); }, 500);
  }

  viewOf(file: string, name: string): TaskView {
    return this.board.get(file) ?? emptyView(name);
  }

  getTreeItem(node: TaskNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.kind) {
      case 'task': {
        const view = this.viewOf(node.entry.file, node.entry.task.name);
        const hasChildren = view.tables.size > 0 || (view.state === 'failed' && view.lastError !== undefined);
        const item = new vscode.TreeItem(node.entry.task.name, hasChildren ? C.Collapsed : C.None);
        item.id = `task:${node.entry.file}`;
        item.description = describeView(view);
        item.tooltip = new vscode.MarkdownString(taskTooltip(node.entry.file, view));
        const [icon, color] = STATE_ICONS[view.state];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        item.contextValue = taskContextValue(view.state);
        item.resourceUri = vscode.Uri.file(node.entry.file);
        return item;
      }
      case 'invalid': {
        const item = new vscode.TreeItem(path.basename(node.entry.file), C.None);
        item.id = `task:${node.entry.file}`;
        item.description = 'invalid task file';
        item.tooltip = node.entry.error;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'taskInvalid';
        item.command = { command: 'ferry.openTaskFile', title: 'Open Task File', arguments: [node] };
        return item;
      }
      case 'table': {
        const t = node.table;
        const item = new vscode.TreeItem(t.table, C.None);
        item.id = `task:${node.file}/table:${t.table}`;
        item.description = describeTable(t);
        item.iconPath = new vscode.ThemeIcon(t.done ? 'check' : t.rowsCopied > 0 ? 'loading~spin' : 'table');
        item.contextValue = 'taskTable';
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(node.message.split('\n')[0], C.None);
        item.id = `task:${node.file}/error`;
        item.description = 'Show log';
        item.tooltip = node.fix ? `${node.message}\n\nFix: ${node.fix}` : node.message;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.contextValue = 'taskError';
        item.command = { command: 'ferry.showLog', title: 'Show Log', arguments: [node] };
        return item;
      }
    }
  }

  getChildren(node?: TaskNode): TaskNode[] {
    if (!node) {
      return this.index.all().map((entry) => (entry.ok ? { kind: 'task', entry } : { kind: 'invalid', entry }));
    }
    if (node.kind !== 'task') return [];
    const view = this.viewOf(node.entry.file, node.entry.task.name);
    const children: TaskNode[] = [];
    if (view.state === 'failed' && view.lastError) {
      children.push({ kind: 'error', file: node.entry.file, message: view.lastError.message, fix: view.lastError.fix });
    }
    for (const table of view.tables.values()) children.push({ kind: 'table', file: node.entry.file, table });
    return children;
  }

  getParent(node: TaskNode): TaskNode | undefined {
    if (node.kind === 'table' || node.kind === 'error') {
      const entry = this.index.find(node.file);
      return entry?.ok ? { kind: 'task', entry } : undefined;
    }
    return undefined;
  }
}
