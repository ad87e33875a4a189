// Hand edits of converted DDL -> the task file's schemaOverrides: the pure merge, the minimal text edit of the
// task file (only the schemaOverrides value changes, the rest keeps its bytes), and the write through vscode's fs.
import type * as vscode from 'vscode';
import { TaskError } from '../engine/errors';
import { type Task, validateTask } from '../engine/task';
import { type OverrideChange, sameDdl } from '../../webview/protocol';

export interface MergeResult {
  /** The new schemaOverrides: existing keys in their order, new ones appended (sorted). */
  overrides: Record<string, string>;
  added: string[];
  changed: string[];
  removed: string[];
  /** Changes that asked for what the file already holds. */
  unchanged: string[];
  rejected: { id: string; reason: string }[];
}

const has = (rec: object, key: string) => Object.prototype.hasOwnProperty.call(rec, key);

/**
 * Merges edits into the saved overrides. `generated` maps every object id of the current conversion to its
 * generated DDL. Decisions:
 * - `ddl: null` (revert to generated) and an edit equal to the generated DDL (by sameDdl) both remove the key;
 * - an edit for an id the conversion does not have is rejected (nothing to apply it to, likely a stale page);
 * - saved overrides for ids the conversion does not have are KEPT: they may belong to objects excluded for now
 *   or a source not reachable today, and a hand edit is work the user must remove on purpose, not lose;
 * - empty DDL is rejected: it would silently drop the object from the target.
 */
export function mergeOverrides(current: Record<string, string>, changes: readonly OverrideChange[], generated: ReadonlyMap<string, string>): MergeResult {
  const next: Record<string, string> = { ...current };
  const result: MergeResult = { overrides: next, added: [], changed: [], removed: [], unchanged: [], rejected: [] };
  const appended: string[] = [];
  for (const change of changes) {
    const gen = generated.get(change.id);
    if (gen === undefined) {
      result.rejected.push({
        id: change.id,
        reason: `${change.id} is not in the current conversion (excluded by the task's objects, or renamed); reconvert and edit the object it became`,
      });
      continue;
    }
    if (change.ddl !== null && change.ddl.trim() === '') {
      result.rejected.push({ id: change.id, reason: `${change.id}: the DDL is empty; to leave the object out, add it to the task's objects.exclude` });
      continue;
    }
    const ddl = change.ddl === null ? null : change.ddl.replace(/\r\n?/g, '\n');
    if (ddl === null || sameDdl(ddl, gen)) {
      if (has(next, change.id)) {
        delete next[change.id];
        result.removed.push(change.id);
      } else {
        result.unchanged.push(change.id);
      }
      continue;
    }
    if (!has(next, change.id)) {
      appended.push(change.id);
      result.added.push(change.id);
    } else if (next[change.id] !== ddl) {
      result.changed.push(change.id);
    } else {
      result.unchanged.push(change.id);
    }
    next[change.id] = ddl;
  }
  // Rebuild so that existing keys keep their place and new ones follow in a stable order (reviewable diffs).
  const ordered: Record<string, string> = {};
  for (const k of Object.keys(current)) if (has(next, k)) ordered[k] = next[k];
  for (const k of appended.sort()) ordered[k] = next[k];
  result.overrides = ordered;
  return result;
}

/** Where a top-level member's value sits in JSON text, and the text positions the edit needs. */
interface MemberSpan {
  valueStart: number;
  valueEnd: number;
}

/** Scans one JSON value starting at `i` (after whitespace) and returns the index after it. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[\s,}\]]/.test(text[j])) j++;
  return j;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

/** Finds `key` among the members of the top-level object of valid JSON `text`. */
function findTopLevelMember(text: string, key: string): MemberSpan | undefined {
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // past ':'
    const valueEnd = skipValue(text, i);
    if (name === key) return { valueStart: i, valueEnd };
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return undefined;
}

/** The file's indentation unit (first indented line), so the rewritten part looks like the rest; none for one-line JSON. */
function indentUnit(text: string): string | undefined {
  const m = /\n([ \t]+)\S/.exec(text);
  return m ? m[1] : undefined;
}

/**
 * Returns the task file text with its schemaOverrides replaced by `overrides`; every other byte stays as it was
 * (the user's formatting, field order, extra fields). Throws TaskError when the text is no valid task, or would
 * not be one afterwards.
 */
export function withOverridesInTaskText(text: string, overrides: Record<string, string>, origin = 'task file'): string {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const body = bom ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new TaskError(`${origin} is not valid JSON: ${(err as Error).message}`, 'fix the JSON syntax, then save again');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TaskError(`${origin}: the task must be a JSON object`);
  const unit = indentUnit(body);
  const rendered = unit === undefined ? JSON.stringify(overrides) : JSON.stringify(overrides, null, unit).replace(/\n/g, `\n${unit}`);
  const span = findTopLevelMember(body, 'schemaOverrides');
  let out: string;
  if (span) {
    out = body.slice(0, span.valueStart) + rendered + body.slice(span.valueEnd);
  } else {
    // Insert as the last member, before the closing brace of the top-level object.
    const close = body.lastIndexOf('}');
    const before = body.slice(0, close).replace(/\s*$/, '');
    const empty = before.endsWith('{');
    const member = unit === undefined ? `"schemaOverrides":${rendered}` : `\n${unit}"schemaOverrides": ${rendered}\n`;
    out = `${before}${empty ? '' : ','}${member}${body.slice(close)}`;
  }
  // Guard against a scanner mistake (or a duplicated key): the result must be the original plus the new overrides.
  if (!sameMembers(JSON.parse(out), raw as Record<string, unknown>, overrides)) {
    throw new TaskError(`${origin}: could not update schemaOverrides in place`, 'check the file is a plain JSON object, then save again');
  }
  validateTask(JSON.parse(out), origin);
  return bom + out;
}

/** Same members as the original, with the new overrides. */
function sameMembers(parsed: unknown, raw: Record<string, unknown>, overrides: Record<string, string>): boolean {
  if (typeof parsed !== 'object' || parsed === null) return false;
  const p = parsed as Record<string, unknown>;
  const keys = new Set([...Object.keys(raw), 'schemaOverrides']);
  if (Object.keys(p).length !== keys.size) return false;
  for (const k of keys) {
    const want = k === 'schemaOverrides' ? overrides : raw[k];
    if (JSON.stringify(p[k]) !== JSON.stringify(want)) return false;
  }
  return true;
}

/** The schemaOverrides of a task file's text (empty when absent). */
export function overridesOfTaskText(text: string, origin = 'task file'): Record<string, string> {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw new TaskError(`${origin} is not valid JSON: ${(err as Error).message}`, 'fix the JSON syntax, then save again');
  }
  return validateTask(raw, origin).schemaOverrides;
}

export interface SavedOverrides {
  task: Task;
  merge: MergeResult;
  /** The text written (or found, when nothing changed). */
  text: string;
  written: boolean;
}

/**
 * Reads the task file fresh (so edits made elsewhere since it was loaded are kept), merges the changes into
 * its schemaOverrides and writes it back when anything changed. `fs` is `vscode.workspace.fs`.
 */
export async function saveOverrides(
  fs: Pick<vscode.FileSystem, 'readFile' | 'writeFile'>,
  uri: vscode.Uri,
  changes: readonly OverrideChange[],
  generated: ReadonlyMap<string, string>,
): Promise<SavedOverrides> {
  const origin = uri.path.split('/').pop() || 'task file';
  const text = new TextDecoder('utf-8').decode(await fs.readFile(uri));
  const current = overridesOfTaskText(text, origin);
  const merge = mergeOverrides(current, changes, generated);
  const nothingChanged = merge.added.length === 0 && merge.changed.length === 0 && merge.removed.length === 0;
  if (nothingChanged) return { task: validateTask(JSON.parse(text.replace(/^\uFEFF/, '')), origin), merge, text, written: false };
  const out = withOverridesInTaskText(text, merge.overrides, origin);
  await fs.writeFile(uri, new TextEncoder().encode(out));
  return { task: validateTask(JSON.parse(out.replace(/^\uFEFF/, '')), origin), merge, text: out, written: true };
}
