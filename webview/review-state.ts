// The page's review state (selection, filter, unsaved edits, results) and the rules on it; pure, kept with setState.
import type { ConvertedObject } from '../src/engine/convert/types';
import { sameDdl, type OverrideChange } from './protocol';

export type ObjectFilter = 'all' | 'warnings' | 'manual' | 'overridden' | 'edited' | 'failed';
export const OBJECT_FILTERS: readonly ObjectFilter[] = ['all', 'warnings', 'manual', 'overridden', 'edited', 'failed'];

export interface ValidationView {
  /** The DDL text that was validated (a result for another text is stale). */
  ddl: string;
  state: 'pending' | 'ok' | 'error';
  error?: string;
}

export interface ApplyView {
  ok: boolean;
  error?: string;
}

/** What survives hide/show of the panel (vscode.setState): small, JSON only. */
export interface ReviewState {
  version: 1;
  /** The task file's URI (from the page): the extension reopens the panel for it after a window reload. */
  taskFile?: string;
  selectedId?: string;
  filter: ObjectFilter;
  search: string;
  /** Unsaved editor text per object id; absent when the editor shows the saved text. */
  drafts: Record<string, string>;
  validations: Record<string, ValidationView>;
  applyResults: Record<string, ApplyView>;
  collapsedKinds: string[];
}

export function initialState(): ReviewState {
  return { version: 1, filter: 'all', search: '', drafts: {}, validations: {}, applyResults: {}, collapsedKinds: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a state saved by an earlier page; anything unreadable starts fresh rather than breaking the page. */
export function restoreState(raw: unknown): ReviewState {
  const fresh = initialState();
  if (!isRecord(raw) || raw.version !== 1) return fresh;
  const strings = (v: unknown): Record<string, string> =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  const validations: Record<string, ValidationView> = {};
  if (isRecord(raw.validations)) {
    for (const [id, v] of Object.entries(raw.validations)) {
      // A validation that was running when the page went away has no answer coming: drop it.
      if (isRecord(v) && typeof v.ddl === 'string' && (v.state === 'ok' || v.state === 'error')) {
        validations[id] = { ddl: v.ddl, state: v.state, error: typeof v.error === 'string' ? v.error : undefined };
      }
    }
  }
  const applyResults: Record<string, ApplyView> = {};
  if (isRecord(raw.applyResults)) {
    for (const [id, v] of Object.entries(raw.applyResults)) {
      if (isRecord(v) && typeof v.ok === 'boolean') applyResults[id] = { ok: v.ok, error: typeof v.error === 'string' ? v.error : undefined };
    }
  }
  return {
    version: 1,
    ...(typeof raw.taskFile === 'string' ? { taskFile: raw.taskFile } : {}),
    selectedId: typeof raw.selectedId === 'string' ? raw.selectedId : undefined,
    filter: (OBJECT_FILTERS as readonly unknown[]).includes(raw.filter) ? (raw.filter as ObjectFilter) : 'all',
    search: typeof raw.search === 'string' ? raw.search : '',
    drafts: strings(raw.drafts),
    validations,
    applyResults,
    collapsedKinds: Array.isArray(raw.collapsedKinds) ? raw.collapsedKinds.filter((k): k is string => typeof k === 'string') : [],
  };
}

/** The text the task file gives the object: its saved override, else the generated DDL. */
export function savedText(obj: ConvertedObject, saved: Record<string, string>): string {
  return Object.prototype.hasOwnProperty.call(saved, obj.id) ? saved[obj.id] : obj.generatedDdl;
}

/** The text the editor shows: the unsaved draft, else the saved text. */
export function editorText(obj: ConvertedObject, saved: Record<string, string>, drafts: Record<string, string>): string {
  return Object.prototype.hasOwnProperty.call(drafts, obj.id) ? drafts[obj.id] : savedText(obj, saved);
}

/** Records the editor's text; a text equal to the saved one is no draft. Returns new drafts (input untouched). */
export function withDraft(drafts: Record<string, string>, obj: ConvertedObject, saved: Record<string, string>, text: string): Record<string, string> {
  const next = { ...drafts };
  if (text === savedText(obj, saved)) delete next[obj.id];
  else next[obj.id] = text;
  return next;
}

/** Esc: forget the unsaved edit of one object (the editor falls back to the last saved text). */
export function withoutDraft(drafts: Record<string, string>, id: string): Record<string, string> {
  const next = { ...drafts };
  delete next[id];
  return next;
}

/**
 * "Revert to generated": the editor shows the generated DDL. When a saved override exists this is an unsaved
 * change (saving removes the override); otherwise it simply drops the draft.
 */
export function revertedDrafts(drafts: Record<string, string>, obj: ConvertedObject, saved: Record<string, string>): Record<string, string> {
  return withDraft(drafts, obj, saved, obj.generatedDdl);
}

export interface ObjectStatus {
  /** The task file holds an override for it. */
  overridden: boolean;
  /** The editor holds unsaved changes. */
  edited: boolean;
  /** What Save would leave in the task file: an override (true) or the generated DDL (false). */
  overriddenAfterSave: boolean;
}

export function objectStatus(obj: ConvertedObject, saved: Record<string, string>, drafts: Record<string, string>): ObjectStatus {
  const overridden = Object.prototype.hasOwnProperty.call(saved, obj.id);
  const edited = Object.prototype.hasOwnProperty.call(drafts, obj.id);
  return { overridden, edited, overriddenAfterSave: !sameDdl(editorText(obj, saved, drafts), obj.generatedDdl) };
}

/** The override changes Save sends: an edit that equals the generated DDL (by sameDdl) removes the override. */
export function pendingChanges(objects: ConvertedObject[], saved: Record<string, string>, drafts: Record<string, string>): OverrideChange[] {
  const changes: OverrideChange[] = [];
  for (const obj of objects) {
    if (!Object.prototype.hasOwnProperty.call(drafts, obj.id)) continue;
    const text = drafts[obj.id];
    if (sameDdl(text, obj.generatedDdl)) {
      if (Object.prototype.hasOwnProperty.call(saved, obj.id)) changes.push({ id: obj.id, ddl: null });
    } else {
      changes.push({ id: obj.id, ddl: text });
    }
  }
  return changes;
}

/**
 * After a (re)load: keeps drafts only for objects that still exist and still differ from the saved text,
 * and selects a still-existing object.
 */
export function reconcile(state: ReviewState, objects: ConvertedObject[], saved: Record<string, string>): ReviewState {
  const byId = new Map(objects.map((o) => [o.id, o]));
  const drafts: Record<string, string> = {};
  for (const [id, text] of Object.entries(state.drafts)) {
    const obj = byId.get(id);
    if (obj && text !== savedText(obj, saved)) drafts[id] = text;
  }
  const keep = <T>(rec: Record<string, T>) => Object.fromEntries(Object.entries(rec).filter(([id]) => byId.has(id)));
  const selectedId = state.selectedId && byId.has(state.selectedId) ? state.selectedId : objects[0]?.id;
  return { ...state, drafts, validations: keep(state.validations), applyResults: keep(state.applyResults), selectedId };
}
