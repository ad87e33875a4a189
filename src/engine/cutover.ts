// The business switch: drain replication to lag 0 (optionally with the source read-only), move
// sequences / auto-increment past the source's values, verify, stop replication, report.
import type { CutoverReport, Passwords } from './api';
import { runIncremental } from './cdc/replicator';
import type { ConnectionConfig } from './connection';
import type { Conversion } from './convert/index';
import { FerryError, asFerryError } from './errors';
import { TaskEvents } from './events';
import { openMetaStore } from './meta';
import type { QualifiedName } from './model';
import { quoteMysqlIdent } from './mysql/connect';
import { formatPosition } from './position';
import { quotePgIdent, quotePgLiteral } from './postgres/connect';
import { applyPhases, buildReport, convertTaskSchema, isTrigger } from './schema';
import { type SqlSession, withSession } from './sql-session';
import { type Task, taskConnections, validateTask } from './task';
import { runFullLoad } from './fullload/index';
import { verifyTables } from './verify';

export interface CutoverOptions {
  /** Make the source read-only before the final drain (MySQL: read_only=ON; PostgreSQL: the database
   * defaults to read-only transactions and open sessions are ended). */
  readOnlySource?: boolean;
  /**
   * Prepare reverse replication for a rollback: a task from the new primary back to the old source, whose start
   * position is taken at the switch (before the application writes to the new primary). `ferry run` of the
   * returned task keeps the old source current.
   */
  reverse?: boolean;
  signal?: AbortSignal;
  events?: TaskEvents;
}

type Step = CutoverReport['steps'][number];

export async function cutoverTask(task: Task, passwords: Passwords, opts: CutoverOptions = {}): Promise<CutoverReport> {
  const events = opts.events ?? new TaskEvents(task.name);
  const signal = opts.signal ?? new AbortController().signal;
  const { source, target } = taskConnections(task, passwords);
  const startedAt = new Date().toISOString();
  const steps: Step[] = [];
  const step = async <T>(name: string, fn: () => Promise<{ detail: string; value?: T; ok?: boolean }>): Promise<T | undefined> => {
    const t0 = Date.now();
    events.log(`cutover: ${name}…`);
    try {
      const r = await fn();
      steps.push({ name, ok: r.ok ?? true, detail: r.detail, seconds: (Date.now() - t0) / 1000 });
      return r.value;
    } catch (err) {
      const e = asFerryError(err);
      steps.push({ name, ok: false, detail: e.oneLine(), seconds: (Date.now() - t0) / 1000 });
      throw e;
    }
  };

  events.emit({ type: 'phase', phase: 'cutover', status: 'started' });
  const meta = await openMetaStore(target, task.name);
  let finalPosition = '';
  let rows = 0;
  let differences = 0;
  let readOnly = false;
  let reverseTask: Task | undefined;
  try {
    const record = await meta.loadTask();
    if (!record?.snapshot) {
      throw new FerryError('NOT_STARTED', `task "${task.name}" has not been started on this target`, { fix: 'run `ferry run` first; cutover switches a running migration' });
    }
    if (record.state === 'switched') {
      throw new FerryError('ALREADY_SWITCHED', `task "${task.name}" was already switched over`, { fix: 'nothing to do; start a new task for another migration' });
    }
    const start = record.snapshot;
    const conversion = await convertTaskSchema(task, source, target);

    await step('drain replication to lag 0', async () => {
      const r = await runIncremental({ task, source, target, tables: conversion.tables, start, events, signal, parallelism: task.parallelism, until: 'caught-up' });
      return { detail: `caught up at ${formatPosition(r.position)}` };
    });

    if (opts.readOnlySource) {
      await step('make the source read-only', async () => {
        const detail = await withSession(source, (s) => makeReadOnly(s, source));
        readOnly = true;
        return { detail };
      });
      await step('apply the last changes', async () => {
        const r = await runIncremental({ task, source, target, tables: conversion.tables, start, events, signal, parallelism: task.parallelism, until: 'caught-up' });
        return { detail: `caught up at ${formatPosition(r.position)}` };
      });
    }

    await step('move sequences and auto-increment past the source', async () => {
      const moved = await syncSequences(source, target, conversion);
      return { detail: moved.length === 0 ? 'no identity/sequence columns' : `${moved.length} set: ${moved.slice(0, 6).join(', ')}${moved.length > 6 ? ', …' : ''}` };
    });

    const verify = await step('final verify', async () => {
      const report = await verifyTables({ source, target, tables: conversion.tables, chunkRows: 20_000, signal, events });
      rows = report.rowsCompared;
      // Listed row differences, or the row-count gap of a table whose rows could not be listed.
      differences = report.tables.reduce((n, t) => n + (t.differences.length || Math.abs(t.sourceRows - t.targetRows)), 0);
      return { detail: report.equal ? `equal: ${report.tables.length} tables, ${report.rowsCompared} rows` : `${differences} differences`, value: report, ok: report.equal };
    });

    await step('stop replication', async () => {
      const state = await meta.loadTask();
      finalPosition = typeof state?.details.position === 'string' ? state.details.position : formatPosition(start);
      if (start.engine === 'postgres') {
        await withSession(source, async (s) => {
          // The database may default to read-only transactions now (readOnlySource); Ferry's own cleanup may write.
          await s.query('SET default_transaction_read_only = off');
          await s.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, [start.slot]);
          await s.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [start.slot]);
          await s.query(`DROP PUBLICATION IF EXISTS ${quotePgIdent(start.publication)}`);
        });
        return { detail: `dropped replication slot ${start.slot} and publication ${start.publication}` };
      }
      return { detail: `binlog reading stopped at ${finalPosition}` };
    });

    if (task.phases.includes('schema')) {
      await step('create triggers on the target', async () => {
        const report = buildReport(conversion, task.schemaOverrides);
        const results = await applyPhases(target, report, ['post-data', 'finalize'], { events, signal, only: isTrigger });
        const failed = results.filter((r) => !r.ok);
        return { ok: failed.length === 0, detail: results.length === 0 ? 'no triggers to create'
          : failed.length === 0 ? `${results.length} created` : `${failed.length} of ${results.length} failed: ${failed[0].id}: ${failed[0].error}` };
      });
    }

    await meta.saveTask({ phase: 'cutover', state: verify?.equal ? 'switched' : 'failed', lastError: verify?.equal ? null : `${differences} differences at cutover`,
      details: { switchedAt: new Date().toISOString(), finalPosition } });
    if (opts.reverse) {
      reverseTask = await step('prepare reverse replication (rollback)', async () => {
        const reverse = await prepareReverse(task, source, target, events, signal);
        return { detail: `the reverse task ${reverse.name} starts at the switch position; run it with \`ferry run\` to keep the old source current`, value: reverse };
      });
    }
    events.emit({ type: 'phase', phase: 'cutover', status: 'finished' });
  } finally {
    await meta.close();
  }
  return { startedAt, finishedAt: new Date().toISOString(), finalPosition, rows, differences, sourceReadOnly: readOnly, steps, reverseTask };
}

/**
 * Builds the reverse task (new primary -> old source, incremental only, the same tables) and takes its start
 * position now, so every write the application makes on the new primary after the switch reaches the old source.
 * Refused when the reverse mapping would not land on the old source's existing tables.
 */
async function prepareReverse(task: Task, source: ConnectionConfig, target: ConnectionConfig, events: TaskEvents, signal: AbortSignal): Promise<Task> {
  if (target.engine === 'mysql') {
    const probe = await withSession(target, (s) => s.query('SELECT @@log_bin AS b, @@binlog_format AS f'));
    if (String(probe[0]?.b) !== '1' || probe[0]?.f !== 'ROW') {
      throw new FerryError('REVERSE_NEEDS_BINLOG', 'the new primary (the target) has no ROW binlog, so changes cannot flow back to the old source',
        { fix: 'set log_bin, binlog_format=ROW and binlog_row_image=FULL on the target and restart it, then prepare the reverse task again' });
    }
  }
  const forward = await convertTaskSchema(task, source, target);
  const reverse = validateTask({
    name: `${task.name}-reverse`.slice(0, 63),
    source: task.target,
    target: task.source,
    phases: ['incremental'],
    objects: { include: forward.tables.map((m) => `${m.target.schema}.${m.target.name}`), exclude: [] },
    parallelism: task.parallelism,
    options: { ...task.options, ...(source.engine === 'postgres' && forward.source.namespaces.length === 1 ? { targetSchema: forward.source.namespaces[0] } : {}) },
  });
  const back = await convertTaskSchema(reverse, target, source);
  const expected = new Set(forward.tables.map((m) => `${m.source.schema}.${m.source.name}`));
  const lands = back.tables.map((m) => `${m.target.schema}.${m.target.name}`);
  const strays = lands.filter((n) => !expected.has(n));
  if (strays.length > 0 || lands.length !== expected.size) {
    throw new FerryError('REVERSE_MAPPING', `the reverse mapping does not land on the old source's tables (${strays.slice(0, 5).join(', ') || 'tables missing'})`,
      { fix: 'reverse replication needs names that map back one to one (identifierCase "preserve" for mixed-case MySQL names, a single PostgreSQL schema)' });
  }
  // Only the position is taken (no rows are copied): the old source already holds every row.
  await runFullLoad({ task: reverse, source: target, target: source, tables: back.tables, events, signal, parallelism: 1, chunkRows: task.options.chunkRows, copyRows: false });
  return reverse;
}

async function makeReadOnly(s: SqlSession, source: ConnectionConfig): Promise<string> {
  if (s.engine === 'mysql') {
    // read_only waits for running commits and then refuses writes from users without READ ONLY ADMIN/SUPER.
    await s.query('SET GLOBAL read_only = ON');
    return 'SET GLOBAL read_only = ON (undo with SET GLOBAL read_only = OFF)';
  }
  await s.query(`ALTER DATABASE ${quotePgIdent(source.database)} SET default_transaction_read_only = on`);
  const ended = await s.query(`SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
    WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND application_name NOT LIKE 'ferry%'`, [source.database]);
  return `database ${source.database} defaults to read-only transactions; ${String(ended[0]?.n ?? 0)} open sessions ended (undo with ALTER DATABASE … SET default_transaction_read_only = off)`;
}

/**
 * Sets every target identity / auto-increment / sequence to at least the source's next value and above
 * the target's largest key, so the first insert after the switch cannot collide.
 */
async function syncSequences(source: ConnectionConfig, target: ConnectionConfig, conversion: Conversion): Promise<string[]> {
  const moved: string[] = [];
  const identities = conversion.tables.flatMap((t) => t.columns.filter((c) => c.source.identity).map((c) => ({ table: t, column: c })));
  // Source next values, read fresh (the introspection in `conversion` may be hours old).
  const sourceNext = await withSession(source, async (s) => {
    const out = new Map<string, bigint>();
    for (const { table, column } of identities) {
      const rows = s.engine === 'mysql'
        ? await s.query(`SELECT COALESCE(MAX(${quoteMysqlIdent(column.source.name)}), 0) + 1 AS n FROM ${quoteMysqlIdent(table.source.schema)}.${quoteMysqlIdent(table.source.name)}`)
        : await s.query(`SELECT COALESCE(MAX(${quotePgIdent(column.source.name)}), 0) + 1 AS n FROM ${quotePgIdent(table.source.schema)}.${quotePgIdent(table.source.name)}`);
      let next = BigInt(String(rows[0]?.n ?? '1'));
      const declared = column.source.identity?.next;
      if (declared && /^\d+$/.test(declared) && BigInt(declared) > next) next = BigInt(declared);
      if (s.engine === 'postgres') {
        // Values a sequence handed out are spent even when their transaction rolled back: read it as it is now.
        const seq = await s.query(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [`${quotePgIdent(table.source.schema)}.${quotePgIdent(table.source.name)}`, column.source.name]);
        if (seq[0]?.seq) {
          const cur = await s.query(`SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS n FROM ${String(seq[0].seq)}`);
          const n = BigInt(String(cur[0]?.n ?? '1'));
          if (n > next) next = n;
        }
      }
      out.set(`${table.source.schema}.${table.source.name}.${column.source.name}`, next);
    }
    if (s.engine === 'mysql') {
      const rows = await s.query(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, AUTO_INCREMENT AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND AUTO_INCREMENT IS NOT NULL`, [source.database]);
      for (const r of rows) {
        for (const { table, column } of identities) {
          if (table.source.schema === r.s && table.source.name === r.t) {
            const key = `${table.source.schema}.${table.source.name}.${column.source.name}`;
            const n = BigInt(String(r.n));
            if (n > (out.get(key) ?? 0n)) out.set(key, n);
          }
        }
      }
    }
    return out;
  });
  await withSession(target, async (s) => {
    for (const { table, column } of identities) {
      const next = sourceNext.get(`${table.source.schema}.${table.source.name}.${column.source.name}`) ?? 1n;
      const q: QualifiedName = { schema: table.target.schema, name: table.target.name };
      if (s.engine === 'postgres') {
        const seq = await s.query(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [`${quotePgIdent(q.schema)}.${quotePgIdent(q.name)}`, column.target.name]);
        const name = seq[0]?.seq;
        if (!name) continue;
        const max = await s.query(`SELECT COALESCE(MAX(${quotePgIdent(column.target.name)}), 0) + 1 AS n FROM ${quotePgIdent(q.schema)}.${quotePgIdent(q.name)}`);
        const value = bigMax(next, BigInt(String(max[0]?.n ?? '1')));
        await s.query(`SELECT setval(${quotePgLiteral(String(name))}, ${value.toString()}, false)`);
        moved.push(`${q.name}.${column.target.name} -> ${value}`);
      } else {
        const max = await s.query(`SELECT COALESCE(MAX(${quoteMysqlIdent(column.target.name)}), 0) + 1 AS n FROM ${quoteMysqlIdent(q.schema)}.${quoteMysqlIdent(q.name)}`);
        const value = bigMax(next, BigInt(String(max[0]?.n ?? '1')));
        await s.query(`ALTER TABLE ${quoteMysqlIdent(q.schema)}.${quoteMysqlIdent(q.name)} AUTO_INCREMENT = ${value.toString()}`);
        moved.push(`${q.name}.${column.target.name} -> ${value}`);
      }
    }
    // Standalone sequences (PostgreSQL -> PostgreSQL, and MariaDB SEQUENCE objects) follow the source's next value.
    for (const seq of conversion.target.sequences) {
      if (seq.ownedBy) continue;
      const src = conversion.source.sequences.find((x) => {
        const t = conversion.ids.table({ schema: x.schema, name: x.name });
        return t.schema === seq.schema && t.name === seq.name;
      });
      if (!src) continue;
      const next = await withSession(source, async (ss) => {
        const r = ss.engine === 'postgres'
          ? await ss.query(`SELECT CASE WHEN is_called THEN last_value + increment_by ELSE last_value END AS n FROM ${quotePgIdent(src.schema)}.${quotePgIdent(src.name)}, pg_sequences WHERE schemaname = $1 AND sequencename = $2`, [src.schema, src.name])
          // Reading a MariaDB sequence's table does not consume a value (NEXTVAL would change the source).
          : await ss.query(`SELECT next_not_cached_value AS n FROM ${quoteMysqlIdent(src.schema)}.${quoteMysqlIdent(src.name)}`);
        return String(r[0]?.n ?? src.next);
      });
      if (s.engine === 'postgres') await s.query(`SELECT setval(${quotePgLiteral(`${quotePgIdent(seq.schema)}.${quotePgIdent(seq.name)}`)}, ${next}, false)`);
      else await s.query(`SELECT SETVAL(${quoteMysqlIdent(seq.schema)}.${quoteMysqlIdent(seq.name)}, ${next}, 0)`);
      moved.push(`${seq.name} -> ${next}`);
    }
  });
  return moved;
}

function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
