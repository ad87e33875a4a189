// "New Migration Task" in three steps, like a migration console: (1) source and target, (2) objects,
// migration types and parallelism, (3) the pre-check, whose results decide whether the task file is written.
import type { CheckResult, TableInfo } from '../engine/api';
import { asFerryError } from '../engine/errors';
import type { EngineKind } from '../engine/model';
import { type Task, type TaskPhase, validateTask } from '../engine/task';
import { type ConnectionProfile, type ConnectionStore, profileServer, profileUrl } from './connections';
import type { EngineApi, Passwords } from './engine-api';
import type { PickItem, Prompter } from './prompter';
import { checkCounts, checkSummary, precheckMarkdown, sortChecks } from './reports';
import { type FerrySettings, taskOptionsFrom } from './settings';
import { suggestTaskName, taskNameProblem, writeTaskFile } from './task-files';

export interface WizardDeps {
  prompter: Prompter;
  store: ConnectionStore;
  engine: EngineApi;
  settings: () => FerrySettings;
  /** Names of the tasks that exist already (for a free default name). */
  takenNames: () => string[];
  /** The workspace folder `.ferry/` goes into; undefined when no folder is open. */
  folder: () => string | undefined;
  /** Runs the New Connection questions, for "New connection…" in the pickers. */
  newConnection: () => Promise<ConnectionProfile | undefined>;
  /** Asks and stores a saved connection's missing password; false when dismissed. */
  ensurePassword: (profile: ConnectionProfile) => Promise<boolean>;
}

export interface WizardResult {
  file: string;
  task: Task;
  checks: CheckResult[];
}

const TOTAL = 3;
const NEW_CONNECTION = Symbol('new connection');
const OTHER_DATABASE = Symbol('other database');

/**
 * Include patterns for the chosen tables: `*` when every table is chosen; otherwise the table names
 * (MySQL: the database is the task's, so the bare name) or `schema.name` (PostgreSQL).
 */
export function includePatterns(engine: EngineKind, all: TableInfo[], chosen: TableInfo[]): string[] {
  if (chosen.length === all.length) return ['*'];
  return chosen.map((t) => (engine === 'mysql' ? t.name : `${t.schema}.${t.name}`));
}

export interface TaskChoices {
  name: string;
  source: ConnectionProfile;
  sourceDatabase: string;
  target: ConnectionProfile;
  targetDatabase: string;
  include: string[];
  phases: TaskPhase[];
  parallelism: number;
}

/** The task a wizard's answers describe (validated exactly as a task file is). */
export function buildTask(c: TaskChoices, settings: FerrySettings): Task {
  const options = taskOptionsFrom(settings);
  // The target schema setting only means something for MySQL -> PostgreSQL.
  if (!(c.source.engine === 'mysql' && c.target.engine === 'postgres')) delete options.targetSchema;
  return validateTask({
    name: c.name,
    source: profileUrl(c.source, c.sourceDatabase),
    target: profileUrl(c.target, c.targetDatabase),
    phases: c.phases,
    objects: { include: c.include, exclude: [] },
    parallelism: c.parallelism,
    schemaOverrides: {},
    options,
  }, `${c.name}.json`);
}

/** The choices after a pre-check: saving is offered plainly only when nothing failed. */
export function precheckChoices(results: CheckResult[]): PickItem<'save' | 'report' | 'cancel' | 'noop'>[] {
  const c = checkCounts(results);
  const head: PickItem<'save' | 'report' | 'cancel' | 'noop'>[] = c.fail === 0
    ? [{ label: '$(save) Save task', description: checkSummary(results), value: 'save' }]
    : [{ label: '$(warning) Save anyway', description: `${c.fail} check${c.fail === 1 ? '' : 's'} failed — fix ${c.fail === 1 ? 'it' : 'them'} before starting`, value: 'save' }];
  head.push({ label: '$(open-preview) Open the pre-check report', value: 'report' }, { label: '$(close) Cancel', description: 'nothing is written', value: 'cancel' });
  const icon = { pass: '$(pass)', warn: '$(warning)', fail: '$(error)' } as const;
  for (const r of sortChecks(results)) {
    head.push({ label: `${icon[r.level]} ${r.title}`, description: `${r.level}${r.object ? ` · ${r.object}` : ''}`,
      detail: `${r.message}${r.fix ? ` — fix: ${r.fix}` : ''}`, value: 'noop' });
  }
  return head;
}

export async function newTaskWizard(d: WizardDeps): Promise<WizardResult | undefined> {
  const p = d.prompter;
  const folder = d.folder();
  if (!folder) {
    await p.message('warning', 'Ferry: open a folder first — tasks are saved in its .ferry/ folder.');
    return undefined;
  }
  const title = 'Ferry: New Migration Task';

  // Step 1: source and target.
  const source = await pickConnection(d, `${title} — source`, 'The live database to migrate from');
  if (!source) return undefined;
  const sourceDatabase = await pickDatabase(d, source, `${title} — source database`, false);
  if (sourceDatabase === undefined) return undefined;
  const target = await pickConnection(d, `${title} — target`, 'The database to migrate to');
  if (!target) return undefined;
  const targetDatabase = await pickDatabase(d, target, `${title} — target database`, true);
  if (targetDatabase === undefined) return undefined;

  // Step 2: objects, migration types, parallelism, name.
  const tables = await p.progress(`Ferry: reading the tables of ${sourceDatabase}…`, async () =>
    d.engine.listTables(await d.store.config(source, sourceDatabase), sourceDatabase));
  if (tables.length === 0) {
    await p.message('warning', `Ferry: ${sourceDatabase} on ${source.name} has no tables to migrate.`);
    return undefined;
  }
  const sorted = [...tables].sort((a, b) => a.schema.localeCompare(b.schema) || a.name.localeCompare(b.name));
  const chosen = await p.pickMany(sorted.map((t) => ({
    label: source.engine === 'mysql' ? t.name : `${t.schema}.${t.name}`, description: `~${t.estimatedRows.toLocaleString('en-US')} rows`, picked: true, value: t,
  })), { title: `${title} — objects`, placeholder: 'Tables to migrate (all are selected)', step: 2, totalSteps: TOTAL });
  if (!chosen) return undefined;
  if (chosen.length === 0) {
    await p.message('warning', 'Ferry: choose at least one table.');
    return undefined;
  }
  const phases = await p.pickMany<TaskPhase>([
    { label: 'Schema', description: 'convert and create tables, indexes, constraints, views', picked: true, value: 'schema' },
    { label: 'Full load', description: 'copy the existing rows from a consistent snapshot', picked: true, value: 'full' },
    { label: 'Incremental', description: 'then replicate changes from the source log until cutover', picked: true, value: 'incremental' },
  ], { title: `${title} — migration types`, placeholder: 'What the task does', step: 2, totalSteps: TOTAL });
  if (!phases) return undefined;
  if (phases.length === 0) {
    await p.message('warning', 'Ferry: choose at least one migration type.');
    return undefined;
  }
  const parallelText = await p.input({ title: `${title} — parallelism`, step: 2, totalSteps: TOTAL,
    prompt: 'Tables/chunks copied and transactions applied at once (1-64)', value: String(d.settings().defaultParallelism),
    validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 64 ? undefined : 'a whole number from 1 to 64') });
  if (parallelText === undefined) return undefined;
  const taken = d.takenNames();
  const name = await p.input({ title: `${title} — name`, step: 2, totalSteps: TOTAL, prompt: 'Task name (the file is .ferry/<name>.json)',
    value: suggestTaskName(sourceDatabase, targetDatabase, taken), validate: (v) => taskNameProblem(v.trim(), taken) });
  if (name === undefined) return undefined;

  const task = buildTask({
    name: name.trim(), source, sourceDatabase, target, targetDatabase, include: includePatterns(source.engine, tables, chosen),
    phases, parallelism: Number(parallelText.trim()),
  }, d.settings());

  // Step 3: pre-check, then save only if the user accepts.
  const passwords: Passwords = { source: await d.store.password(source.id), target: await d.store.password(target.id) };
  const checks = await p.progress(`Ferry: pre-checking ${task.name}…`, (signal) => d.engine.precheckTask(task, passwords, signal));
  for (;;) {
    const choice = await p.pick(precheckChoices(checks), { title: `${title} — pre-check: ${checkSummary(checks)}`, step: 3, totalSteps: TOTAL,
      placeholder: 'Review the results, then save the task', matchOnDetail: true });
    if (choice === undefined || choice === 'cancel') return undefined;
    if (choice === 'report') { await p.showReport(`precheck-${task.name}`, precheckMarkdown(task.name, checks)); continue; }
    if (choice === 'save') break;
  }
  const file = writeTaskFile(folder, task);
  return { file, task, checks };
}

async function pickConnection(d: WizardDeps, title: string, placeholder: string): Promise<ConnectionProfile | undefined> {
  const items: PickItem<ConnectionProfile | typeof NEW_CONNECTION>[] = d.store.list().map((c) => ({
    label: c.name, description: `${c.engine} ${profileServer(c)}/${c.database}`, value: c,
  }));
  items.push({ label: '$(add) New connection…', value: NEW_CONNECTION });
  const chosen = await d.prompter.pick(items, { title, placeholder, step: 1, totalSteps: TOTAL });
  if (chosen === undefined) return undefined;
  const profile = chosen === NEW_CONNECTION ? await d.newConnection() : chosen;
  if (!profile) return undefined;
  return (await d.ensurePassword(profile)) ? profile : undefined;
}

async function pickDatabase(d: WizardDeps, profile: ConnectionProfile, title: string, allowOther: boolean): Promise<string | undefined> {
  let databases: string[];
  try {
    databases = await d.prompter.progress(`Ferry: listing the databases of ${profile.name}…`, async () => d.engine.listDatabases(await d.store.config(profile)));
  } catch (err) {
    throw asFerryError(err, profile.name);
  }
  const ordered = [...new Set([profile.database, ...databases])].filter((db) => databases.includes(db) || db === profile.database);
  const items: PickItem<string | typeof OTHER_DATABASE>[] = ordered.map((db) => ({
    label: db, description: db === profile.database ? 'the connection\'s database' : undefined, value: db,
  }));
  if (allowOther) items.push({ label: '$(edit) Another database…', description: 'type its name', value: OTHER_DATABASE });
  const chosen = await d.prompter.pick(items, { title, placeholder: `Database on ${profile.name}`, step: 1, totalSteps: TOTAL });
  if (chosen !== OTHER_DATABASE) return chosen;
  const typed = await d.prompter.input({ title, step: 1, totalSteps: TOTAL, prompt: 'Database name', validate: (v) => (v.trim() === '' ? 'the name is empty' : undefined) });
  return typed?.trim();
}
