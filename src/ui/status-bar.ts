// The status-bar summary of running tasks: how many run, the worst lag; a click focuses the Tasks view.
import * as vscode from 'vscode';
import type { TaskBoard, TaskView } from './task-monitor';
import { formatSeconds } from './task-monitor';

export interface StatusSummary {
  visible: boolean;
  text: string;
  tooltip: string;
}

/** What the status bar shows for the given task views. */
export function statusSummary(views: TaskView[]): StatusSummary {
  const running = views.filter((v) => v.state === 'running' || v.state === 'caught_up');
  const failed = views.filter((v) => v.state === 'failed');
  if (running.length === 0 && failed.length === 0) return { visible: false, text: '', tooltip: '' };
  const lags = running.filter((v) => v.lag !== undefined && (v.phase === 'incremental' || v.state === 'caught_up')).map((v) => v.lag?.seconds ?? 0);
  const worst = lags.length > 0 ? Math.max(...lags) : undefined;
  const icon = failed.length > 0 ? '$(error)' : running.some((v) => v.state === 'running') ? '$(sync~spin)' : '$(pass)';
  const parts = [`${running.length} running`];
  if (worst !== undefined) parts.push(`lag ${formatSeconds(worst)}`);
  if (failed.length > 0) parts.push(`${failed.length} failed`);
  const tooltip = [...running, ...failed].map((v) => `${v.name}: ${v.state.replace('_', ' ')}${v.lag ? `, lag ${formatSeconds(v.lag.seconds)}` : ''}`).join('\n');
  return { visible: true, text: `${icon} Ferry: ${parts.join(' · ')}`, tooltip: `${tooltip}\n\nClick to show the Ferry tasks` };
}

export class TaskStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ferry.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: { dispose(): void };

  constructor(private readonly board: TaskBoard) {
    this.item.name = 'Ferry tasks';
    this.item.command = 'ferry.tasks.focus';
    this.subscription = board.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const s = statusSummary(this.board.all().map(([, v]) => v));
    this.item.text = s.text;
    this.item.tooltip = s.tooltip;
    if (s.visible) this.item.show(); else this.item.hide();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
