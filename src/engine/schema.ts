// The schema phase: reading the source schema, converting it, and applying the DDL to the target by phase.
import { randomBytes } from 'node:crypto';
import type { ConnectionConfig } from './connection';
import { type Conversion, convertSchema } from './convert/index';
import { buildReport } from './convert/report';
import type { ConversionReport, ConvertedObject, DdlPhase } from './convert/types';
import { FerryError, asFerryError, isRetryable } from './errors';
import type { TaskEvents } from './events';
import type { EngineKind, Schema } from './model';
import { introspectMysql } from './mysql/introspect';
import { quoteMysqlIdent } from './mysql/connect';
import { introspectPostgres } from './postgres/introspect';
import { quotePgIdent } from './postgres/connect';
import { MysqlSession, PostgresSession, type SqlSession, openSession, withSession } from './sql-session';
import { splitStatements } from './sql-split';
import { type Task, objectFilter } from './task';

/** Reads the source schema of a task (the objects its filter selects). */
export async function introspectSource(source: ConnectionConfig, task: Pick<Task, 'objects'>): Promise<Schema> {
  const filter = objectFilter(task.objects);
  const session = await openSession(source);
  try {
    if (session instanceof MysqlSession) return await introspectMysql(session.conn, source.database, filter);
    if (session instanceof PostgresSession) return await introspectPostgres(session.client, { filter });
    throw new FerryError('INTERNAL', `no introspection for ${source.engine}`);
  } finally {
    await session.close();
  }
}

/** Introspects and converts a task's source schema for its target. */
export async function convertTaskSchema(task: Task, source: ConnectionConfig, target: ConnectionConfig): Promise<Conversion> {
  const schema = await introspectSource(source, task);
  return convertSchema(schema, target.engine, {
    lossless: task.options.lossless,
    identifierCase: task.options.identifierCase,
    targetSchema: task.options.targetSchema,
    targetDatabase: target.database,
  });
}

export interface ObjectResult {
  id: string;
  ok: boolean;
  error?: string;
  /** Not attempted because an object it depends on failed (or the phase's transaction rolled back). */
  skipped?: boolean;
}

/** What already exists on the target among the tables and views the report would create, with row counts. */
export async function existingTargetObjects(target: ConnectionConfig, report: ConversionReport): Promise<{ id: string; rows: number }[]> {
  const wanted = report.objects.filter((o) => (o.kind === 'table' || o.kind === 'view') && o.phase !== 'finalize');
  if (wanted.length === 0) return [];
  return withSession(target, async (s) => {
    const found: { id: string; rows: number }[] = [];
    const rows = s.engine === 'postgres'
      ? await s.query(`SELECT n.nspname AS s, c.relname AS n, c.relkind::text AS k FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','f')`)
      : await s.query(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n, TABLE_TYPE AS k FROM information_schema.TABLES`);
    const exists = new Set(rows.map((r) => `${String(r.s)}.${String(r.n)}`));
    for (const o of wanted) {
      const name = o.id.slice(o.id.indexOf(':') + 1);
      if (!exists.has(name)) continue;
      let count = 0;
      if (o.kind === 'table') {
        const [schema, table] = splitQualified(name);
        const q = s.engine === 'postgres' ? `SELECT count(*) AS c FROM (SELECT 1 FROM ${quotePgIdent(schema)}.${quotePgIdent(table)} LIMIT 1000000) x`
          : `SELECT count(*) AS c FROM (SELECT 1 FROM ${quoteMysqlIdent(schema)}.${quoteMysqlIdent(table)} LIMIT 1000000) x`;
        count = Number((await s.query(q))[0]?.c ?? 0);
      }
      found.push({ id: o.id, rows: count });
    }
    return found;
  });
}

/** Splits `schema.name` where the schema part has no dot (names may contain dots). */
function splitQualified(name: string): [string, string] {
  const i = name.indexOf('.');
  return [name.slice(0, i), name.slice(i + 1)];
}

function statementsOf(o: ConvertedObject, engine: EngineKind): string[] {
  return splitStatements(o.targetDdl, engine);
}

/**
 * Applies the report's objects of the given phases. PostgreSQL: 'pre-data' runs in one transaction, so a
 * failure leaves nothing behind; later phases run one transaction per object. MySQL/MariaDB DDL commits
 * implicitly, so objects run one by one. An object whose dependency failed is skipped, never half-applied.
 */
export interface ApplyOptions {
  events?: TaskEvents;
  signal?: AbortSignal;
  only?: (o: ConvertedObject) => boolean;
  /**
   * An interrupted run of the same task applied part of these objects: a statement whose object already
   * exists counts as applied (the target was checked free before the first run began), and PostgreSQL's
   * pre-data runs object by object so the rest can continue.
   */
  resume?: boolean;
  /**
   * Sessions for the post-data phase: indexes and constraints, then foreign keys, each built on this many
   * sessions at once (one table at a time per session, so two builds never queue on one table's lock).
   */
  parallel?: number;
}

/** The table an index, constraint or foreign key belongs to (its first table dependency), for grouping builds. */
function tableOf(o: ConvertedObject): string {
  return o.dependsOn.find((d) => d.startsWith('table:')) ?? o.id;
}

/**
 * Post-data objects in waves: indexes and constraints (a foreign key may need a unique index of the table it
 * references), then foreign keys, each wave's tables spread over `parallel` sessions; views, triggers and the rest
 * after them, in order, on `session`.
 */
async function applyPostData(target: ConnectionConfig, session: SqlSession, objects: ConvertedObject[], opts: ApplyOptions & { parallel: number }): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  // An object waiting on another object of this phase (an index of a partition on its parent's) keeps its order.
  const ids = new Set(objects.map((o) => o.id));
  const free = (o: ConvertedObject) => o.dependsOn.every((d) => !ids.has(d));
  const waves = [
    objects.filter((o) => (o.kind === 'index' || o.kind === 'constraint') && free(o)),
    objects.filter((o) => o.kind === 'foreign_key' && free(o)),
  ];
  // Extra sessions are opened once, as many as the widest wave can use, and serve both waves.
  const groupsOf = (wave: ConvertedObject[]) => {
    const groups = new Map<string, ConvertedObject[]>();
    for (const o of wave) {
      const list = groups.get(tableOf(o));
      if (list) list.push(o); else groups.set(tableOf(o), [o]);
    }
    return [...groups.values()].sort((a, b) => b.length - a.length);
  };
  const grouped = waves.map(groupsOf);
  const sessions: SqlSession[] = [session];
  try {
    const width = Math.min(opts.parallel, Math.max(...grouped.map((g) => g.length)));
    while (sessions.length < width) sessions.push(await openSession(target));
    for (const queue of grouped) {
      const worker = async (s: SqlSession) => {
        for (let g = queue.shift(); g; g = queue.shift()) results.push(...await applyOneByOne(s, g, target.engine, opts));
      };
      await Promise.all(sessions.map(worker));
    }
  } finally {
    for (const s of sessions.slice(1)) await s.close().catch(() => undefined);
  }
  const inWaves = new Set(waves.flat());
  const rest = objects.filter((o) => !inWaves.has(o));
  results.push(...await applyOneByOne(session, rest, target.engine, opts));
  return results;
}

export async function applyPhases(target: ConnectionConfig, report: ConversionReport, phases: DdlPhase[],
  opts: ApplyOptions = {}): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  const session = await openSession(target);
  try {
    if (target.engine === 'postgres') await session.query('SET check_function_bodies = off');
    for (const phase of phases) {
      const objects = report.objects.filter((o) => o.phase === phase && o.targetDdl.trim() !== '' && (opts.only?.(o) ?? true));
      if (objects.length === 0) continue;
      if (target.engine === 'postgres' && phase === 'pre-data' && !opts.resume) {
        results.push(...await applyAtomically(session, objects, opts));
      } else if (phase === 'post-data' && (opts.parallel ?? 1) > 1) {
        results.push(...await applyPostData(target, session, objects, { ...opts, parallel: opts.parallel ?? 1 }));
      } else {
        results.push(...await applyOneByOne(session, objects, target.engine, opts));
      }
    }
  } finally {
    await session.close();
  }
  return results;
}

async function applyAtomically(session: SqlSession, objects: ConvertedObject[], opts: ApplyOptions): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  await session.query('BEGIN');
  let failed = false;
  for (const o of objects) {
    if (failed || opts.signal?.aborted) { results.push({ id: o.id, ok: false, skipped: true }); continue; }
    try {
      for (const st of statementsOf(o, 'postgres')) await session.query(st);
      results.push({ id: o.id, ok: true });
    } catch (err) {
      // A lost connection is not a DDL error: the runner retries the phase (nothing of it was committed).
      if (isRetryable(err)) throw asFerryError(err, `applying ${o.id}`);
      failed = true;
      results.push({ id: o.id, ok: false, error: describeDbError(err) });
      opts.events?.emit({ type: 'error', code: 'DDL_FAILED', message: `${o.id}: ${describeDbError(err)}`, fix: 'fix the converted DDL (ferry schema / the diff view) and run again', retryable: false });
    }
  }
  if (failed || opts.signal?.aborted) {
    await session.query('ROLLBACK');
    // Nothing of this phase was kept: report the objects that had succeeded as rolled back.
    return results.map((r) => (r.ok ? { id: r.id, ok: false, skipped: true, error: 'rolled back: another object of this phase failed' } : r));
  }
  await session.query('COMMIT');
  return results;
}

async function applyOneByOne(session: SqlSession, objects: ConvertedObject[], engine: EngineKind, opts: ApplyOptions): Promise<ObjectResult[]> {
  const results: ObjectResult[] = [];
  const failed = new Set<string>();
  for (const o of objects) {
    if (opts.signal?.aborted) { results.push({ id: o.id, ok: false, skipped: true, error: 'cancelled' }); continue; }
    const blocker = o.dependsOn.find((d) => failed.has(d));
    if (blocker) {
      failed.add(o.id);
      results.push({ id: o.id, ok: false, skipped: true, error: `not applied: ${blocker} failed` });
      continue;
    }
    const pg = engine === 'postgres';
    try {
      // PostgreSQL: one transaction per object, a savepoint per statement (so a resumed run can step over
      // what exists). MySQL/MariaDB DDL commits implicitly, statement by statement.
      if (pg) await session.query('BEGIN');
      for (const st of statementsOf(o, engine)) {
        if (pg) await session.query('SAVEPOINT ferry_stmt');
        try {
          await session.query(st);
          if (pg) await session.query('RELEASE SAVEPOINT ferry_stmt');
        } catch (err) {
          if (pg) await session.query('ROLLBACK TO SAVEPOINT ferry_stmt').catch(() => undefined);
          if (!(opts.resume && alreadyExists(err))) throw err;
        }
      }
      if (pg) await session.query('COMMIT');
      results.push({ id: o.id, ok: true });
    } catch (err) {
      if (pg) await session.query('ROLLBACK').catch(() => undefined);
      if (isRetryable(err)) throw asFerryError(err, `applying ${o.id}`);
      failed.add(o.id);
      results.push({ id: o.id, ok: false, error: describeDbError(err) });
      opts.events?.emit({ type: 'error', code: 'DDL_FAILED', message: `${o.id}: ${describeDbError(err)}`, fix: 'fix the converted DDL (ferry schema / the diff view) and run again', retryable: false });
    }
  }
  return results;
}

/** The statement created something that exists already (an interrupted run got that far). */
function alreadyExists(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  if (e.code && ['42P07', '42710', '42P06', '42723', 'ER_TABLE_EXISTS_ERROR', 'ER_DUP_KEYNAME', 'ER_DB_CREATE_EXISTS',
    'ER_SP_ALREADY_EXISTS', 'ER_TRG_ALREADY_EXISTS', 'ER_FK_DUP_NAME'].includes(e.code)) return true;
  return /already exists|Duplicate (key|foreign key constraint|check constraint|constraint) name/i.test(e.message ?? '');
}

/** A database error as one line, with PostgreSQL's detail/hint when present. */
export function describeDbError(err: unknown): string {
  const e = err as { message?: string; detail?: string; hint?: string; sqlMessage?: string };
  const parts = [e.sqlMessage ?? e.message ?? String(err)];
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  return asFerryError(parts.join('; ')).message;
}

/**
 * Checks hand-edited DDL for one object against the target without changing it: PostgreSQL inside a
 * transaction that rolls back (the objects it depends on are created first in the same transaction);
 * MySQL/MariaDB in a scratch database that is dropped afterwards.
 */
export async function validateObjectDdl(target: ConnectionConfig, report: ConversionReport, objectId: string, ddl: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const object = report.objects.find((o) => o.id === objectId);
  if (!object) return { ok: false, error: `no object "${objectId}" in the conversion` };
  const edited: ConvertedObject = { ...object, targetDdl: ddl };
  const prerequisites = collectPrerequisites(report, object);
  if (target.engine === 'postgres') {
    return withSession(target, async (s) => {
      await s.query('BEGIN');
      try {
        await s.query('SET LOCAL check_function_bodies = off');
        // Objects already on the target (a schema applied earlier) are dropped inside the transaction first.
        for (const o of [...prerequisites, edited]) {
          for (const st of statementsOf(o, 'postgres')) {
            await s.query('SAVEPOINT ferry_validate');
            try {
              await s.query(st);
              await s.query('RELEASE SAVEPOINT ferry_validate');
            } catch (err) {
              await s.query('ROLLBACK TO SAVEPOINT ferry_validate');
              const already = (err as { code?: string }).code === '42P07' || (err as { code?: string }).code === '42710';
              if (o !== edited && already) continue;
              if (o === edited && already) {
                await dropForValidation(s, o);
                await s.query(st);
                continue;
              }
              if (o === edited) throw err;
            }
          }
        }
        return { ok: true as const };
      } catch (err) {
        return { ok: false as const, error: describeDbError(err) };
      } finally {
        await s.query('ROLLBACK').catch(() => undefined);
      }
    });
  }
  const scratch = `ferry_validate_${randomBytes(4).toString('hex')}`;
  const retarget = (sql: string) => sql.split(quoteMysqlIdent(target.database) + '.').join(quoteMysqlIdent(scratch) + '.');
  return withSession(target, async (s) => {
    await s.query(`CREATE DATABASE ${quoteMysqlIdent(scratch)} CHARACTER SET utf8mb4`);
    try {
      await s.query(`USE ${quoteMysqlIdent(scratch)}`);
      await s.query('SET foreign_key_checks = 0');
      for (const o of prerequisites) {
        for (const st of statementsOf(o, 'mysql')) await s.query(retarget(st)).catch(() => undefined);
      }
      for (const st of statementsOf(edited, 'mysql')) await s.query(retarget(st));
      return { ok: true as const };
    } catch (err) {
      return { ok: false as const, error: describeDbError(err).split(scratch).join(target.database) };
    } finally {
      await s.query(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(scratch)}`).catch(() => undefined);
    }
  }, null);
}

async function dropForValidation(s: SqlSession, o: ConvertedObject): Promise<void> {
  const name = o.id.slice(o.id.indexOf(':') + 1);
  const [schema, rest] = splitQualified(name);
  const kw: Partial<Record<ConvertedObject['kind'], string>> = { table: 'TABLE', view: 'VIEW', sequence: 'SEQUENCE', type: 'TYPE', index: 'INDEX' };
  const k = kw[o.kind];
  if (!k) return;
  const target = o.kind === 'index' ? rest.slice(rest.lastIndexOf('.') + 1) : rest;
  await s.query(`DROP ${k} ${quotePgIdent(schema)}.${quotePgIdent(target)} CASCADE`);
}

/** The objects that must exist before `object` can be created: its transitive dependencies, in report order. */
function collectPrerequisites(report: ConversionReport, object: ConvertedObject): ConvertedObject[] {
  const needed = new Set<string>();
  const visit = (id: string) => {
    for (const o of report.objects.filter((x) => x.id === id)) {
      for (const d of o.dependsOn) if (!needed.has(d)) { needed.add(d); visit(d); }
    }
  };
  visit(object.id);
  // A table's own pre-data rendering is needed for its indexes and constraints.
  if (object.phase !== 'pre-data') {
    const tableId = object.id.replace(/^(index|constraint|foreign_key|trigger):/, 'table:').replace(/\.[^.]*$/, '');
    if (tableId !== object.id) { needed.add(tableId); visit(tableId); }
  }
  return report.objects.filter((o) => needed.has(o.id) && o.id !== object.id && o.phase === 'pre-data' && o.targetDdl.trim() !== '');
}

/** Fails with an actionable error when the target already holds tables the schema phase would create. */
export async function assertTargetFree(target: ConnectionConfig, report: ConversionReport): Promise<void> {
  const existing = await existingTargetObjects(target, report);
  if (existing.length === 0) return;
  const withRows = existing.filter((e) => e.rows > 0);
  const list = existing.slice(0, 5).map((e) => `${e.id.replace(/^\w+:/, '')}${e.rows > 0 ? ` (${e.rows} rows)` : ''}`).join(', ');
  throw new FerryError('TARGET_NOT_EMPTY',
    `the target already has ${existing.length} of the objects to create${withRows.length ? `, ${withRows.length} holding rows` : ''}: ${list}${existing.length > 5 ? ', …' : ''}`,
    { fix: 'migrate into an empty database/schema, drop those objects, or exclude them in the task\'s "objects.exclude"' });
}

/**
 * Triggers go on the target at the switch, not before: during the full load and replication the source's
 * triggers have already done their work, and the changes they made arrive as rows of their own — a trigger
 * firing on the target would do it a second time.
 */
export const isTrigger = (o: ConvertedObject): boolean => o.kind === 'trigger';

export { buildReport };
