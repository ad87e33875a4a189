// The Prompter on top of the real VS Code window: QuickPicks, InputBoxes, notifications, progress and
// read-only markdown reports (virtual documents of the `ferry-report` scheme).
import * as vscode from 'vscode';
import { redactSecrets } from '../engine/errors';
import type { InputOptions, MessageLevel, PickItem, PickOptions, Prompter, ProgressReporter } from './prompter';

export const REPORT_SCHEME = 'ferry-report';

/** Holds the text of report documents; VS Code reads them through this provider. */
export class ReportDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private seq = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  add(title: string, markdown: string): vscode.Uri {
    const safe = title.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'report';
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${safe}.md`, query: String(++this.seq) });
    this.texts.set(uri.toString(), markdown);
    return uri;
  }
}

function stepTitle(o: { title: string; step?: number; totalSteps?: number }): string {
  return o.step !== undefined && o.totalSteps !== undefined ? `${o.title} (${o.step}/${o.totalSteps})` : o.title;
}

export class VscodePrompter implements Prompter {
  constructor(private readonly reports: ReportDocuments) {}

  pick<T>(items: PickItem<T>[], options: PickOptions): Promise<T | undefined> {
    return this.quickPick(items, options, false).then((r) => r?.[0]);
  }

  pickMany<T>(items: PickItem<T>[], options: PickOptions): Promise<T[] | undefined> {
    return this.quickPick(items, options, true);
  }

  private quickPick<T>(items: PickItem<T>[], options: PickOptions, many: boolean): Promise<T[] | undefined> {
    return new Promise((resolve) => {
      type Item = vscode.QuickPickItem & { value: T };
      const qp = vscode.window.createQuickPick<Item>();
      qp.title = options.title;
      qp.step = options.step;
      qp.totalSteps = options.totalSteps;
      qp.placeholder = options.placeholder;
      qp.canSelectMany = many;
      qp.matchOnDescription = true;
      qp.matchOnDetail = options.matchOnDetail ?? false;
      qp.ignoreFocusOut = true;
      const list: Item[] = items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, picked: i.picked, value: i.value }));
      qp.items = list;
      if (many) qp.selectedItems = list.filter((i) => i.picked);
      let settled = false;
      qp.onDidAccept(() => {
        const chosen = many ? [...qp.selectedItems] : qp.activeItems.slice(0, 1);
        if (!many && chosen.length === 0) return;
        settled = true;
        resolve(chosen.map((i) => i.value));
        qp.hide();
      });
      qp.onDidHide(() => { if (!settled) resolve(undefined); qp.dispose(); });
      qp.show();
    });
  }

  async input(options: InputOptions): Promise<string | undefined> {
    return vscode.window.showInputBox({
      title: stepTitle(options),
      prompt: options.prompt,
      value: options.value,
      placeHolder: options.placeholder,
      password: options.password ?? false,
      ignoreFocusOut: true,
      validateInput: options.validate ? (v) => options.validate?.(v) ?? null : undefined,
    });
  }

  async message(level: MessageLevel, text: string, actions: string[] = [], modal = false): Promise<string | undefined> {
    const safe = redactSecrets(text);
    const show = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(safe, { modal }, ...actions);
  }

  progress<T>(title: string, work: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>): Promise<T> {
    return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (p, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
      return work(controller.signal, { report: (message, increment) => p.report({ message, increment }) });
    }));
  }

  async showReport(title: string, markdown: string): Promise<void> {
    const uri = this.reports.add(title, redactSecrets(markdown));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Active });
  }
}
