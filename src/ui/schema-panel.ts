// The schema-conversion panel host: one webview panel per task, calling the engine for the page
// (webview/main.ts) over the typed protocol of webview/protocol.ts.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { applySchema, convertTask, validateDdl, type Passwords } from '../engine/api';
import type { ConversionReport } from '../engine/convert/types';
import { FerryError, redactSecrets } from '../engine/errors';
import { TaskEvents, type FerryEvent } from '../engine/events';
import type { Task } from '../engine/task';
import { renderPanelHtml } from '../../webview/page-html';
import { applyResultsForPage, type BusyAction, type HostMessage, objectsForPage, type OverrideChange, parseWebviewMessage, type WebviewMessage } from '../../webview/protocol';
import { saveOverrides } from './overrides';
import type { TaskHandle } from './task-handle';

/** A failure as the page shows it: the message and, for FerryErrors, what to do about it; never a password. */
function describe(err: unknown): { error: string; fix?: string } {
  if (err instanceof FerryError) return { error: redactSecrets(err.message), fix: err.fix };
  const message = err instanceof Error ? err.message : String(err);
  return { error: redactSecrets(message) };
}

function oneLine(err: unknown): string {
  const d = describe(err);
  return d.fix ? `${d.error} — ${d.fix}` : d.error;
}

export class SchemaPanel implements vscode.Disposable {
  static readonly viewType = 'ferry.schemaConversion';
  private static readonly panels = new Map<string, SchemaPanel>();

  /** Shows the task's panel, creating it on first use (one panel per task file). */
  static show(context: vscode.ExtensionContext, task: TaskHandle): SchemaPanel {
    const key = task.uri.toString();
    const existing = SchemaPanel.panels.get(key);
    if (existing) {
      existing.handle = task;
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(SchemaPanel.viewType, `Schema: ${task.task.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      // The page keeps its own state with getState/setState; a hidden panel costs no memory.
      retainContextWhenHidden: false,
      enableFindWidget: true,
      localResourceRoots: SchemaPanel.resourceRoots(context),
    });
    return SchemaPanel.adopt(panel, context, task);
  }

  /**
   * Takes over a panel VS Code restored after a window reload (registerWebviewPanelSerializer): the page's
   * saved state names its task file; drafts and selection come back with the state.
   */
  static revive(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, task: TaskHandle): SchemaPanel {
    const existing = SchemaPanel.panels.get(task.uri.toString());
    if (existing) {
      // The task's panel is open already: one panel per task file.
      panel.dispose();
      existing.panel.reveal();
      return existing;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: SchemaPanel.resourceRoots(context) };
    panel.title = `Schema: ${task.task.name}`;
    return SchemaPanel.adopt(panel, context, task);
  }

  private static resourceRoots(context: vscode.ExtensionContext): vscode.Uri[] {
    return [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')];
  }

  private static adopt(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, task: TaskHandle): SchemaPanel {
    const created = new SchemaPanel(panel, context, task);
    SchemaPanel.panels.set(task.uri.toString(), created);
    return created;
  }

  /** The panel of a task file, when open. */
  static of(uri: vscode.Uri): SchemaPanel | undefined {
    return SchemaPanel.panels.get(uri.toString());
  }

  private readonly disposables: vscode.Disposable[] = [];
  private readonly aborts = new Set<AbortController>();
  private report: ConversionReport | undefined;
  private task: Task;
  private converting: Promise<void> | undefined;
  /** Save and Apply run one after the other: both write (the task file, the target). */
  private writes: Promise<void> = Promise.resolve();
  /** The text this panel last wrote, so the file watcher does not report our own save as an outside change. */
  private lastWritten: string | undefined;
  /** Results that arrived while the page was hidden (and so not listening); sent when it is back. */
  private undelivered: HostMessage[] = [];
  private disposed = false;
  /** Work in progress, re-announced to a page that comes back from hidden (it lost the earlier messages). */
  private readonly running = new Set<BusyAction>();
  private validating = 0;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private handle: TaskHandle,
  ) {
    this.task = handle.task;
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)),
    );
    this.watchTaskFile();
  }

  private get name(): string {
    return this.task.name;
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...parts)).toString();
    return renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64url'),
      scriptUri: asset('dist', 'webview.js'),
      styleUri: asset('media', 'webview.css'),
      title: `Schema conversion — ${this.task.name}`,
      taskFile: this.handle.uri.toString(),
    });
  }

  private watchTaskFile(): void {
    const uri = this.handle.uri;
    const base = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), base));
    const changed = async () => {
      try {
        const text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(this.handle.uri));
        if (text === this.lastWritten) return;
      } catch {
        // Deleted or unreadable: the page offers Reload, which reports the precise reason.
      }
      this.post({ type: 'taskFileChanged' }, true);
    };
    this.disposables.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed));
  }

  /** Sends a message; results for a hidden page are kept and sent once it is back. */
  private post(message: HostMessage, keepIfHidden = false): void {
    if (this.disposed) return;
    if (keepIfHidden && !this.panel.visible) {
      this.undelivered.push(message);
      return;
    }
    void this.panel.webview.postMessage(message).then((delivered) => {
      if (!delivered && keepIfHidden) this.undelivered.push(message);
    });
  }

  private busy(action: BusyAction, busy: boolean, detail?: string): void {
    if (busy) this.running.add(action);
    else this.running.delete(action);
    this.post({ type: 'busy', action, busy, detail });
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.handle.log.warn(`[${this.name}] schema panel: ignored a malformed message from the page: ${parsed.reason}`);
      return;
    }
    this.dispatch(parsed.message).catch((err: unknown) => this.handle.log.error(`[${this.name}] schema panel: ${oneLine(err)}`));
  }

  private async dispatch(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (this.report) this.postReport(this.report);
        else await this.convert();
        for (const action of this.running) this.post({ type: 'busy', action, busy: true });
        for (const m of this.undelivered.splice(0)) this.post(m, true);
        return;
      case 'reload':
        await this.convert();
        return;
      case 'validate':
        await this.validate(message.objectId, message.ddl);
        return;
      case 'save':
        await this.serialized(() => this.save(message.changes).then(() => undefined));
        return;
      case 'apply':
        await this.serialized(() => this.apply(message.changes));
        return;
      case 'openTaskFile':
        await vscode.window.showTextDocument(this.handle.uri, { viewColumn: vscode.ViewColumn.Beside, preview: false });
        return;
    }
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async passwords(): Promise<Passwords> {
    try {
      return await this.handle.passwords();
    } catch (err) {
      throw new FerryError('PASSWORD_NEEDED', `no password given (${describe(err).error})`, {
        fix: 'enter the source and target passwords when asked; they are kept in VS Code\'s secret storage',
      });
    }
  }

  private postReport(report: ConversionReport): void {
    const objects = objectsForPage(report.objects);
    const ids = new Set(objects.map((o) => o.id));
    this.post({
      type: 'report',
      taskName: this.task.name,
      sourceEngine: report.sourceEngine,
      targetEngine: report.targetEngine,
      objects,
      savedOverrides: this.task.schemaOverrides,
      orphanOverrides: Object.keys(this.task.schemaOverrides).filter((id) => !ids.has(id)),
    });
  }

  /** Converts the task's schema afresh (re-reading the task file) and sends the report. */
  private convert(): Promise<void> {
    if (this.converting) return this.converting;
    this.converting = (async () => {
      this.busy('convert', true);
      try {
        this.task = await this.handle.reload();
        const passwords = await this.passwords();
        const report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `Ferry: converting the schema of ${this.task.name}` },
          () => convertTask(this.task, passwords),
        );
        this.report = report;
        this.handle.log.info(`[${this.name}] schema converted: ${report.objects.length} objects, ${report.warnings.length} warnings`);
        this.postReport(report);
      } catch (err) {
        this.handle.log.error(`[${this.name}] schema conversion failed: ${oneLine(err)}`);
        this.post({ type: 'conversionFailed', ...describe(err) });
      } finally {
        this.busy('convert', false);
        this.converting = undefined;
      }
    })();
    return this.converting;
  }

  private async validate(objectId: string, ddl: string): Promise<void> {
    // Validations of several objects can overlap: the toolbar shows Validating… until the last one ends.
    this.validating++;
    this.busy('validate', true);
    try {
      const result = await validateDdl(this.task, await this.passwords(), objectId, ddl);
      this.post(result.ok ? { type: 'validationResult', objectId, ddl, ok: true } : { type: 'validationResult', objectId, ddl, ok: false, error: redactSecrets(result.error) }, true);
    } catch (err) {
      // Could not validate at all (connection, unknown object): shown at the object like a server error.
      this.post({ type: 'validationResult', objectId, ddl, ok: false, error: `could not validate: ${oneLine(err)}` }, true);
    } finally {
      if (--this.validating === 0) this.busy('validate', false);
    }
  }

  /** Writes the changes into the task file; false when nothing could be saved. */
  private async save(changes: OverrideChange[]): Promise<boolean> {
    if (changes.length === 0) return true;
    if (!this.report) {
      this.post({ type: 'saveFailed', error: 'the schema is not converted yet; wait for the conversion (or Reconvert) and save again' }, true);
      return false;
    }
    const uri = this.handle.uri;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) {
      this.post({ type: 'saveFailed', error: 'the task file has unsaved changes in an editor: save or revert them there, then save here again' }, true);
      return false;
    }
    this.busy('save', true);
    try {
      // Per id as the page edits it (an object rendered in several phases is one text).
      const generated = new Map(objectsForPage(this.report.objects).map((o) => [o.id, o.generatedDdl]));
      const result = await saveOverrides(vscode.workspace.fs, uri, changes, generated);
      if (result.written) this.lastWritten = result.text;
      this.task = await this.handle.reload();
      const m = result.merge;
      if (result.written) {
        this.handle.log.info(`[${this.name}] schema overrides saved: ${m.added.length} added, ${m.changed.length} changed, ${m.removed.length} reverted to generated`);
      }
      for (const r of m.rejected) this.handle.log.warn(`[${this.name}] override not saved: ${r.reason}`);
      this.post({ type: 'saved', savedOverrides: this.task.schemaOverrides, rejected: m.rejected }, true);
      return m.rejected.length === 0;
    } catch (err) {
      this.handle.log.error(`[${this.name}] saving schema overrides failed: ${oneLine(err)}`);
      this.post({ type: 'saveFailed', error: oneLine(err) }, true);
      return false;
    } finally {
      this.busy('save', false);
    }
  }

  /** Saves pending edits (the task file then holds exactly what is applied), then applies the schema. */
  private async apply(changes: OverrideChange[]): Promise<void> {
    if (!(await this.save(changes))) {
      this.post({ type: 'applyFailed', error: 'not applied, because the edits could not be saved first' }, true);
      return;
    }
    const abort = new AbortController();
    this.aborts.add(abort);
    this.busy('apply', true);
    const events = new TaskEvents(this.task.name);
    const stopLogging = events.on((e) => this.logEvent(e));
    try {
      const passwords = await this.passwords();
      const results = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Ferry: applying the schema of ${this.task.name} to the target`, cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          const stopProgress = events.onType('log', (e) => progress.report({ message: e.message }));
          return applySchema(this.task, passwords, events, abort.signal).finally(stopProgress);
        },
      );
      const perObject = applyResultsForPage(results).map((r) => (r.error === undefined ? r : { ...r, error: redactSecrets(r.error) }));
      const failed = perObject.filter((r) => !r.ok).length;
      this.handle.log.info(`[${this.name}] schema applied: ${perObject.length - failed} objects ok, ${failed} failed`);
      this.post({ type: 'applyResult', results: perObject }, true);
    } catch (err) {
      this.handle.log.error(`[${this.name}] applying the schema failed: ${oneLine(err)}`);
      this.post({ type: 'applyFailed', error: oneLine(err) }, true);
    } finally {
      stopLogging();
      this.aborts.delete(abort);
      this.busy('apply', false);
    }
  }

  private logEvent(e: FerryEvent): void {
    const log = this.handle.log;
    const prefix = `[${this.name}]`;
    if (e.type === 'log') log.info(`${prefix} ${e.message}`);
    else if (e.type === 'warning') log.warn(`${prefix} ${e.object ? `${e.object}: ` : ''}${e.message}${e.fix ? ` — ${e.fix}` : ''}`);
    else if (e.type === 'error') log.error(`${prefix} ${e.message}${e.fix ? ` — ${e.fix}` : ''}`);
    else if (e.type === 'phase') log.info(`${prefix} phase ${e.phase} ${e.status}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const a of this.aborts) a.abort();
    SchemaPanel.panels.delete(this.handle.uri.toString());
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
