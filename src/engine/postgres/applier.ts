// Applies replicated transactions to a PostgreSQL target idempotently, recording each applied source
// transaction in ferry_meta.cdc_applied in the same target transaction (exactly-once).
import pg from 'pg';
import type { ConnectionConfig } from '../connection';
import type { TargetValue } from '../convert/types';
import { qualifiedKey } from '../model';
import type { SourcePosition } from '../position';
import { PG_SESSION_SQL } from '../sessions';
import { type DdlChange, type PreparedTransaction, type TargetRowChange, isTruncate } from '../cdc/events';
import type { CdcState, TargetApplier } from '../cdc/target';
import type { TablePlan } from '../cdc/writeset';
import { connectPostgres, pgClientConfig, pgConnectError, quotePgIdent as q } from './connect';

const META = 'ferry_meta';

/** Types without an equality operator: compared as text when matching a row of a table without a key. */
const NO_EQUALITY = /^(json|xml|point|line|lseg|box|path|polygon|circle)\b/i;

interface TableSql {
  name: string;
  cols: string[];
  writable: number[];
  upsert: string;
  deleteByKey: string;
  keyWhere: (offset: number) => string;
}

function tableSql(plan: TablePlan): TableSql {
  const t = plan.mapping.target;
  const name = `${q(t.schema)}.${q(t.name)}`;
  const writable = plan.writable.map((w, i) => (w ? i : -1)).filter((i) => i >= 0);
  const cols = plan.mapping.columns.map((c) => c.target.name);
  const list = writable.map((i) => q(cols[i])).join(', ');
  const marks = writable.map((_, n) => `$${n + 1}`).join(', ');
  const keyNames = plan.keyColumns.map((k) => cols[k]);
  const nonKey = writable.filter((i) => !plan.keyColumns.includes(i));
  // Identity ALWAYS columns only take the source's values with OVERRIDING SYSTEM VALUE.
  const overriding = plan.mapping.columns.some((c) => c.target.identity?.kind === 'always') ? ' OVERRIDING SYSTEM VALUE' : '';
  const conflict = keyNames.length === 0 ? ''
    : nonKey.length === 0 ? ` ON CONFLICT (${keyNames.map(q).join(', ')}) DO NOTHING`
      : ` ON CONFLICT (${keyNames.map(q).join(', ')}) DO UPDATE SET ${nonKey.map((i) => `${q(cols[i])} = EXCLUDED.${q(cols[i])}`).join(', ')}`;
  const keyWhere = (offset: number) => keyNames.map((k, n) => `${q(k)} = $${offset + n + 1}`).join(' AND ');
  return {
    name, cols, writable, keyWhere,
    upsert: `INSERT INTO ${name} (${list})${overriding} VALUES (${marks})${conflict}`,
    deleteByKey: `DELETE FROM ${name} WHERE ${keyWhere(0)}`,
  };
}

/** Estimated transaction bytes queued in one pipeline before waiting for the answers. */
const PIPELINE_BYTES = 2 * 1024 * 1024;

/** Most statement texts given a server-side name; beyond it (no-key tables of many shapes) they run unnamed. */
const MAX_NAMED = 2000;

/**
 * Statement names shared by every apply session: each text gets one name, and pg parses it once per
 * connection. PostgreSQL then skips parse and (after a few runs) planning for every row.
 */
class StatementNames {
  private readonly names = new Map<string, string>();
  private next = 1;

  config(text: string, values: unknown[] | undefined): pg.QueryConfig {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < MAX_NAMED) {
      name = `ferry_cdc_${this.next++}`;
      this.names.set(text, name);
    }
    return name === undefined ? { text, values } : { name, text, values };
  }

  /** After target DDL: a prepared statement keeps its parameter types, so the same text gets a new name. */
  forget(): void {
    this.names.clear();
  }
}

interface Corkable { cork(): void; uncork(): void }

/**
 * One batch's statements sent back to back on a pipelined session (pg `pipeline: true`): the socket is
 * corked while they are queued, so a batch travels in one write and its answers come back in one stream.
 * Only a statement whose result decides the next one is awaited on its own. A failing statement aborts the
 * target transaction, so the statements after it fail too and nothing of the batch commits.
 */
class StatementPipeline {
  private readonly inFlight: Promise<unknown>[] = [];
  private failure: unknown;
  private corked = false;

  constructor(private readonly c: pg.Client, private readonly names: StatementNames) {}

  private get socket(): Corkable | undefined {
    return (this.c as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
  }

  send(text: string, values?: unknown[]): void {
    void this.run(text, values).catch(() => undefined);
  }

  run(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    if (!this.corked) { this.socket?.cork(); this.corked = true; }
    const p = this.c.query(this.names.config(text, values));
    // The first failure is the cause; the statements after it only report the aborted transaction.
    this.inFlight.push(p.catch((err: unknown) => { this.failure ??= err; }));
    return p;
  }

  /** Puts what is queued on the wire; called before anything waits for an answer. */
  flush(): void {
    if (this.corked) { this.corked = false; this.socket?.uncork(); }
  }

  async result(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    const p = this.run(text, values);
    this.flush();
    return p;
  }

  /** Waits for every answer; throws the first failure. */
  async settle(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight.splice(0));
    if (this.failure !== undefined) throw this.failure;
  }
}

const sameValue = (a: TargetValue | undefined, b: TargetValue | undefined) =>
  Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b;

export class PostgresApplier implements TargetApplier {
  private readonly sql = new Map<number, TableSql>();
  private readonly names = new StatementNames();
  private admin?: pg.Client;

  /**
   * `replicaRole`: the source is PostgreSQL, whose log already carries every cascaded change and trigger
   * effect: apply sessions run with session_replication_role = replica (no FK or user triggers fire). From a
   * MySQL source, cascades are not in the binlog, so FKs stay enforced (deferred where deferrable) and the
   * write-sets order parent and child changes.
   */
  constructor(private readonly target: ConnectionConfig, private readonly task: string, private readonly plans: () => TablePlan[],
    private replicaRole: boolean) {}

  invalidate(index: number): void {
    this.sql.delete(index);
    this.names.forget();
  }

  private tableSql(index: number): TableSql {
    let s = this.sql.get(index);
    if (!s) { s = tableSql(this.plans()[index]); this.sql.set(index, s); }
    return s;
  }

  private async adminClient(): Promise<pg.Client> {
    if (!this.admin) {
      this.admin = await connectPostgres(this.target);
      for (const s of PG_SESSION_SQL) await this.admin.query(s);
    }
    return this.admin;
  }

  async loadState(): Promise<CdcState> {
    const c = await this.adminClient();
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${META}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${META}.cdc_applied (task text NOT NULL, tx_key text NOT NULL, source_tx text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (task, tx_key))`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${META}.cdc_state (task text PRIMARY KEY, tx_key text NOT NULL, position text NOT NULL,
      lag_seconds double precision, updated_at timestamptz NOT NULL DEFAULT now())`);
    const state = await c.query(`SELECT tx_key, position FROM ${META}.cdc_state WHERE task = $1`, [this.task]);
    const applied = await c.query(`SELECT tx_key FROM ${META}.cdc_applied WHERE task = $1`, [this.task]);
    const out: CdcState = { applied: new Set(applied.rows.map((r: { tx_key: string }) => r.tx_key)) };
    if (state.rows[0]) out.lowWater = { key: state.rows[0].tx_key, position: JSON.parse(state.rows[0].position) as SourcePosition };
    return out;
  }

  async saveLowWater(key: string, position: SourcePosition, lagSeconds: number): Promise<void> {
    const c = await this.adminClient();
    await c.query('BEGIN');
    try {
      await c.query(`INSERT INTO ${META}.cdc_state (task, tx_key, position, lag_seconds, updated_at) VALUES ($1, $2, $3, $4, now())
        ON CONFLICT (task) DO UPDATE SET tx_key = EXCLUDED.tx_key, position = EXCLUDED.position, lag_seconds = EXCLUDED.lag_seconds, updated_at = EXCLUDED.updated_at`,
      [this.task, key, JSON.stringify(position), lagSeconds]);
      await c.query(`DELETE FROM ${META}.cdc_applied WHERE task = $1 AND tx_key <= $2`, [this.task, key]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      // A killed or lost session is not reused: the next save opens a new one (else the mark never moves again,
      // and neither does the slot's confirmed position, which holds WAL on the source and a source shutdown).
      this.admin = undefined;
      await c.end().catch(() => undefined);
      throw err;
    }
  }

  async openWorker(): Promise<PgWorker> {
    const w = new PgWorker(this);
    await w.reset();
    return w;
  }

  /** @internal A pipelined apply session (statements of a batch are sent without waiting for each answer). */
  async session(): Promise<pg.Client> {
    const c = new pg.Client({ ...pgClientConfig(this.target), pipeline: true } as pg.ClientConfig);
    // A server-side disconnect must not crash the process; the next statement reports it.
    c.on('error', () => undefined);
    try {
      await c.connect();
    } catch (err) {
      await c.end().catch(() => undefined);
      throw pgConnectError(err, this.target);
    }
    for (const s of PG_SESSION_SQL) await c.query(s);
    if (this.replicaRole) {
      try {
        await c.query('SET session_replication_role = replica');
      } catch (err) {
        if ((err as { code?: string }).code !== '42501') throw err;
        // Not a superuser: FKs stay on but deferred where deferrable; write-sets order parents and children.
        this.replicaRole = false;
      }
    }
    return c;
  }

  /**
   * @internal Applies one batch on `c` in one transaction: BEGIN, the row changes and the applied marks go
   * out as one pipeline; COMMIT is sent only once every one of them succeeded.
   */
  async applyBatch(c: pg.Client, batch: PreparedTransaction[]): Promise<void> {
    const p = new StatementPipeline(c, this.names);
    try {
      p.send('BEGIN');
      if (!this.replicaRole) p.send('SET CONSTRAINTS ALL DEFERRED');
      let unanswered = 0;
      for (const tx of batch) {
        for (const stmt of tx.ddlSql ?? []) p.send(stmt);
        for (const ch of tx.changes) {
          const waiting = this.applyChange(p, ch);
          if (waiting) await waiting;
        }
        // Large transactions: the statements' values sit in the socket's buffer until sent, so the pipeline
        // waits for the answers every few MB instead of holding a whole batch's worth at once.
        unanswered += tx.bytes ?? 0;
        if (unanswered > PIPELINE_BYTES) { await p.settle(); unanswered = 0; }
      }
      p.send(`INSERT INTO ${META}.cdc_applied (task, tx_key, source_tx) SELECT $1, k, s FROM unnest($2::text[], $3::text[]) AS m(k, s)`,
        [this.task, batch.map((tx) => tx.source.key), batch.map((tx) => tx.source.id)]);
      await p.settle();
      await c.query('COMMIT');
    } catch (err) {
      await p.settle().catch(() => undefined);
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Queues one change; returns a promise only when the change needs an answer before the next statement. */
  private applyChange(p: StatementPipeline, ch: TargetRowChange): Promise<void> | undefined {
    const plan = this.plans()[ch.table];
    const s = this.tableSql(ch.table);
    const values = (row: (TargetValue | undefined)[]) => s.writable.map((i) => row[i] ?? null);
    if (ch.kind === 'insert') { p.send(s.upsert, values(ch.after as TargetValue[])); return undefined; }
    if (plan.keyColumns.length === 0) { this.applyWithoutKey(p, ch, s, plan); return undefined; }
    const oldKey = ch.oldKey as TargetValue[];
    if (ch.kind === 'delete') { p.send(s.deleteByKey, oldKey); return undefined; }
    const after = ch.after as TargetValue[];
    const keep = ch.unchanged;
    const keyChanged = plan.keyColumns.some((k, i) => !sameValue(after[k], oldKey[i]));
    if (!keyChanged && !keep?.some(Boolean)) { p.send(s.upsert, values(after)); return undefined; }
    return this.updateByOldKey(p, s, plan, oldKey, after, keep, keyChanged);
  }

  /** A key-changing update, or one with unchanged TOAST values: UPDATE by the old key, insert when it matched nothing. */
  private async updateByOldKey(p: StatementPipeline, s: TableSql, plan: TablePlan, oldKey: TargetValue[], after: TargetValue[],
    keep: boolean[] | undefined, keyChanged: boolean): Promise<void> {
    // At this transaction's commit the source held no other row at the new key, so a row found there on the
    // target is a leftover of an earlier replay of later changes: it goes first, or the UPDATE would collide.
    if (keyChanged) p.send(s.deleteByKey, plan.keyColumns.map((k) => after[k] ?? null));
    // Unchanged TOAST values keep the target's current value: they are simply not SET.
    const set = s.writable.filter((i) => !keep?.[i]);
    const res = await p.result(`UPDATE ${s.name} SET ${set.map((i, n) => `${q(s.cols[i])} = $${n + 1}`).join(', ')} WHERE ${s.keyWhere(set.length)}`,
      [...set.map((i) => after[i] ?? null), ...oldKey]);
    if (res.rowCount === 0 && !keep?.some(Boolean)) p.send(s.upsert, s.writable.map((i) => after[i] ?? null));
  }

  /** No key: match the whole old row (IS NOT DISTINCT FROM) and touch exactly one row (by ctid). */
  private applyWithoutKey(p: StatementPipeline, ch: TargetRowChange, s: TableSql, plan: TablePlan): void {
    const before = ch.before ?? [];
    const params: TargetValue[] = [];
    const where: string[] = [];
    const offset = ch.kind === 'update' ? s.writable.filter((i) => !ch.unchanged?.[i]).length : 0;
    s.writable.forEach((i) => {
      if (before[i] === undefined) return;
      params.push(before[i] as TargetValue);
      const native = plan.mapping.columns[i].target.native;
      where.push(NO_EQUALITY.test(native) ? `${q(s.cols[i])}::text IS NOT DISTINCT FROM $${offset + params.length}::text`
        : `${q(s.cols[i])} IS NOT DISTINCT FROM $${offset + params.length}`);
    });
    const one = `ctid = (SELECT ctid FROM ${s.name} WHERE ${where.length > 0 ? where.join(' AND ') : 'true'} LIMIT 1)`;
    if (ch.kind === 'delete') { p.send(`DELETE FROM ${s.name} WHERE ${one}`, params); return; }
    const after = ch.after as TargetValue[];
    const set = s.writable.filter((i) => !ch.unchanged?.[i]);
    p.send(`UPDATE ${s.name} SET ${set.map((i, n) => `${q(s.cols[i])} = $${n + 1}`).join(', ')} WHERE ${one}`,
      [...set.map((i) => after[i] ?? null), ...params]);
  }

  ddlStatements(ddl: DdlChange, plans: TablePlan[]): { statements: string[] } | { reason: string; fix: string } {
    const targets = ddl.tables.map((t) => plans.find((p) => qualifiedKey(p.mapping.source) === qualifiedKey(t))).filter((p): p is TablePlan => !!p);
    if (isTruncate(ddl)) {
      const flags = `${ddl.truncate?.restartIdentity ? ' RESTART IDENTITY' : ''}${ddl.truncate?.cascade ? ' CASCADE' : ''}`;
      return { statements: [`TRUNCATE ${targets.map((p) => `${q(p.mapping.target.schema)}.${q(p.mapping.target.name)}`).join(', ')}${flags}`] };
    }
    return { reason: `the source changed ${ddl.tables.map(qualifiedKey).join(', ')} (${ddl.statement.slice(0, 200)}) and Ferry cannot convert this change to PostgreSQL automatically`,
      fix: 'apply the equivalent change on the target by hand, then resume the task (ferry run); the paused table catches up from where it stopped' };
  }

  async close(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
  }
}

class PgWorker {
  private client?: pg.Client;
  constructor(private readonly applier: PostgresApplier) {}

  async apply(batch: PreparedTransaction[]): Promise<void> {
    if (!this.client) this.client = await this.applier.session();
    await this.applier.applyBatch(this.client, batch);
  }

  async reset(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = await this.applier.session();
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}
