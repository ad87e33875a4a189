// Applies replicated transactions to a MySQL/MariaDB target idempotently, recording each applied source
// transaction in ferry_meta.cdc_applied in the same target transaction (exactly-once).
import type { Connection } from 'mysql2/promise';
import type { ConnectionConfig } from '../connection';
import type { TargetValue } from '../convert/types';
import { qualifiedKey } from '../model';
import type { SourcePosition } from '../position';
import { MYSQL_SESSION_SQL } from '../sessions';
import type { DdlChange, PreparedTransaction, TargetRowChange } from '../cdc/events';
import type { CdcState, TargetApplier } from '../cdc/target';
import type { TablePlan } from '../cdc/writeset';
import { connectMysql, quoteMysqlIdent as q } from './connect';

const META = '`ferry_meta`';

// Every statement with values uses execute (server-side prepared statements): the Ferry session sets
// NO_BACKSLASH_ESCAPES, which mysql2's client-side interpolation in query() does not honour.

interface TableSql {
  name: string;
  cols: string[];
  writable: number[];
  upsert: string;
  keyWhere: string;
}

function tableSql(plan: TablePlan): TableSql {
  const t = plan.mapping.target;
  const name = `${q(t.schema)}.${q(t.name)}`;
  const writable = plan.writable.map((w, i) => (w ? i : -1)).filter((i) => i >= 0);
  const cols = plan.mapping.columns.map((c) => c.target.name);
  const list = writable.map((i) => q(cols[i])).join(', ');
  const marks = writable.map(() => '?').join(', ');
  const keyNames = plan.keyColumns.map((k) => cols[k]);
  const nonKey = writable.filter((i) => !plan.keyColumns.includes(i));
  const update = (nonKey.length > 0 ? nonKey : writable.slice(0, 1)).map((i) => `${q(cols[i])} = VALUES(${q(cols[i])})`).join(', ');
  const upsert = plan.keyColumns.length > 0
    ? `INSERT INTO ${name} (${list}) VALUES (${marks}) ON DUPLICATE KEY UPDATE ${update}`
    : `INSERT INTO ${name} (${list}) VALUES (${marks})`;
  return { name, cols, writable, upsert, keyWhere: keyNames.map((k) => `${q(k)} = ?`).join(' AND ') };
}

const sameValue = (a: TargetValue | undefined, b: TargetValue | undefined) =>
  Buffer.isBuffer(a) && Buffer.isBuffer(b) ? a.equals(b) : a === b;

/** "Rows matched: N" from the server's info line (affectedRows counts changed rows only without FOUND_ROWS). */
function matched(result: unknown): number {
  const info = (result as { info?: string }).info ?? '';
  const m = /Rows matched:\s*(\d+)/.exec(info);
  return m ? Number(m[1]) : (result as { affectedRows?: number }).affectedRows ?? 0;
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
      throw err;
    }
  }

  async openWorker(): Promise<PreparedWorker> {
    const worker = new PreparedWorker(this);
    await worker.reset();
    return worker;
  }

  /** @internal */
  async session(): Promise<Connection> {
    const c = await connectMysql(this.target, null);
    for (const s of MYSQL_SESSION_SQL) await c.query(s);
    await c.query(`SET SESSION foreign_key_checks = ${this.foreignKeyChecks ? 1 : 0}`);
    return c;
  }

  /** @internal Applies one batch on `c` in one transaction. */
  async applyBatch(c: Connection, batch: PreparedTransaction[]): Promise<void> {
    // DDL commits implicitly in MySQL, so a DDL barrier runs before (not inside) the transaction of its mark.
    for (const tx of batch) for (const stmt of tx.ddlSql ?? []) await c.query(stmt);
    await c.query('START TRANSACTION');
    try {
      for (const tx of batch) for (const ch of tx.changes) await this.applyChange(c, ch);
      const marks = batch.map(() => '(?, ?, ?)').join(', ');
      await c.execute(`INSERT INTO ${META}.\`cdc_applied\` (task, tx_key, source_tx) VALUES ${marks}`,
        batch.flatMap((tx) => [this.task, tx.source.key, tx.source.id.slice(0, 200)]));
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async applyChange(c: Connection, ch: TargetRowChange): Promise<void> {
    const plan = this.plans()[ch.table];
    const s = this.tableSql(ch.table);
    const values = (row: (TargetValue | undefined)[]) => s.writable.map((i) => row[i] ?? null);
    if (ch.kind === 'insert') { await c.execute(s.upsert, values(ch.after as TargetValue[])); return; }
    if (plan.keyColumns.length === 0) { await this.applyWithoutKey(c, ch, s); return; }
    const oldKey = ch.oldKey as TargetValue[];
    if (ch.kind === 'delete') { await c.execute(`DELETE FROM ${s.name} WHERE ${s.keyWhere}`, oldKey); return; }
    const after = ch.after as TargetValue[];
    const keep = ch.unchanged;
    const keyChanged = plan.keyColumns.some((k, i) => !sameValue(after[k], oldKey[i]));
    if (!keyChanged && !keep?.some(Boolean)) { await c.execute(s.upsert, values(after)); return; }
    // Key change (or values to keep): UPDATE by the old key, so ON UPDATE CASCADE children follow; a missing
    // row (not copied yet, deleted later on the source) becomes an insert of the new image.
    // At this transaction's commit the source held no other row at the new key, so a row found there on the
    // target is a leftover of an earlier replay of later changes: it goes first, or the UPDATE would collide.
    if (keyChanged) await c.execute(`DELETE FROM ${s.name} WHERE ${s.keyWhere}`, plan.keyColumns.map((k) => after[k] ?? null));
    const set = s.writable.filter((i) => !keep?.[i]);
    const res = await c.execute(`UPDATE ${s.name} SET ${set.map((i) => `${q(s.cols[i])} = ?`).join(', ')} WHERE ${s.keyWhere}`,
      [...set.map((i) => after[i] ?? null), ...oldKey]);
    if (matched(res[0]) === 0 && !keep?.some(Boolean)) await c.execute(s.upsert, values(after));
  }

  /** No key: match the whole old row, NULL-safe, and touch exactly one row. */
  private async applyWithoutKey(c: Connection, ch: TargetRowChange, s: TableSql): Promise<void> {
    const before = ch.before ?? [];
    const where: string[] = [];
    const params: (TargetValue)[] = [];
    s.writable.forEach((i) => {
      if (before[i] === undefined) return;
      where.push(`${q(s.cols[i])} <=> ?`);
      params.push(before[i] as TargetValue);
    });
    const cond = where.length > 0 ? where.join(' AND ') : '1 = 1';
    if (ch.kind === 'delete') { await c.execute(`DELETE FROM ${s.name} WHERE ${cond} LIMIT 1`, params); return; }
    const after = ch.after as TargetValue[];
    const set = s.writable.filter((i) => !ch.unchanged?.[i]);
    await c.execute(`UPDATE ${s.name} SET ${set.map((i) => `${q(s.cols[i])} = ?`).join(', ')} WHERE ${cond} LIMIT 1`,
      [...set.map((i) => after[i] ?? null), ...params]);
  }

  ddlStatements(ddl: DdlChange, plans: TablePlan[], sourceEngine: 'mysql' | 'postgres'): { statements: string[] } | { reason: string; fix: string } {
    const targets = ddl.tables.map((t) => plans.find((p) => qualifiedKey(p.mapping.source) === qualifiedKey(t)));
    if (ddl.truncate) return { statements: targets.filter((p) => p).map((p) => `TRUNCATE TABLE ${q((p as TablePlan).mapping.target.schema)}.${q((p as TablePlan).mapping.target.name)}`) };
    if (sourceEngine === 'mysql' && /^\s*TRUNCATE\b/i.test(ddl.statement)) {
      return { statements: targets.filter((p) => p).map((p) => `TRUNCATE TABLE ${q((p as TablePlan).mapping.target.schema)}.${q((p as TablePlan).mapping.target.name)}`) };
    }
    if (sourceEngine !== 'mysql' || ddl.relation) {
      return { reason: `the source changed ${ddl.tables.map(qualifiedKey).join(', ')} (${ddl.statement.slice(0, 200)}) and Ferry cannot convert this change to MySQL automatically`,
        fix: 'apply the equivalent change on the target by hand, then resume the task (ferry run); the paused table catches up from where it stopped' };
    }
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
  private conn?: Connection;
  constructor(private readonly applier: MysqlApplier) {}

  async apply(batch: PreparedTransaction[]): Promise<void> {
    if (!this.conn) this.conn = await this.applier.session();
    await this.applier.applyBatch(this.conn, batch);
  }

  async reset(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
    this.conn = await this.applier.session();
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
    this.conn = undefined;
  }
}
