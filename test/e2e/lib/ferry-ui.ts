// Ferry-specific steps several scenarios share: answering the New Connection questions, choosing a task,
// and reading the task's row in the Tasks view.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadTask, type Task } from '../../../src/engine/task';
import type { DbServer } from './scenario';
import type { Workbench } from './workbench';

export interface ConnectionAnswers {
  engine: 'MySQL / MariaDB' | 'PostgreSQL';
  name: string;
  server: DbServer;
  database: string;
  /** What the user types into the password box (may be wrong on purpose). */
  password: string;
}

/**
 * Answers the New Connection questions (engine, name, host, port, user, database, TLS, password) in the
 * order the extension asks them, recognising each by its prompt, as a user reads them.
 */
export async function answerConnectionForm(wb: Workbench, a: ConnectionAnswers): Promise<void> {
  await wb.pick(/Database engine/i, a.engine);
  await wb.answerInput(/name for this connection/i, a.name);
  await wb.answerInput(/Host name or IP/i, a.server.host);
  await wb.answerInput(/\bPort\b/, String(a.server.port));
  await wb.answerInput(/User name/i, a.server.user);
  await wb.answerInput(/Default database|Database \(PostgreSQL/i, a.database);
  await wb.pick(/\bTLS\b/, 'Off');
  // The password box hides what is typed: the DOM must show an input of type password.
  await wb.waitForQuickInput(/Password/i);
  const type = await wb.quickInput.locator('.quick-input-box input').first().getAttribute('type');
  if (type !== 'password') throw new Error(`the password box shows the typed text (input type "${type}")`);
  await wb.answerInput(/Password/i, a.password);
}

export function taskFile(workspace: string, task: string): string {
  return path.join(workspace, '.ferry', `${task}.json`);
}

export function readTask(workspace: string, task: string): { task: Task; text: string } {
  const file = taskFile(workspace, task);
  return { task: loadTask(file), text: readFileSync(file, 'utf8') };
}

/** Runs a task command from the palette and answers "which task?" when the extension asks. */
export async function runTaskCommand(wb: Workbench, title: string, task: string): Promise<void> {
  await wb.runCommand(title);
  const asked = await wb.waitForQuickInput(/which task|Ferry: .*\?/i, 10_000).then(() => true, () => false);
  if (asked) await wb.pick(/which task|Ferry: .*\?/i, task);
}

/** Polls the task's row in the Tasks view until its text matches `want`; returns the texts seen, in order. */
export async function waitForTaskRow(wb: Workbench, task: string, want: RegExp, opts: { timeout: number; fail?: RegExp; onChange?: (text: string) => Promise<void> }): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + opts.timeout;
  while (Date.now() < deadline) {
    const row = (await wb.treeRows('Tasks')).find((r) => r.startsWith(task));
    if (row && row !== seen[seen.length - 1]) {
      seen.push(row);
      await opts.onChange?.(row);
    }
    if (row && want.test(row)) return seen;
    if (row && opts.fail?.test(row)) throw new Error(`the task row shows "${row}" while waiting for ${want}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the ${task} row did not show ${want} within ${opts.timeout / 1000} s; it showed: ${seen.join(' → ') || 'nothing'}`);
}
