// Applies replicated transactions to a MySQL/MariaDB target idempotently, recording each applied source
// transaction in ferry_meta.cdc_applied in the same target transaction (exactly-once).
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { ConnectionConfig } from '../connection';
import type { TargetValue } from '../convert/types';
import { qualifiedKey } from '../model';
import type { SourcePosition } from '../position';
import { MYSQL_SESSION_SQL } from '../sessions';
import { type DdlChange, type PreparedTransaction, type TargetRowChange, isTruncate } from '../cdc/events';
import type { CdcState, TargetApplier } from '../cdc/target';
import type { TablePlan } from '../cdc/writeset';
import { FerryError } from '../errors';
import { BatchText, type RowInsert, Statement, matchedRows } from './apply-batch';
import { connectMysql, mysqlConnectError, mysqlOptions, quoteMysqlIdent as q } from './connect';

const META = '`ferry_meta`';

// Row changes travel as one text of statements per batch with values inlined (apply-batch.ts); the Ferry
// session's NO_BACKSLASH_ESCAPES is checked when a session opens, since the quoting relies on it.
// State statements (loadState, saveLowWater) use execute (server-side prepared statements).

interface TableSql {
  name: string;
  cols: string[];
  writable: number[];
  /** Upsert (keyed table) or plain insert (no key) of the writable columns; rows join one statement. */
  insert: RowInsert;
}

function tableSql(plan: TablePlan): TableSql {
  const t = plan.mapping.target;
  const name = `${q(t.schema)}.${q(t.name)}`;
  const writable = plan.writable.map((w, i) => (w ? i : -1)).filter((i) => i >= 0);
  const cols = plan.mapping.columns.map((c) => c.target.name);
  const list = writable.map((i) => q(cols[i])).join(', ');
  const nonKey = writable.filter((i) => !plan.keyColumns.includes(i));
  const update = (nonKey.length > 0 ? nonKey : writable.slice(0, 1)).map((i) => `${q(cols[i])} = VALUES(${q(cols[i])})`).join(', ');
  return {
    name, cols, writable,
    insert: { head: `INSERT INTO ${name} (${list}) VALUES `, tail: plan.keyColumns.length > 0 ? ` ON DUPLICATE KEY UPDATE ${update}` : '' },
  };
}

const sameValue = (a: TargetValue | undefined, b: TargetValue | undefined) =>
  Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b;

function noFormat(sql: string, values: unknown): string {
  if (Array.isArray(values) && values.length > 0) throw new FerryError('CDC_APPLY_QUERY', 'internal: values passed to query() on an apply session', { fix: 'report this as a bug' });
  return sql;
}

/** `col1 = v1 AND col2 = v2` for the key columns. */
/**
 * `value` as the right side of a comparison with column `i`. A BIT column compares as a number (a byte string
 * there is a DECIMAL conversion error in an UPDATE), a single-precision FLOAT only equals a value rounded to
 * single precision (its decimal text, e.g. 1.234 of a FLOAT(7,3), is a different double).
 */
function compared(stmt: Statement, plan: TablePlan, i: number, value: TargetValue): Statement {
  const t = plan.mapping.columns[i].target.type;
  const base = t.kind === 'domain' ? t.base : t;
  if (base.kind === 'bit' && Buffer.isBuffer(value)) return stmt.value(value.length === 0 ? '0' : BigInt(`0x${value.toString('hex')}`).toString());
  if (base.kind === 'float' && base.bytes === 4 && value !== null) return stmt.sql('CAST(').value(value).sql(' AS FLOAT)');
  return stmt.value(value);
}

function keyWhere(stmt: Statement, s: TableSql, plan: TablePlan, key: readonly (TargetValue | undefined)[]): Statement {
  plan.keyColumns.forEach((k, n) => { compared(stmt.sql(`${n ? ' AND ' : ''}${q(s.cols[k])} = `), plan, k, key[n] ?? null); });
  return stmt;
}

/** `SET col = v, …` of the writable columns not kept. */
function setList(stmt: Statement, s: TableSql, after: readonly TargetValue[], keep: boolean[] | undefined): Statement {
  let n = 0;
  for (const i of s.writable) {
    if (keep?.[i]) continue;
    stmt.sql(`${n++ ? ', ' : ' SET '}${q(s.cols[i])} = `).value(after[i] ?? null);
  }
  return stmt;
}

export class MysqlApplier implements TargetApplier {
  private readonly sql = new Map<number, TableSql>();
  private admin?: Connection;

  /**
   * `foreignKeyChecks`: off when the source is PostgreSQL (its log already holds every cascaded change, and
   * write-sets order parents and children); on when the source is MySQL, whose binlog does not contain the
   * changes InnoDB cascades make — the target's own FK actions must reproduce them.
   */
  constructor(private readonly target: ConnectionConfig, private readonly task: string, private readonly plans: () => TablePlan[],
    private readonly foreignKeyChecks: boolean) {}

  private tableSql(index: number): TableSql {
    let s = this.sql.get(index);
    if (!s) { s = tableSql(this.plans()[index]); this.sql.set(index, s); }
    return s;
  }

  /** Forgets cached statements of a table whose shape changed. */
  invalidate(index: number): void {
    this.sql.delete(index);
  }

  private async adminConn(): Promise<Connection> {
    if (!this.admin) {
      this.admin = await connectMysql(this.target, null);
      for (const s of MYSQL_SESSION_SQL) await this.admin.query(s);
    }
    return this.admin;
  }

  async loadState(): Promise<CdcState> {
    const c = await this.adminConn();
    await c.query(`CREATE DATABASE IF NOT EXISTS ${META} CHARACTER SET utf8mb4`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${META}.\`cdc_applied\` (task varchar(200) NOT NULL, tx_key varchar(40) NOT NULL,
      source_tx varchar(200) NOT NULL, applied_at timestamp(6) NOT NULL DEFAULT current_timestamp(6), PRIMARY KEY (task, tx_key)) ENGINE=InnoDB`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${META}.\`cdc_state\` (task varchar(200) NOT NULL PRIMARY KEY, tx_key varchar(40) NOT NULL,
      position text NOT NULL, lag_seconds double, updated_at timestamp(6) NOT NULL DEFAULT current_timestamp(6)) ENGINE=InnoDB`);
    // Tables made by an earlier Ferry hold 64-character task keys; keys are `task@database` now (meta.ts metaKey).
    const [narrow] = await c.query(`SELECT TABLE_NAME AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ferry_meta'
      AND TABLE_NAME IN ('cdc_applied', 'cdc_state') AND COLUMN_NAME = 'task' AND CHARACTER_MAXIMUM_LENGTH < 200`) as unknown as [{ t: string }[]];
    for (const n of narrow) await c.query(`ALTER TABLE ${META}.\`${n.t}\` MODIFY task varchar(200) NOT NULL`);
    const [state] = await c.execute(`SELECT tx_key, position FROM ${META}.\`cdc_state\` WHERE task = ?`, [this.task]) as unknown as [{ tx_key: string; position: string }[]];
    const [applied] = await c.execute(`SELECT tx_key FROM ${META}.\`cdc_applied\` WHERE task = ?`, [this.task]) as unknown as [{ tx_key: string }[]];
    const out: CdcState = { applied: new Set(applied.map((r) => r.tx_key)) };
    if (state[0]) out.lowWater = { key: state[0].tx_key, position: JSON.parse(state[0].position) as SourcePosition };
    return out;
  }

  async saveLowWater(key: string, position: SourcePosition, lagSeconds: number): Promise<void> {
    const c = await this.adminConn();
    await c.query('START TRANSACTION');
    try {
      await c.execute(`INSERT INTO ${META}.\`cdc_state\` (task, tx_key, position, lag_seconds, updated_at) VALUES (?, ?, ?, ?, current_timestamp(6))
        ON DUPLICATE KEY UPDATE tx_key = VALUES(tx_key), position = VALUES(position), lag_seconds = VALUES(lag_seconds), updated_at = VALUES(updated_at)`,
      [this.task, key, JSON.stringify(position), lagSeconds]);
      await c.execute(`DELETE FROM ${META}.\`cdc_applied\` WHERE task = ? AND tx_key <= ?`, [this.task, key]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      // A killed or lost session is not reused: the next save opens a new one (else the mark never moves again,
      // and neither does the source position Ferry confirms).
      this.admin = undefined;
      c.destroy();
      throw err;
    }
  }

  async openWorker(): Promise<PreparedWorker> {
    const worker = new PreparedWorker(this);
    await worker.reset();
    return worker;
  }

  /**
   * @internal An apply session: multipleStatements on, so a batch travels as one text. Its values are quoted for
   * NO_BACKSLASH_ESCAPES, so the session proves that mode is on before it is used.
   */
  async session(): Promise<{ conn: Connection; maxPacket: number }> {
    let c: Connection;
    try {
      // Every query on this session is complete SQL (values already inlined): mysql2 must not scan it for
      // placeholders with its own idea of the sql_mode.
      c = await mysql.createConnection({ ...mysqlOptions(this.target, null), multipleStatements: true, queryFormat: noFormat });
    } catch (err) {
      throw mysqlConnectError(err, this.target);
    }
    try {
      for (const s of MYSQL_SESSION_SQL) await c.query(s);
      await c.query(`SET SESSION foreign_key_checks = ${this.foreignKeyChecks ? 1 : 0}`);
      const [rows] = await c.query('SELECT @@SESSION.sql_mode AS mode, @@max_allowed_packet AS packet') as unknown as [{ mode: string; packet: string | number }[]];
      if (!/(^|,)NO_BACKSLASH_ESCAPES(,|$)/.test(rows[0].mode)) {
        throw new FerryError('CDC_SESSION_MODE', `the target session's sql_mode (${rows[0].mode}) lacks NO_BACKSLASH_ESCAPES after Ferry set it`,
          { fix: 'check for an init_connect or a proxy on the target that rewrites sql_mode, and remove it for the Ferry user' });
      }
      return { conn: c, maxPacket: Number(rows[0].packet) };
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
  }

  /** @internal Applies one batch on `c` in one transaction, in as few round trips as the changes allow. */
  async applyBatch(session: { conn: Connection; maxPacket: number }, batch: PreparedTransaction[]): Promise<void> {
    const c = session.conn;
    // DDL commits implicitly in MySQL, so a DDL barrier runs before (not inside) the transaction of its mark.
    for (const tx of batch) for (const stmt of tx.ddlSql ?? []) await c.query(stmt);
    const text = new BatchText(c, session.maxPacket);
    try {
      for (const tx of batch) for (const ch of tx.changes) await this.applyChange(text, ch);
      const marks = new Statement().sql(`INSERT INTO ${META}.\`cdc_applied\` (task, tx_key, source_tx) VALUES `);
      batch.forEach((tx, n) => {
        marks.sql(n ? ', (' : '(').value(this.task).sql(', ').value(tx.source.key).sql(', ').value(tx.source.id.slice(0, 200)).sql(')');
      });
      await text.add(marks);
      await text.commit();
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async applyChange(text: BatchText, ch: TargetRowChange): Promise<void> {
    const plan = this.plans()[ch.table];
    const s = this.tableSql(ch.table);
    const values = (row: readonly (TargetValue | undefined)[]) => s.writable.map((i) => row[i] ?? null);
    if (ch.kind === 'insert') { await text.addRow(s.insert, values(ch.after as TargetValue[])); return; }
    if (plan.keyColumns.length === 0) { await this.applyWithoutKey(text, ch, s, plan); return; }
    const oldKey = ch.oldKey as TargetValue[];
    if (ch.kind === 'delete') { await text.add(keyWhere(new Statement().sql(`DELETE FROM ${s.name} WHERE `), s, plan, oldKey)); return; }
    const after = ch.after as TargetValue[];
    const keep = ch.unchanged;
    const keyChanged = plan.keyColumns.some((k, i) => !sameValue(after[k], oldKey[i]));
    if (!keyChanged && !keep?.some(Boolean)) { await text.addRow(s.insert, values(after)); return; }
    // Key change (or values to keep): UPDATE by the old key, so ON UPDATE CASCADE children follow; a missing
    // row (not copied yet, deleted later on the source) becomes an insert of the new image.
    // At this transaction's commit the source held no other row at the new key, so a row found there on the
    // target is a leftover of an earlier replay of later changes: it goes first, or the UPDATE would collide.
    if (keyChanged) await text.add(keyWhere(new Statement().sql(`DELETE FROM ${s.name} WHERE `), s, plan, plan.keyColumns.map((k) => after[k])));
    const update = keyWhere(setList(new Statement().sql(`UPDATE ${s.name}`), s, after, keep).sql(' WHERE '), s, plan, oldKey);
    if (keep?.some(Boolean)) { await text.add(update); return; }
    // Only here does a statement's answer decide the next one: the batch is sent up to this UPDATE.
    if (matchedRows(await text.result(update)) === 0) await text.addRow(s.insert, values(after));
  }

  /** No key: match the whole old row, NULL-safe, and touch exactly one row. */
  private async applyWithoutKey(text: BatchText, ch: TargetRowChange, s: TableSql, plan: TablePlan): Promise<void> {
    const before = ch.before ?? [];
    const stmt = new Statement();
    if (ch.kind === 'delete') stmt.sql(`DELETE FROM ${s.name}`);
    else setList(stmt.sql(`UPDATE ${s.name}`), s, ch.after as TargetValue[], ch.unchanged);
    let n = 0;
    for (const i of s.writable) {
      if (before[i] === undefined) continue;
      compared(stmt.sql(`${n++ ? ' AND ' : ' WHERE '}${q(s.cols[i])} <=> `), plan, i, before[i] as TargetValue);
    }
    await text.add(stmt.sql(' LIMIT 1'));
  }

  ddlStatements(ddl: DdlChange, plans: TablePlan[]): { statements: string[] } | { reason: string; fix: string } {
    const targets = ddl.tables.map((t) => plans.find((p) => qualifiedKey(p.mapping.source) === qualifiedKey(t)));
    if (isTruncate(ddl)) {
      return { statements: targets.filter((p): p is TablePlan => !!p).map((p) => `TRUNCATE TABLE ${q(p.mapping.target.schema)}.${q(p.mapping.target.name)}`) };
    }
    // Otherwise a MySQL statement on a MySQL target (every other change goes through cdc/ddl-convert.ts).
    if (/^\s*(RENAME\s+TABLE|ALTER\s+TABLE\b.*\bRENAME\s+(TO|AS)?\s*[`\w])/is.test(ddl.statement) || /^\s*DROP\s+TABLE/i.test(ddl.statement)) {
      return { reason: `the source renamed or dropped ${ddl.tables.map(qualifiedKey).join(', ')}`, fix: 'rename or drop the table on the target by hand and adjust the task\'s objects, then resume the task' };
    }
    const targetDb = targets.find((p) => p)?.mapping.target.schema ?? ddl.schema;
    // Same engine: the statement runs as-is in the target database, source database qualifiers rewritten.
    let stmt = ddl.statement;
    if (ddl.schema !== targetDb) {
      stmt = stmt.split(`${q(ddl.schema)}.`).join(`${q(targetDb)}.`);
      stmt = stmt.replace(new RegExp(`(^|[\\s(,])${ddl.schema.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`, 'g'), `$1${q(targetDb)}.`);
    }
    return { statements: [`USE ${q(targetDb)}`, stmt] };
  }

  async close(): Promise<void> {
    await this.admin?.end().catch(() => undefined);
    this.admin = undefined;
  }
}

/** One apply session: a connection that reconnects after a failure. */
class PreparedWorker {
  private conn?: { conn: Connection; maxPacket: number };
  constructor(private readonly applier: MysqlApplier) {}

  async apply(batch: PreparedTransaction[]): Promise<void> {
    if (!this.conn) this.conn = await this.applier.session();
    await this.applier.applyBatch(this.conn, batch);
  }

  async reset(): Promise<void> {
    await this.conn?.conn.end().catch(() => undefined);
    this.conn = await this.applier.session();
  }

  async close(): Promise<void> {
    await this.conn?.conn.end().catch(() => undefined);
    this.conn = undefined;
  }
}
