// The task file (ARCHITECTURE.md §2): its type, loading and validation with precise errors.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type ConnectionConfig, maskUrl, parseConnectionUrl, withPassword } from './connection';
import { TaskError } from './errors';

export type TaskPhase = 'schema' | 'full' | 'incremental';
export const TASK_PHASES: readonly TaskPhase[] = ['schema', 'full', 'incremental'];

export interface TaskOptions {
  /** Rows per chunk the full load aims at (default 50,000). */
  chunkRows: number;
  /** Widen lossy types and warn (default true); false makes out-of-range values fail the copy. */
  lossless: boolean;
  /** PostgreSQL targets: fold identifiers to lower case where no collision results. */
  identifierCase: 'lower' | 'preserve';
  /** MySQL->PostgreSQL: the target PostgreSQL schema (default 'public'). */
  targetSchema?: string;
}

export interface Task {
  name: string;
  source: string;
  target: string;
  phases: TaskPhase[];
  objects: { include: string[]; exclude: string[] };
  parallelism: number;
  /** Hand edits of the converted DDL, by object id (e.g. `table:public.film`). */
  schemaOverrides: Record<string, string>;
  options: TaskOptions;
}

export const DEFAULT_OPTIONS: TaskOptions = { chunkRows: 50_000, lossless: true, identifierCase: 'lower' };

const TOP_FIELDS = new Set(['$schema', 'name', 'source', 'target', 'phases', 'objects', 'parallelism', 'schemaOverrides', 'options', 'description']);
const OPTION_FIELDS = new Set(['chunkRows', 'lossless', 'identifierCase', 'targetSchema']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    throw new TaskError(`"${field}" must be a list of non-empty strings`, `e.g. "${field}": ["*"]`);
  }
  return v as string[];
}

/** Validates parsed JSON as a task; every error names the field and the fix. */
export function validateTask(raw: unknown, origin = 'task'): Task {
  if (!isRecord(raw)) throw new TaskError(`${origin}: the task must be a JSON object`, 'see README.md "Task file" for the shape');
  for (const key of Object.keys(raw)) {
    if (!TOP_FIELDS.has(key)) {
      throw new TaskError(`${origin}: unknown field "${key}"`, `remove it; known fields are ${[...TOP_FIELDS].filter((f) => f !== '$schema').join(', ')}`);
    }
  }
  const name = raw.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new TaskError(`${origin}: "name" must be 1-63 letters, digits, '_', '-' or '.', starting with a letter or digit`, 'e.g. "name": "sakila-to-pg"');
  }
  for (const side of ['source', 'target'] as const) {
    if (typeof raw[side] !== 'string') throw new TaskError(`${origin}: "${side}" is missing`, `add "${side}": "mysql://user@host:3306/db" or "postgres://user@host:5432/db"`);
    parseConnectionUrl(raw[side] as string, `${origin}: "${side}"`);
  }
  let phases: TaskPhase[] = ['schema', 'full', 'incremental'];
  if (raw.phases !== undefined) {
    const list = stringList(raw.phases, 'phases');
    for (const p of list) {
      if (!(TASK_PHASES as readonly string[]).includes(p)) {
        throw new TaskError(`${origin}: unknown phase "${p}"`, `use any of ${TASK_PHASES.join(', ')}`);
      }
    }
    if (list.length === 0) throw new TaskError(`${origin}: "phases" is empty`, 'name at least one of schema, full, incremental');
    phases = TASK_PHASES.filter((p) => list.includes(p));
  }
  let objects = { include: ['*'], exclude: [] as string[] };
  if (raw.objects !== undefined) {
    if (!isRecord(raw.objects)) throw new TaskError(`${origin}: "objects" must be an object`, 'e.g. "objects": {"include": ["*"], "exclude": []}');
    for (const k of Object.keys(raw.objects)) {
      if (k !== 'include' && k !== 'exclude') throw new TaskError(`${origin}: unknown field "objects.${k}"`, 'use "include" and "exclude"');
    }
    objects = {
      include: raw.objects.include === undefined ? ['*'] : stringList(raw.objects.include, 'objects.include'),
      exclude: raw.objects.exclude === undefined ? [] : stringList(raw.objects.exclude, 'objects.exclude'),
    };
  }
  let parallelism = 4;
  if (raw.parallelism !== undefined) {
    if (typeof raw.parallelism !== 'number' || !Number.isInteger(raw.parallelism) || raw.parallelism < 1 || raw.parallelism > 64) {
      throw new TaskError(`${origin}: "parallelism" must be a whole number from 1 to 64`, 'e.g. "parallelism": 4');
    }
    parallelism = raw.parallelism;
  }
  const schemaOverrides: Record<string, string> = {};
  if (raw.schemaOverrides !== undefined) {
    if (!isRecord(raw.schemaOverrides)) throw new TaskError(`${origin}: "schemaOverrides" must be an object of object id -> DDL text`);
    for (const [id, ddl] of Object.entries(raw.schemaOverrides)) {
      if (typeof ddl !== 'string') throw new TaskError(`${origin}: schemaOverrides["${id}"] must be DDL text`);
      if (!/^(schema|type|sequence|table|index|constraint|foreign_key|view|trigger|routine):.+/.test(id)) {
        throw new TaskError(`${origin}: schemaOverrides key "${id}" is not an object id`, 'use the ids `ferry schema` prints, e.g. "table:public.film" (or "table:public.film@finalize")');
      }
      schemaOverrides[id] = ddl;
    }
  }
  const options: TaskOptions = { ...DEFAULT_OPTIONS };
  if (raw.options !== undefined) {
    if (!isRecord(raw.options)) throw new TaskError(`${origin}: "options" must be an object`);
    for (const [k, v] of Object.entries(raw.options)) {
      if (!OPTION_FIELDS.has(k)) throw new TaskError(`${origin}: unknown field "options.${k}"`, `known options are ${[...OPTION_FIELDS].join(', ')}`);
      if (k === 'chunkRows') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 10_000_000) throw new TaskError(`${origin}: "options.chunkRows" must be a whole number from 100 to 10000000`);
        options.chunkRows = v;
      } else if (k === 'lossless') {
        if (typeof v !== 'boolean') throw new TaskError(`${origin}: "options.lossless" must be true or false`);
        options.lossless = v;
      } else if (k === 'identifierCase') {
        if (v !== 'lower' && v !== 'preserve') throw new TaskError(`${origin}: "options.identifierCase" must be "lower" or "preserve"`);
        options.identifierCase = v;
      } else if (k === 'targetSchema') {
        if (typeof v !== 'string' || v === '') throw new TaskError(`${origin}: "options.targetSchema" must be a schema name`);
        options.targetSchema = v;
      }
    }
  }
  return { name, source: raw.source as string, target: raw.target as string, phases, objects, parallelism, schemaOverrides, options };
}

/** Reads and validates a task file. */
export function loadTask(file: string): Task {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TaskError(`cannot read task file ${file}${code === 'ENOENT' ? ': no such file' : `: ${(err as Error).message}`}`,
      code === 'ENOENT' ? 'check the path; tasks usually live in .ferry/<name>.json' : undefined);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TaskError(`${path.basename(file)} is not valid JSON: ${(err as Error).message}`, 'fix the JSON syntax (a missing comma or quote)');
  }
  return validateTask(raw, path.basename(file));
}

/** Serialises a task for writing; never contains a password (URLs are stored masked of any password). */
export function serializeTask(task: Task): string {
  const out: Record<string, unknown> = {
    name: task.name,
    source: stripPassword(task.source),
    target: stripPassword(task.target),
    phases: task.phases,
    objects: task.objects,
    parallelism: task.parallelism,
    schemaOverrides: task.schemaOverrides,
  };
  const opts: Partial<TaskOptions> = {};
  for (const k of Object.keys(task.options) as (keyof TaskOptions)[]) {
    if (task.options[k] !== DEFAULT_OPTIONS[k]) (opts as Record<string, unknown>)[k] = task.options[k];
  }
  if (Object.keys(opts).length > 0) out.options = opts;
  return JSON.stringify(out, null, 2) + '\n';
}

function stripPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1@');
}

/** The source and target connections of a task, with passwords from the given places (env on the CLI). */
export function taskConnections(task: Task, passwords: { source?: string; target?: string } = {}): { source: ConnectionConfig; target: ConnectionConfig } {
  return {
    source: withPassword(parseConnectionUrl(task.source, 'source'), passwords.source),
    target: withPassword(parseConnectionUrl(task.target, 'target'), passwords.target),
  };
}

export function passwordsFromEnv(env: NodeJS.ProcessEnv = process.env): { source?: string; target?: string } {
  return { source: env.FERRY_SOURCE_PASSWORD, target: env.FERRY_TARGET_PASSWORD };
}

/** Object filter: patterns like `*`, `film*`, `public.*`, `sakila.film` match `schema.name` or `name`. */
export function objectFilter(objects: Task['objects']): (schema: string, name: string) => boolean {
  const toRegex = (p: string) => new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  const inc = objects.include.map(toRegex);
  const exc = objects.exclude.map(toRegex);
  const matches = (res: RegExp[], schema: string, name: string) => res.some((r) => r.test(name) || r.test(`${schema}.${name}`));
  return (schema, name) => matches(inc, schema, name) && !matches(exc, schema, name);
}

export { maskUrl };
