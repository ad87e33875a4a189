// Pre-check: every check that can predict a later failure, each pass|warn|fail with a message and the fix.
// Dialect questions go through PrecheckProbe (precheck-mysql.ts / precheck-postgres.ts); checks that
// compare the two sides or read the converted schema live here and in precheck-conversion.ts.
import { replicationName } from './postgres/snapshot';
import type { CheckResult } from './api';
import type { ConnectionConfig } from './connection';
import { describeConnection } from './connection';
import type { ConvertedSchema } from './convert/types';
import type { QualifiedName, Table } from './model';
import { type Task, objectFilter } from './task';
import { CancelledError, asFerryError } from './errors';
import { MysqlProbe } from './precheck-mysql';
import { PostgresProbe } from './precheck-postgres';
import { type InventoryTable, type PrecheckPlan, type PrecheckProbe, check, formatBytes } from './precheck-probe';
import { quoteMysqlIdent } from './mysql/connect';
import { quotePgIdent } from './postgres/connect';
import { collationRisks, identifierChecks, typeChecks } from './precheck-conversion';

export interface PrecheckContext {
  task: Task;
  source: ConnectionConfig;
  target: ConnectionConfig;
  conversion?: ConvertedSchema;
  signal?: AbortSignal;
}

/** A conservative full-load rate for estimates (bytes per second): slow disks, small rows, busy source. */
export const CONSERVATIVE_LOAD_RATE = 5 * 1024 * 1024;
/** Tables up to this many rows are scanned for their largest row and for collation collisions. */
const SCAN_BUDGET_ROWS = 2_000_000;

/** The checks `ferry run` refuses to start on (and that `--force` ignores, listed). */
export function failingChecks(results: CheckResult[]): CheckResult[] {
  return results.filter((r) => r.level === 'fail');
}

/** The machine-readable form (`ferry check --json`). */
export function checksToJson(results: CheckResult[]): string {
  return JSON.stringify({ ok: failingChecks(results).length === 0, results }, null, 2);
}

async function openProbe(c: ConnectionConfig, role: 'source' | 'target'): Promise<PrecheckProbe> {
  return c.engine === 'mysql' ? MysqlProbe.open(c, role) : PostgresProbe.open(c);
}

function abortIf(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('pre-check cancelled');
}

/** Runs one group of checks; an unexpected error becomes a failed check instead of ending the pre-check. */
async function guarded(id: string, title: string, fn: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    const e = asFerryError(err);
    return [check(id, 'fail', title, `the check itself failed: ${e.message}`, e.fix ?? 'check the connection user\'s rights to read the catalog')];
  }
}

export async function runPrecheck(ctx: PrecheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const probes: { source?: PrecheckProbe; target?: PrecheckProbe } = {};
  try {
    for (const role of ['source', 'target'] as const) {
      abortIf(ctx.signal);
      const c = ctx[role];
      try {
        const p = await openProbe(c, role);
        probes[role] = p;
        results.push(check(`${role}.connect`, 'pass', `${role === 'source' ? 'Source' : 'Target'} connection`, `connected to ${describeConnection(c)} (${p.version})`));
        results.push(p.versionCheck(role));
      } catch (err) {
        const e = asFerryError(err);
        results.push(check(`${role}.connect`, 'fail', `${role === 'source' ? 'Source' : 'Target'} connection`,
          `${e.message}; the other ${role} checks are skipped`, e.fix ?? 'check the URL, the user and the password'));
      }
    }
    const { source, target } = probes;
    const filter = objectFilter(ctx.task.objects);
    let inventory: InventoryTable[] = [];
    if (source) {
      results.push(...await guarded('source.inventory', 'Source tables', async () => {
        inventory = await source.inventory(filter);
        return inventory.length > 0 ? [] : [check('source.tables', 'fail', 'Source tables',
          `no table of ${ctx.source.database} matches the task's objects (include ${JSON.stringify(ctx.task.objects.include)}, exclude ${JSON.stringify(ctx.task.objects.exclude)})`,
          'fix "objects" in the task file, or the database name in the source URL')];
      }));
    }
    const plan = buildPlan(ctx, inventory);
    abortIf(ctx.signal);
    if (source) results.push(...await guarded('source.settings', 'Source settings', () => source.sourceChecks(plan)));
    abortIf(ctx.signal);
    if (target) results.push(...await guarded('target.settings', 'Target settings', () => target.targetChecks(plan)));
    results.push(...noKeyChecks(plan, ctx.source.engine));
    if (ctx.conversion) {
      results.push(...typeChecks(ctx.conversion));
      if (target) {
        const ci = await target.caseInsensitiveTableNames().catch(() => false);
        results.push(...identifierChecks(ctx.conversion, ctx.target.engine, ci));
      }
    } else {
      results.push(check('conversion.unavailable', 'warn', 'Converted schema',
        'the schema was not converted, so lossy types, identifier collisions and collation risks were not checked', 'run `ferry schema` and fix what it reports'));
    }
    abortIf(ctx.signal);
    if (target) results.push(...await guarded('target.existing', 'Existing target objects', () => existingObjectChecks(target, plan)));
    if (source && target) {
      abortIf(ctx.signal);
      results.push(...await guarded('timezone', 'Time zones', () => timeZoneChecks(source, target, ctx)));
      results.push(...await guarded('target.free_space', 'Free space', () => freeSpaceChecks(target, plan)));
      results.push(...await guarded('target.max_allowed_packet', 'Largest row', () => packetChecks(source, target, ctx, plan)));
      if (ctx.conversion) results.push(...await guarded('collation', 'Collations', () => collationChecks(source, target, ctx)));
    }
  } finally {
    await Promise.all([probes.source?.close(), probes.target?.close()]);
  }
  return results;
}

function buildPlan(ctx: PrecheckContext, tables: InventoryTable[]): PrecheckPlan {
  const bytes = tables.reduce((n, t) => n + t.estimatedBytes, 0);
  return {
    task: ctx.task,
    conversion: ctx.conversion,
    sourceTables: tables,
    targetTables: targetNames(ctx, tables),
    sourceBytes: bytes,
    estimatedLoadSeconds: bytes / CONSERVATIVE_LOAD_RATE,
    incremental: ctx.task.phases.includes('incremental'),
    replicationName: replicationName(ctx.task),
    signal: ctx.signal,
  };
}

/** Where the tables land: from the conversion when there is one, else the default namespace mapping. */
function targetNames(ctx: PrecheckContext, tables: InventoryTable[]): QualifiedName[] {
  if (ctx.conversion) return ctx.conversion.tables.map((m) => ({ schema: m.target.schema, name: m.target.name }));
  const toPg = ctx.target.engine === 'postgres';
  const fold = (s: string) => (toPg && ctx.task.options.identifierCase === 'lower' ? s.toLowerCase() : s);
  return tables.map((t) => {
    let schema: string;
    if (ctx.target.engine === 'mysql') schema = ctx.target.database;
    else if (ctx.source.engine === 'mysql') schema = ctx.task.options.targetSchema ?? 'public';
    else schema = t.schema;
    return { schema, name: fold(t.name) };
  });
}

function noKeyChecks(plan: PrecheckPlan, engine: ConnectionConfig['engine']): CheckResult[] {
  const quote = engine === 'mysql' ? quoteMysqlIdent : quotePgIdent;
  const out: CheckResult[] = [];
  for (const t of plan.sourceTables) {
    if (t.hasPrimaryKey) continue;
    const obj = `table:${t.schema}.${t.name}`;
    out.push(check('table.no_primary_key', 'warn', 'No primary key',
      `${t.schema}.${t.name} has no primary key${t.hasUniqueKey ? ' (a NOT NULL unique key identifies its rows)' : ': CDC matches its rows on every column and verify compares it as a multiset of rows, both slower; identical duplicate rows cannot be told apart'}`,
      `ALTER TABLE ${quote(t.schema)}.${quote(t.name)} ADD PRIMARY KEY (<columns>);`, obj));
  }
  if (out.length === 0 && plan.sourceTables.length > 0) out.push(check('table.no_primary_key', 'pass', 'Primary keys', `all ${plan.sourceTables.length} tables have a primary key`));
  return out;
}

async function existingObjectChecks(target: PrecheckProbe, plan: PrecheckPlan): Promise<CheckResult[]> {
  const existing = await target.existingTables(plan.targetTables);
  if (existing.length === 0) return [check('target.existing', 'pass', 'Existing target objects', 'none of the target tables exists yet')];
  const quote = target.engine === 'mysql' ? quoteMysqlIdent : quotePgIdent;
  return existing.map((e) => {
    const name = `${e.name.schema}.${e.name.name}`;
    const sql = `${quote(e.name.schema)}.${quote(e.name.name)}`;
    return e.hasRows
      ? check('target.existing', 'fail', 'Target table holds rows', `${name} already exists on the target and holds rows; loading into it would mix old and new data`,
        `empty or drop it first (TRUNCATE TABLE ${sql}; or DROP TABLE ${sql};), or exclude it from the task`, `table:${name}`)
      : check('target.existing', 'warn', 'Target table exists', `${name} already exists on the target (empty); schema apply keeps its definition, which may differ from the converted one`,
        `DROP TABLE ${sql}; to let Ferry create it as converted, or compare it with \`ferry schema\``, `table:${name}`);
  });
}

const UTC_NAMES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'z', 'zulu', 'universal', 'etc/universal', 'uct', 'etc/uct', '+00:00', '-00:00', 'gmt0', 'etc/gmt0', 'greenwich']);

export function normaliseZone(tz: string): string {
  const t = tz.trim();
  return UTC_NAMES.has(t.toLowerCase()) || /^(etc\/)?gmt[+-]0$/i.test(t) ? 'UTC' : t;
}

async function timeZoneChecks(source: PrecheckProbe, target: PrecheckProbe, ctx: PrecheckContext): Promise<CheckResult[]> {
  const [s, t] = await Promise.all([source.timeZone(), target.timeZone()]);
  const zoned = (ctx.conversion?.tables ?? []).flatMap((m) => m.source.columns.filter((c) => c.type.kind === 'timestamp' && c.type.tz).map((c) => `${m.source.name}.${c.name}`));
  if (normaliseZone(s) === normaliseZone(t)) {
    return [check('timezone', 'pass', 'Time zones', `source and target both render zone-aware timestamps in ${normaliseZone(s)}`)];
  }
  const what = zoned.length > 0 ? ` (${zoned.length} zone-aware column(s), e.g. ${zoned.slice(0, 3).join(', ')})` : '';
  const fix = ctx.target.engine === 'postgres'
    ? `ALTER DATABASE ${quotePgIdent(ctx.target.database)} SET timezone = '${s}'; (or set the applications' session time zone)`
    : `SET GLOBAL time_zone = '${s}'; (needs the time zone tables loaded for named zones; or set the applications' session time zone)`;
  return [check('timezone', 'warn', 'Time zones',
    `the source's default time zone is ${s}, the target's ${t}. Ferry copies ${ctx.source.engine === 'mysql' ? 'TIMESTAMP' : 'timestamptz'} values as UTC instants, so the data is exact${what}; but applications that do not set a session zone will see them rendered in ${t} instead of ${s}, and DATETIME / timestamp-without-zone values are copied as the same wall-clock text`,
    fix)];
}

async function freeSpaceChecks(target: PrecheckProbe, plan: PrecheckPlan): Promise<CheckResult[]> {
  const free = await target.freeSpace();
  const size = plan.sourceBytes;
  if (free.bytes === undefined) {
    return [check('target.free_space', 'warn', 'Free space', `the source tables take about ${formatBytes(size)}; the target's free space cannot be read: ${free.reason}`,
      `make sure the target's data volume has at least ${formatBytes(size * 1.5)} free (data, indexes and ${plan.incremental ? 'WAL/binlog during the load' : 'logs'})`)];
  }
  // Rebuilt indexes, a different row format and the target's own logs: allow half again the source size.
  const msg = `the source tables take about ${formatBytes(size)}; the target's data volume has ${formatBytes(free.bytes)} free`;
  if (free.bytes < size) return [check('target.free_space', 'fail', 'Free space', msg, `free or add at least ${formatBytes(size * 1.5 - free.bytes)} on the target's data volume`)];
  if (free.bytes < size * 1.5) return [check('target.free_space', 'warn', 'Free space', `${msg}; little headroom for indexes and logs`, `free or add ${formatBytes(size * 1.5 - free.bytes)} on the target's data volume`)];
  return [check('target.free_space', 'pass', 'Free space', msg)];
}

/** The largest possible value size of a column from its declared type, undefined when unbounded or large. */
function declaredMaxBytes(t: Table): number | undefined {
  let sum = 0;
  for (const c of t.columns) {
    const ty = c.type.kind === 'domain' ? c.type.base : c.type;
    if (ty.kind === 'char') { if (ty.length === undefined) return undefined; sum += ty.length * 4; }
    else if (ty.kind === 'text') { if (ty.maxBytes === undefined) return undefined; sum += ty.maxBytes; }
    else if (ty.kind === 'binary') { const n = ty.maxBytes ?? ty.length; if (n === undefined) return undefined; sum += n; }
    else if (ty.kind === 'json' || ty.kind === 'array' || ty.kind === 'xml' || ty.kind === 'tsvector' || ty.kind === 'spatial' || ty.kind === 'other') return undefined;
    else sum += 64;
  }
  return sum;
}

async function packetChecks(source: PrecheckProbe, target: PrecheckProbe, ctx: PrecheckContext, plan: PrecheckPlan): Promise<CheckResult[]> {
  const packet = await target.maxPacket();
  if (packet === undefined) return [];
  const tables = ctx.conversion?.tables.map((m) => m.source) ?? [];
  const title = 'Largest row vs max_allowed_packet';
  const fixFor = (bytes: number) => {
    const want = Math.min(1024 ** 3, 2 ** Math.ceil(Math.log2(Math.max(bytes * 2, 16 * 1024 * 1024))));
    return `SET GLOBAL max_allowed_packet = ${want}; and max_allowed_packet=${want} in the target's configuration`;
  };
  if (tables.length === 0) {
    return [check('target.max_allowed_packet', 'warn', title, `max_allowed_packet on the target is ${formatBytes(packet)}; the source's rows were not measured (no converted schema)`)];
  }
  const unbounded = tables.filter((t) => { const m = declaredMaxBytes(t); return m === undefined || m > packet / 2; });
  if (unbounded.length === 0) {
    return [check('target.max_allowed_packet', 'pass', title, `max_allowed_packet on the target is ${formatBytes(packet)}; no source row can come near it by its column types`)];
  }
  const largest = await source.largestRow(unbounded, SCAN_BUDGET_ROWS);
  if (!largest) {
    return [check('target.max_allowed_packet', 'warn', title, `max_allowed_packet on the target is ${formatBytes(packet)}; tables with large columns are too big to measure the largest row cheaply`,
      `if any row may exceed ${formatBytes(packet / 2)}: ${fixFor(packet)}`)];
  }
  // Statements carry a row as escaped text: allow twice the raw size.
  if (largest.bytes * 2 > packet) {
    return [check('target.max_allowed_packet', 'fail', title, `the largest row (${largest.table}) is ${formatBytes(largest.bytes)}; with escaping it does not fit the target's max_allowed_packet of ${formatBytes(packet)}`,
      fixFor(largest.bytes), `table:${largest.table}`)];
  }
  return [check('target.max_allowed_packet', 'pass', title, `the largest row${largest.table ? ` (${largest.table})` : ''} is ${formatBytes(largest.bytes)}, well within max_allowed_packet ${formatBytes(packet)}${plan.sourceTables.length ? '' : ''}`)];
}

async function collationChecks(source: PrecheckProbe, target: PrecheckProbe, ctx: PrecheckContext): Promise<CheckResult[]> {
  const conversion = ctx.conversion as ConvertedSchema;
  const defaults = new Map<string, string | undefined>();
  for (const s of new Set(conversion.tables.map((m) => m.target.schema))) defaults.set(s, await target.defaultCollation(s));
  const risks = collationRisks(conversion, ctx.source.engine, ctx.target.engine, (s) => defaults.get(s));
  const out: CheckResult[] = [];
  for (const r of risks) {
    const t = r.mapping.source;
    const name = `${t.schema}.${t.name}`;
    const obj = `table:${name}`;
    const key = `${r.index.primary ? 'primary key' : `unique key ${r.index.name}`} (${r.sourceColumns.join(', ')})`;
    const fix = `give the key's columns a case-sensitive collation on the target in the schema diff view, e.g. … COLLATE utf8mb4_bin`;
    const groups = t.estimatedRows <= SCAN_BUDGET_ROWS ? await source.collidingGroups({ schema: t.schema, name: t.name }, r.sourceColumns, r.collation) : undefined;
    if (groups === undefined) {
      out.push(check('collation.unique_key', 'warn', 'Collation may merge keys', `${name} ${key} lands in ${r.collation}, which ignores case/trailing spaces; the data was not checked (too large or not comparable)`, fix, obj));
    } else if (groups > 0) {
      out.push(check('collation.unique_key', 'fail', 'Collation merges keys', `${name} ${key}: ${groups} group(s) of distinct source values compare equal under the target collation ${r.collation}; the load would fail with duplicate keys`, fix, obj));
    } else {
      out.push(check('collation.unique_key', 'pass', 'Collation', `${name} ${key} lands in ${r.collation}; no values collide in the current data (new ones differing only in case will be rejected)`, undefined, obj));
    }
  }
  if (out.length === 0) out.push(check('collation', 'pass', 'Collations', 'no unique key lands in a looser collation than the source compares with'));
  return out;
}
