// Test doubles of the VS Code surface the UI uses (the `vscode` module, Memento, SecretStorage) and a
// scripted Prompter. The engine behind them is real and talks to the test databases.
import Module from 'node:module';
import { EventEmitter as NodeEmitter } from 'node:events';
import type { InputOptions, MessageLevel, PickItem, PickOptions, Prompter, ProgressReporter } from '../../src/ui/prompter';

// ---- the `vscode` module -----------------------------------------------------------------------------
class TreeItem {
  id?: string; description?: string; tooltip?: unknown; iconPath?: unknown; contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] }; resourceUri?: unknown;
  constructor(public label: string, public collapsibleState = 0) {}
}
class ThemeIcon { constructor(public id: string, public color?: ThemeColor) {} }
class ThemeColor { constructor(public id: string) {} }
class MarkdownString { constructor(public value = '') {} }
class EventEmitter<T> {
  private readonly e = new NodeEmitter();
  fired: T[] = [];
  event = (l: (v: T) => void) => { this.e.on('x', l); return { dispose: () => this.e.off('x', l) }; };
  fire(v: T): void { this.fired.push(v); this.e.emit('x', v); }
  dispose(): void { this.e.removeAllListeners(); }
}
export class FakeStatusBarItem {
  text = ''; tooltip = ''; name = ''; command = ''; visible = false;
  show(): void { this.visible = true; }
  hide(): void { this.visible = false; }
  dispose(): void { this.visible = false; }
}
export const statusBarItems: FakeStatusBarItem[] = [];
const fakeVscode = {
  TreeItem, ThemeIcon, ThemeColor, MarkdownString, EventEmitter,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  Uri: { file: (fsPath: string) => ({ scheme: 'file', fsPath, toString: () => `file://${fsPath}` }) },
  window: { createStatusBarItem: () => { const i = new FakeStatusBarItem(); statusBarItems.push(i); return i; } },
};

const FAKE_ID = '/__ferry_fake_vscode__.js';
const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = M._resolveFilename;
M._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? FAKE_ID : original.call(this, request, ...rest);
};
const fakeModule = new Module(FAKE_ID);
fakeModule.filename = FAKE_ID;
fakeModule.loaded = true;
fakeModule.exports = fakeVscode;
require.cache[FAKE_ID] = fakeModule;

// ---- Memento / SecretStorage ---------------------------------------------------------------------------
export class MemoryMemento {
  readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined { return this.data.get(key) as T | undefined; }
  async update(key: string, value: unknown): Promise<void> { this.data.set(key, JSON.parse(JSON.stringify(value ?? null))); }
  /** What VS Code would persist (JSON), for grepping. */
  dump(): string { return JSON.stringify([...this.data.entries()]); }
}

export class MemorySecrets {
  readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> { return this.data.get(key); }
  async store(key: string, value: string): Promise<void> { this.data.set(key, value); }
  async delete(key: string): Promise<void> { this.data.delete(key); }
}

/** Collects what the UI writes to the LogOutputChannel. */
export class MemoryLog {
  readonly lines: { level: string; text: string }[] = [];
  trace(t: string): void { this.lines.push({ level: 'trace', text: t }); }
  debug(t: string): void { this.lines.push({ level: 'debug', text: t }); }
  info(t: string): void { this.lines.push({ level: 'info', text: t }); }
  warn(t: string): void { this.lines.push({ level: 'warn', text: t }); }
  error(t: string): void { this.lines.push({ level: 'error', text: t }); }
  text(): string { return this.lines.map((l) => `${l.level} ${l.text}`).join('\n'); }
}

// ---- scripted Prompter ---------------------------------------------------------------------------------
export type Question =
  | { kind: 'pick' | 'pickMany'; title: string; items: PickItem<unknown>[] }
  | { kind: 'input'; title: string; options: InputOptions };

export type Answer = (q: Question) => unknown;

/** Picks the first item whose label matches. */
export const choose = (label: RegExp): Answer => (q) => {
  if (q.kind !== 'pick') throw new Error(`expected a pick for ${label}, got ${q.kind} "${q.title}"`);
  const item = q.items.find((i) => label.test(i.label));
  if (!item) throw new Error(`no item ${label} in "${q.title}": ${q.items.map((i) => i.label).join(', ')}`);
  return item.value;
};
/** Picks the pre-selected items of a multi-select, optionally filtered. */
export const choosePicked = (filter: (label: string) => boolean = () => true): Answer => (q) => {
  if (q.kind !== 'pickMany') throw new Error(`expected a multi-select, got ${q.kind} "${q.title}"`);
  return q.items.filter((i) => i.picked && filter(i.label)).map((i) => i.value);
};
/** Types a value into an input box (validated like VS Code would); `undefined` keeps the proposed value. */
export const type = (text?: string): Answer => (q) => {
  if (q.kind !== 'input') throw new Error(`expected an input box, got ${q.kind} "${q.title}"`);
  const v = text ?? q.options.value ?? '';
  const problem = q.options.validate?.(v);
  if (problem) throw new Error(`input "${v}" rejected in "${q.title}": ${problem}`);
  return v;
};
export const dismiss: Answer = () => undefined;

export class ScriptedPrompter implements Prompter {
  readonly questions: Question[] = [];
  readonly messages: { level: MessageLevel; text: string; actions: string[] }[] = [];
  readonly reports: { title: string; markdown: string }[] = [];
  readonly progressTitles: string[] = [];
  /** Answers notifications; by default none is clicked. */
  onMessage: (level: MessageLevel, text: string, actions: string[]) => string | undefined = () => undefined;

  constructor(private readonly script: Answer[] = []) {}

  push(...answers: Answer[]): void { this.script.push(...answers); }
  remaining(): number { return this.script.length; }

  private next(q: Question): unknown {
    this.questions.push(q);
    const a = this.script.shift();
    if (!a) throw new Error(`unexpected question "${q.title}" (${q.kind}) — the script is empty`);
    return a(q);
  }

  async pick<T>(items: PickItem<T>[], options: PickOptions): Promise<T | undefined> {
    return this.next({ kind: 'pick', title: options.title, items }) as T | undefined;
  }
  async pickMany<T>(items: PickItem<T>[], options: PickOptions): Promise<T[] | undefined> {
    return this.next({ kind: 'pickMany', title: options.title, items }) as T[] | undefined;
  }
  async input(options: InputOptions): Promise<string | undefined> {
    return this.next({ kind: 'input', title: options.title, options }) as string | undefined;
  }
  async message(level: MessageLevel, text: string, actions: string[] = []): Promise<string | undefined> {
    this.messages.push({ level, text, actions });
    return this.onMessage(level, text, actions);
  }
  async progress<T>(title: string, work: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>): Promise<T> {
    this.progressTitles.push(title);
    return work(new AbortController().signal, { report: () => undefined });
  }
  async showReport(title: string, markdown: string): Promise<void> {
    this.reports.push({ title, markdown });
  }
}

/** Waits until `cond` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 60_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
