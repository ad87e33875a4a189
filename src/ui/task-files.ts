// Task files in a workspace folder's `.ferry/`: finding, reading (with the validation error kept for the
// tree) and writing with serializeTask, which never writes a password.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../engine/errors';
import { type Task, loadTask, serializeTask, validateTask } from '../engine/task';

export const TASKS_DIR = '.ferry';

export type TaskFileEntry =
  | { file: string; ok: true; task: Task }
  | { file: string; ok: false; error: string };

export function taskFilePath(folder: string, name: string): string {
  return path.join(folder, TASKS_DIR, `${name}.json`);
}

/** Reads one task file; a file that does not validate comes back with the reason instead of throwing. */
export function readTaskFile(file: string): TaskFileEntry {
  try {
    return { file, ok: true, task: loadTask(file) };
  } catch (err) {
    const e = err as Error;
    return { file, ok: false, error: err instanceof FerryError ? err.oneLine() : e.message };
  }
}

/** Every `.ferry/*.json` of a folder, sorted by file name. */
export function listTaskFiles(folder: string): TaskFileEntry[] {
  const dir = path.join(folder, TASKS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readTaskFile(path.join(dir, f)));
}

/**
 * Writes `.ferry/<name>.json` (atomically: a reader never sees half a file). The text is validated
 * before it is written so the extension never leaves a task file the CLI would reject.
 */
export function writeTaskFile(folder: string, task: Task): string {
  const text = serializeTask(task);
  validateTask(JSON.parse(text), `${task.name}.json`);
  const file = taskFilePath(folder, task.name);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, 'utf8');
  renameSync(tmp, file);
  return file;
}

/** A task name from the databases (`sakila-to-pagila`), made valid and not colliding with `taken`. */
export function suggestTaskName(sourceDb: string, targetDb: string, taken: Iterable<string>): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  let base = `${clean(sourceDb) || 'source'}-to-${clean(targetDb) || 'target'}`.slice(0, 58);
  if (!/^[A-Za-z0-9]/.test(base)) base = `task-${base}`;
  const used = new Set(taken);
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  return name;
}

/** Why a typed task name is not acceptable, or undefined. Mirrors validateTask's rule. */
export function taskNameProblem(name: string, taken: Iterable<string>): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) return "1-63 letters, digits, '_', '-' or '.', starting with a letter or digit";
  if ([...taken].includes(name)) return `a task named "${name}" exists already in ${TASKS_DIR}/`;
  return undefined;
}

/** The task files of all workspace folders, re-read on refresh (the file watcher calls it). */
export class TaskIndex {
  private entries: TaskFileEntry[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly folders: () => string[]) {
    this.refresh();
  }

  refresh(): void {
    this.entries = this.folders().flatMap((f) => listTaskFiles(f));
    for (const l of this.listeners) l();
  }

  all(): TaskFileEntry[] {
    return this.entries;
  }

  tasks(): { file: string; task: Task }[] {
    return this.entries.flatMap((e) => (e.ok ? [{ file: e.file, task: e.task }] : []));
  }

  find(file: string): TaskFileEntry | undefined {
    return this.entries.find((e) => e.file === file);
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
