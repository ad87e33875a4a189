// The one message protocol between the schema panel host (src/ui/schema-panel.ts) and its webview page.
// Both sides import these types and validate every received message with parseHostMessage /
// parseWebviewMessage, so a message that drifts from the contract is rejected with a reason, not guessed at.
import type { ConvertedObject, DdlPhase, ObjectKind, Warning, WarningLevel } from '../src/engine/convert/types';
import type { EngineKind } from '../src/engine/model';

/** One hand edit: `ddl` is the new converted DDL; `null` reverts to the generated DDL (removes the override). */
export interface OverrideChange {
  id: string;
  ddl: string | null;
}

/** One object's outcome of Apply (mirrors the engine's applySchema result). */
export interface ApplyObjectResult {
  id: string;
  ok: boolean;
  error?: string;
  /** Not attempted because an object it depends on failed. */
  skipped?: boolean;
}

export type BusyAction = 'convert' | 'validate' | 'save' | 'apply';

/** Messages the host sends to the page. */
export type HostMessage =
  | {
      type: 'report';
      taskName: string;
      sourceEngine: EngineKind;
      targetEngine: EngineKind;
      objects: ConvertedObject[];
      /** The task file's schemaOverrides as saved on disk. */
      savedOverrides: Record<string, string>;
      /** Saved override ids that match no object of this conversion (kept in the file, shown to the user). */
      orphanOverrides: string[];
    }
  | { type: 'conversionFailed'; error: string; fix?: string }
  | { type: 'busy'; action: BusyAction; busy: boolean; detail?: string }
  | { type: 'validationResult'; objectId: string; ddl: string; ok: boolean; error?: string }
  | { type: 'saved'; savedOverrides: Record<string, string>; rejected: { id: string; reason: string }[] }
  | { type: 'saveFailed'; error: string }
  | { type: 'applyResult'; results: ApplyObjectResult[] }
  | { type: 'applyFailed'; error: string }
  | { type: 'taskFileChanged' };

/** Messages the page sends to the host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'reload' }
  | { type: 'validate'; objectId: string; ddl: string }
  | { type: 'save'; changes: OverrideChange[] }
  /** Saves `changes` first (so the task file holds exactly what is applied), then runs the schema phase. */
  | { type: 'apply'; changes: OverrideChange[] }
  | { type: 'openTaskFile' };

export type HostMessageType = HostMessage['type'];
export type WebviewMessageType = WebviewMessage['type'];

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

/** DDL text longer than this is refused: no hand edit of one object is that large, a runaway message is. */
export const MAX_DDL_CHARS = 4_000_000;

const OBJECT_KINDS: readonly ObjectKind[] = ['schema', 'type', 'sequence', 'table', 'index', 'constraint', 'foreign_key', 'view', 'trigger', 'routine'];
const PHASES: readonly DdlPhase[] = ['pre-data', 'post-data', 'finalize'];
const ENGINES: readonly EngineKind[] = ['mysql', 'postgres'];
const WARNING_LEVELS: readonly WarningLevel[] = ['info', 'warn', 'manual'];
const BUSY_ACTIONS: readonly BusyAction[] = ['convert', 'validate', 'save', 'apply'];
const OBJECT_ID = /^(schema|type|sequence|table|index|constraint|foreign_key|view|trigger|routine):.+$/s;

/** A field check: returns a reason when the value does not fit, else undefined. */
type Check = (value: unknown, path: string) => string | undefined;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} must be a string`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be true or false`);
const ddlText: Check = (v, p) =>
  typeof v !== 'string' ? `${p} must be a string` : v.length > MAX_DDL_CHARS ? `${p} is longer than ${MAX_DDL_CHARS} characters` : undefined;
const objectIdCheck: Check = (v, p) =>
  typeof v !== 'string' ? `${p} must be a string` : OBJECT_ID.test(v) ? undefined : `${p} "${v.slice(0, 80)}" is not an object id (kind:schema.name)`;

function oneOf<T extends string>(values: readonly T[]): Check {
  return (v, p) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? undefined : `${p} must be one of ${values.join(', ')}`);
}

function optional(check: Check): Check {
  return (v, p) => (v === undefined ? undefined : check(v, p));
}

function nullable(check: Check): Check {
  return (v, p) => (v === null ? undefined : check(v, p));
}

function arrayOf(check: Check): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p} must be a list`;
    for (let i = 0; i < v.length; i++) {
      const reason = check(v[i], `${p}[${i}]`);
      if (reason) return reason;
    }
    return undefined;
  };
}

function recordOf(keyCheck: Check, valueCheck: Check): Check {
  return (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    for (const [k, val] of Object.entries(v)) {
      const reason = keyCheck(k, `${p} key`) ?? valueCheck(val, `${p}["${k}"]`);
      if (reason) return reason;
    }
    return undefined;
  };
}

/** An object with exactly these fields (unknown fields are refused: they mean the two sides drifted apart). */
function shape(fields: Record<string, Check>): Check {
  return (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    for (const k of Object.keys(v)) {
      if (!(k in fields)) return `${p} has an unexpected field "${k}"`;
    }
    for (const [k, check] of Object.entries(fields)) {
      const reason = check(v[k], `${p}.${k}`);
      if (reason) return reason;
    }
    return undefined;
  };
}

const warningCheck = shape({
  code: str,
  object: str,
  level: oneOf(WARNING_LEVELS),
  message: str,
  fix: optional(str),
});

const convertedObjectCheck = shape({
  id: objectIdCheck,
  kind: oneOf(OBJECT_KINDS),
  phase: oneOf(PHASES),
  sourceDdl: ddlText,
  generatedDdl: ddlText,
  targetDdl: ddlText,
  overridden: bool,
  manual: bool,
  warnings: arrayOf(warningCheck),
  dependsOn: arrayOf(str),
});

const overridesCheck = recordOf(objectIdCheck, ddlText);
const overrideChangeCheck = shape({ id: objectIdCheck, ddl: nullable(ddlText) });

const HOST_FIELDS: { [K in HostMessageType]: Record<string, Check> } = {
  report: {
    taskName: str,
    sourceEngine: oneOf(ENGINES),
    targetEngine: oneOf(ENGINES),
    objects: arrayOf(convertedObjectCheck),
    savedOverrides: overridesCheck,
    orphanOverrides: arrayOf(objectIdCheck),
  },
  conversionFailed: { error: str, fix: optional(str) },
  busy: { action: oneOf(BUSY_ACTIONS), busy: bool, detail: optional(str) },
  validationResult: { objectId: objectIdCheck, ddl: ddlText, ok: bool, error: optional(str) },
  saved: { savedOverrides: overridesCheck, rejected: arrayOf(shape({ id: str, reason: str })) },
  saveFailed: { error: str },
  applyResult: { results: arrayOf(shape({ id: str, ok: bool, error: optional(str), skipped: optional(bool) })) },
  applyFailed: { error: str },
  taskFileChanged: {},
};

const WEBVIEW_FIELDS: { [K in WebviewMessageType]: Record<string, Check> } = {
  ready: {},
  reload: {},
  validate: { objectId: objectIdCheck, ddl: ddlText },
  save: { changes: arrayOf(overrideChangeCheck) },
  apply: { changes: arrayOf(overrideChangeCheck) },
  openTaskFile: {},
};

function parseWith<T>(raw: unknown, table: Record<string, Record<string, Check>>, side: string): Parsed<T> {
  if (!isRecord(raw)) return { ok: false, reason: `${side} message must be an object` };
  const type = raw.type;
  if (typeof type !== 'string') return { ok: false, reason: `${side} message has no "type"` };
  if (!Object.prototype.hasOwnProperty.call(table, type)) return { ok: false, reason: `unknown ${side} message type "${type.slice(0, 40)}"` };
  const reason = shape({ type: str, ...table[type] })(raw, type);
  if (reason) return { ok: false, reason };
  // Duplicate ids in one change list would make the outcome depend on order: refuse them.
  if ((type === 'save' || type === 'apply') && Array.isArray(raw.changes)) {
    const seen = new Set<string>();
    for (const c of raw.changes as OverrideChange[]) {
      if (seen.has(c.id)) return { ok: false, reason: `${type}.changes names "${c.id}" twice` };
      seen.add(c.id);
    }
  }
  if (type === 'validationResult' && raw.ok === false && typeof raw.error !== 'string') {
    return { ok: false, reason: 'validationResult.error is required when ok is false' };
  }
  return { ok: true, message: raw as T };
}

/** Validates a message the page received from the host. */
export function parseHostMessage(raw: unknown): Parsed<HostMessage> {
  return parseWith<HostMessage>(raw, HOST_FIELDS, 'host');
}

/** Validates a message the host received from the page. */
export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  return parseWith<WebviewMessage>(raw, WEBVIEW_FIELDS, 'webview');
}

/** Every message type of each direction (tests check each one is covered). */
export const HOST_MESSAGE_TYPES = Object.keys(HOST_FIELDS) as HostMessageType[];
export const WEBVIEW_MESSAGE_TYPES = Object.keys(WEBVIEW_FIELDS) as WebviewMessageType[];

export type { ConvertedObject, Warning };

/**
 * Whether two DDL texts are the same edit: trailing spaces on lines, trailing blank lines and a final `;` do not
 * count. Both sides use this rule, so an edit that only re-adds such whitespace is no override.
 */
export function sameDdl(a: string, b: string): boolean {
  return normalizeDdl(a) === normalizeDdl(b);
}

export function normalizeDdl(ddl: string): string {
  return ddl
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t]+$/, ''))
    .join('\n')
    .trim()
    .replace(/;$/, '')
    .trimEnd();
}

/**
 * The object as the protocol carries it: exactly the contract's fields. The host sends this projection rather
 * than the engine's object, so a field the engine adds later cannot make the page refuse the report.
 */
export function objectForPage(o: ConvertedObject): ConvertedObject {
  return {
    id: o.id,
    kind: o.kind,
    phase: o.phase,
    sourceDdl: o.sourceDdl,
    generatedDdl: o.generatedDdl,
    targetDdl: o.targetDdl,
    overridden: o.overridden,
    manual: o.manual,
    warnings: o.warnings.map((w) => (w.fix === undefined
      ? { code: w.code, object: w.object, level: w.level, message: w.message }
      : { code: w.code, object: w.object, level: w.level, message: w.message, fix: w.fix })),
    dependsOn: [...o.dependsOn],
  };
}

const PHASE_ORDER: Record<DdlPhase, number> = { 'pre-data': 0, 'post-data': 1, finalize: 2 };

/**
 * The report's objects as the page lists them: one entry per object id. The engine may render one object in
 * several phases under one id (a table, then its identity restart in 'finalize'); an override of that id replaces
 * all of them (it runs in the first phase), so the page shows and edits their texts as one, in phase order.
 */
export function objectsForPage(objects: readonly ConvertedObject[]): ConvertedObject[] {
  const groups = new Map<string, ConvertedObject[]>();
  for (const o of objects) {
    const group = groups.get(o.id);
    if (group) group.push(o);
    else groups.set(o.id, [o]);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return objectForPage(group[0]);
    const parts = group.map(objectForPage).sort((a, b) => PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase]);
    const join = (texts: string[]) => texts.filter((t) => t.trim() !== '').join('\n\n');
    const first = parts[0];
    const overridden = parts.some((p) => p.overridden);
    const warnings = new Map(parts.flatMap((p) => p.warnings).map((w) => [JSON.stringify([w.code, w.object, w.message]), w]));
    return {
      ...first,
      sourceDdl: [...new Set(parts.map((p) => p.sourceDdl).filter((t) => t.trim() !== ''))].join('\n\n'),
      generatedDdl: join(parts.map((p) => p.generatedDdl)),
      // With an override the engine puts it on the first phase and empties the others.
      targetDdl: overridden ? first.targetDdl : join(parts.map((p) => p.targetDdl)),
      overridden,
      manual: parts.some((p) => p.manual),
      warnings: [...warnings.values()],
      dependsOn: [...new Set(parts.flatMap((p) => p.dependsOn))].filter((d) => d !== first.id),
    };
  });
}

/** Apply results per object id (one object may run in several phases): ok only if every phase was ok. */
export function applyResultsForPage(results: readonly ApplyObjectResult[]): ApplyObjectResult[] {
  const byId = new Map<string, ApplyObjectResult>();
  for (const r of results) {
    const one: ApplyObjectResult = { id: r.id, ok: r.ok };
    if (r.error !== undefined) one.error = r.error;
    if (r.skipped !== undefined) one.skipped = r.skipped;
    const seen = byId.get(r.id);
    if (!seen) {
      byId.set(r.id, one);
    } else if (seen.ok && !one.ok) {
      byId.set(r.id, one);
    }
  }
  return [...byId.values()];
}
