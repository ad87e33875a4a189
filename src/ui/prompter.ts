// The questions, notifications and progress the UI shows, as an interface: commands and the wizard are
// written against it, vscode-prompter.ts implements it with the real window, tests script it.

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  /** Pre-selected in a multi-select. */
  picked?: boolean;
  value: T;
}

export interface PickOptions {
  title: string;
  placeholder?: string;
  /** "step/total" of a multi-step flow, shown in the title bar. */
  step?: number;
  totalSteps?: number;
  /** Let the user search the detail line too. */
  matchOnDetail?: boolean;
}

export interface InputOptions {
  title: string;
  prompt?: string;
  value?: string;
  placeholder?: string;
  /** Hide what is typed (passwords). */
  password?: boolean;
  step?: number;
  totalSteps?: number;
  /** A message for an unacceptable value, undefined when it is fine. */
  validate?: (value: string) => string | undefined;
}

export type MessageLevel = 'info' | 'warning' | 'error';

export interface ProgressReporter {
  report(message: string, increment?: number): void;
}

export interface Prompter {
  /** One choice, or undefined when the user dismissed the question. */
  pick<T>(items: PickItem<T>[], options: PickOptions): Promise<T | undefined>;
  /** Several choices, or undefined when dismissed. */
  pickMany<T>(items: PickItem<T>[], options: PickOptions): Promise<T[] | undefined>;
  input(options: InputOptions): Promise<string | undefined>;
  /** A notification; resolves with the action button chosen, if any. `modal` asks in a dialog. */
  message(level: MessageLevel, text: string, actions?: string[], modal?: boolean): Promise<string | undefined>;
  /** A cancellable progress notification; the AbortSignal fires when the user cancels. */
  progress<T>(title: string, work: (signal: AbortSignal, progress: ProgressReporter) => Promise<T>): Promise<T>;
  /** Opens a read-only report (markdown) beside the editor. */
  showReport(title: string, markdown: string): Promise<void>;
}
