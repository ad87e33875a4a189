// Verify's PostgreSQL side: key-ordered chunk reads, lookups by key, streaming scans and repairs, with
// every value in the server's text output (bytea as Buffer) under Ferry's session settings.
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { ConnectionConfig } from './connection';
import type { Column } from './model';
import type { SourceValue } from './convert/types';
import { connectPostgres, quotePgIdent } from './postgres/connect';
import { PG_SESSION_SQL } from './sessions';
import { CancelledError } from './errors';
import { type SideTable, type VerifySide, keyBatchSize } from './verify-side';

// The same text-only parsing the connection uses, for cursors (which do not inherit the client's parsers).
const textTypes = {
  getTypeParser: (oid: number) => (oid === 17 ? (v: string) => Buffer.from(v.slice(2), 'hex') : (v: string) => v),
};

const q = quotePgIdent;

function tableSql(t: SideTable): string {
  return `${q(t.name.schema)}.${q(t.name.name)}`;
}

function isBytea(c: Column): boolean {
  const t = c.type.kind === 'domain' ? c.type.base : c.type;
  return t.kind === 'binary';
}

/** `(k1, k2) IN (($1, $2), …)` with parameters appended to `params`. */
function keyListCondition(t: SideTable, keys: SourceValue[][], params: unknown[]): string {
  const tuples = keys.map((k) => {
    const ph = k.map((v) => { params.push(v); return `$${params.length}`; });
    return t.key.length === 1 ? ph[0] : `(${ph.join(', ')})`;
  });
  return t.key.length === 1 ? `${q(t.key[0])} IN (${tuples.join(', ')})` : `(${t.key.map(q).join(', ')}) IN (${tuples.join(', ')})`;
}

export class PostgresVerifySide implements VerifySide {
  readonly engine = 'postgres' as const;
  constructor(private readonly client: pg.Client) {}

  static async open(c: ConnectionConfig): Promise<PostgresVerifySide> {
    const client = await connectPostgres(c);
    for (const s of PG_SESSION_SQL) await client.query(s);
    return new PostgresVerifySide(client);
  }

  private selectList(t: SideTable): string {
    return t.columns.map((c) => q(c.name)).join(', ');
  }

  private async rows(sql: string, params: unknown[] = []): Promise<SourceValue[][]> {
    const r = await this.client.query({ text: sql, values: params, rowMode: 'array' });
    return r.rows as SourceValue[][];
  }

  async count(t: SideTable): Promise<number> {
    const r = await this.rows(`SELECT count(*) FROM ${tableSql(t)}`);
    return Number(r[0][0]);
  }

  async readAfter(t: SideTable, after: SourceValue[] | null, limit: number): Promise<SourceValue[][]> {
    const params: unknown[] = [];
    let where = '';
    if (after) {
      params.push(...after);
      where = ` WHERE (${t.key.map(q).join(', ')}) > (${after.map((_v, i) => `$${i + 1}`).join(', ')})`;
    }
    return this.rows(`SELECT ${this.selectList(t)} FROM ${tableSql(t)}${where} ORDER BY ${t.key.map(q).join(', ')} LIMIT ${Math.floor(limit)}`, params);
  }

  async fetchByKeys(t: SideTable, keys: SourceValue[][]): Promise<SourceValue[][]> {
    const out: SourceValue[][] = [];
    const size = keyBatchSize(t.key.length);
    for (let i = 0; i < keys.length; i += size) {
      const params: unknown[] = [];
      const cond = keyListCondition(t, keys.slice(i, i + size), params);
      out.push(...await this.rows(`SELECT ${this.selectList(t)} FROM ${tableSql(t)} WHERE ${cond}`, params));
    }
    return out;
  }

  async *scan(t: SideTable, signal?: AbortSignal): AsyncIterable<SourceValue[]> {
    const stream = this.client.query(new QueryStream(`SELECT ${this.selectList(t)} FROM ${tableSql(t)}`, [],
      { batchSize: 1000, rowMode: 'array', types: textTypes }));
    try {
      for await (const row of stream) {
        if (signal?.aborted) throw new CancelledError('verify cancelled');
        yield row as SourceValue[];
      }
    } finally {
      stream.destroy();
    }
  }

  private async insert(t: SideTable, rows: SourceValue[][]): Promise<void> {
    const idx = t.columns.map((c, i) => (c.generated ? -1 : i)).filter((i) => i >= 0);
    const per = Math.max(1, Math.floor(30_000 / Math.max(1, idx.length)));
    for (let i = 0; i < rows.length; i += per) {
      const params: unknown[] = [];
      const tuples = rows.slice(i, i + per).map((r) => `(${idx.map((j) => { params.push(r[j]); return `$${params.length}`; }).join(', ')})`);
      // OVERRIDING SYSTEM VALUE: identity columns GENERATED ALWAYS must take the source's values.
      await this.client.query(`INSERT INTO ${tableSql(t)} (${idx.map((j) => q(t.columns[j].name)).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${tuples.join(', ')}`, params);
    }
  }

  private async inTransaction(fn: () => Promise<void>): Promise<void> {
    await this.client.query('BEGIN');
    try {
      // Repairs may delete a referenced row before re-inserting it: FK checks wait until commit when
      // deferrable, and replica mode (superusers only) skips FK and user triggers as replication does.
      await this.client.query('SAVEPOINT ferry_role');
      try {
        await this.client.query("SET LOCAL session_replication_role = 'replica'");
      } catch {
        await this.client.query('ROLLBACK TO SAVEPOINT ferry_role');
      }
      await this.client.query('SET CONSTRAINTS ALL DEFERRED');
      await fn();
      await this.client.query('COMMIT');
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async replaceByKey(t: SideTable, deleteKeys: SourceValue[][], insertRows: SourceValue[][]): Promise<void> {
    await this.inTransaction(async () => {
      const size = keyBatchSize(t.key.length);
      for (let i = 0; i < deleteKeys.length; i += size) {
        const params: unknown[] = [];
        const cond = keyListCondition(t, deleteKeys.slice(i, i + size), params);
        await this.client.query(`DELETE FROM ${tableSql(t)} WHERE ${cond}`, params);
      }
      await this.insert(t, insertRows);
    });
  }

  async replaceWhole(t: SideTable, deleteRows: SourceValue[][], insertRows: SourceValue[][]): Promise<void> {
    await this.inTransaction(async () => {
      for (const r of deleteRows) {
        const params: unknown[] = [];
        // Compared as output text, which is exactly what was read; bytea as bytes. (tableoid, ctid) names
        // one physical row even in a partitioned table.
        const conds = t.columns.map((c, i) => {
          if (r[i] === null) return `${q(c.name)} IS NULL`;
          params.push(r[i]);
          return isBytea(c) ? `${q(c.name)} = $${params.length}::bytea` : `${q(c.name)}::text = $${params.length}::text`;
        });
        await this.client.query(`DELETE FROM ${tableSql(t)} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${tableSql(t)} WHERE ${conds.join(' AND ')} LIMIT 1)`, params);
      }
      await this.insert(t, insertRows);
    });
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
