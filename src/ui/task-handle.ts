// TaskHandle: what the extension hands to a task's UI pieces (the schema-conversion panel of
// src/ui/schema-panel.ts gets one from `ferry.showSchemaConversion`).
import type * as vscode from 'vscode';
import type { Task } from '../engine/task';
import type { Passwords } from './engine-api';

export interface TaskHandle {
  /** The task file (`.ferry/<name>.json`). */
  uri: vscode.Uri;
  /** The task as loaded when the handle was made; call reload() for the file's current content. */
  task: Task;
  /**
   * Both passwords from SecretStorage; asks the user (hidden input box) for a missing one and stores it.
   * Rejects with an Error('cancelled') when the user dismisses the question.
   */
  passwords(): Promise<Passwords>;
  /** The "Ferry" output channel; prefix lines with `[<task name>]`. */
  log: vscode.LogOutputChannel;
  /** Re-reads and validates the task file (e.g. after writing schemaOverrides) and returns it. */
  reload(): Promise<Task>;
}
