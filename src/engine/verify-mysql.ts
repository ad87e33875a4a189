// Verify's MySQL/MariaDB side: key-ordered chunk reads, lookups by key, streaming scans and repairs,
// all in the text protocol so values arrive in the exact text form of the reader contract.
import type { Connection, FieldPacket } from 'mysql2/promise';
import type { Connection as CoreConnection } from 'mysql2';
import type { Column } from './model';
import type { ConnectionConfig } from './connection';
import type { SourceValue } from './convert/types';
import { connectMysql, quoteMysqlIdent } from './mysql/connect';
import { MYSQL_SESSION_SQL } from './sessions';
import { CancelledError } from './errors';
import { type SideTable, type VerifySide, keyBatchSize, keyIndex } from './verify-side';

type TypeCastField = { name: string; type: string; string(enc?: string): string | null; buffer(): Buffer | null };

/** Columns read as Buffer per the SourceValue contract: binary strings, BLOBs, BIT and spatial values. */
export function isMysqlBinaryColumn(c: Column): boolean {
  const t = c.type.kind === 'domain' ? c.type.base : c.type;
  return t.kind === 'binary' || t.kind === 'bit' || t.kind === 'spatial';
}

const NUMERIC_TEXT = /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A literal for MySQL text-protocol SQL. Ferry sessions run with NO_BACKSLASH_ESCAPES, so only the quote is
 * doubled (the driver's own escaping uses backslashes and would corrupt values under that mode).
 * Numbers of numeric columns stay unquoted so that BIGINT keys are compared exactly, not as doubles.
 */
export function mysqlLiteral(value: SourceValue, column?: Column): string {
  if (value === null) return 'NULL';
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  const kind = column ? (column.type.kind === 'domain' ? column.type.base.kind : column.type.kind) : undefined;
  if ((kind === 'int' || kind === 'decimal' || kind === 'float' || kind === 'year') && NUMERIC_TEXT.test(value)) return value;
  if (kind === 'bit' && /^[01]+$/.test(value)) return `b'${value}'`;
  return `'${value.replace(/'/g, "''")}'`;
}

function q(name: string): string {
  return quoteMysqlIdent(name);
}

function tableSql(t: SideTable): string {
  return `${q(t.name.schema)}.${q(t.name.name)}`;
}

function columnOf(t: SideTable, name: string): Column {
  return t.columns[keyIndex(t, name)];
}

/** `(k1 > v1) OR (k1 = v1 AND k2 > v2) …` — the expanded row comparison uses the key index on every version. */
function afterCondition(t: SideTable, after: SourceValue[]): string {
  const ors: string[] = [];
  for (let i = 0; i < t.key.length; i++) {
    const parts: string[] = [];
    for (let j = 0; j < i; j++) parts.push(`${q(t.key[j])} = ${mysqlLiteral(after[j], columnOf(t, t.key[j]))}`);
    parts.push(`${q(t.key[i])} > ${mysqlLiteral(after[i], columnOf(t, t.key[i]))}`);
    ors.push(`(${parts.join(' AND ')})`);
  }
  return ors.join(' OR ');
}

function keyListCondition(t: SideTable, keys: SourceValue[][]): string {
  const cols = t.key.map((k) => columnOf(t, k));
  if (t.key.length === 1) return `${q(t.key[0])} IN (${keys.map((k) => mysqlLiteral(k[0], cols[0])).join(', ')})`;
  return `(${t.key.map(q).join(', ')}) IN (${keys.map((k) => `(${k.map((v, i) => mysqlLiteral(v, cols[i])).join(', ')})`).join(', ')})`;
}

/** Column comparison for deleting one whole row: NULL-safe, and by text for types whose text is not their value. */
function wholeRowMatch(c: Column, v: SourceValue): string {
  const kind = c.type.kind === 'domain' ? c.type.base.kind : c.type.kind;
  if (v === null) return `${q(c.name)} IS NULL`;
  if (isMysqlBinaryColumn(c)) return `${q(c.name)} = ${mysqlLiteral(v)}`;
  if (kind === 'float' || kind === 'json') return `CAST(${q(c.name)} AS CHAR) = ${mysqlLiteral(v)}`;
  return `${q(c.name)} = ${mysqlLiteral(v, c)}`;
}

export class MysqlVerifySide implements VerifySide {
  readonly engine = 'mysql' as const;
  constructor(private readonly conn: Connection) {}

  static async open(c: ConnectionConfig): Promise<MysqlVerifySide> {
    const conn = await connectMysql(c);
    for (const s of MYSQL_SESSION_SQL) await conn.query(s);
    // Repairs may delete a parent row before re-inserting it; the FKs are checked by the final verify.
    await conn.query('SET SESSION foreign_key_checks = 0');
    return new MysqlVerifySide(conn);
  }

  private typeCast(t: SideTable) {
    const binary = new Set(t.columns.filter(isMysqlBinaryColumn).map((c) => c.name));
    return (field: TypeCastField) => (binary.has(field.name) ? field.buffer() : field.string('utf8'));
  }

  private selectList(t: SideTable): string {
    return t.columns.map((c) => q(c.name)).join(', ');
  }

  private async rows(t: SideTable, sql: string): Promise<SourceValue[][]> {
    const [rows] = await this.conn.query({ sql, rowsAsArray: true, typeCast: this.typeCast(t) as never }) as [SourceValue[][], FieldPacket[]];
    return rows;
  }

  async count(t: SideTable): Promise<number> {
    const [rows] = await this.conn.query({ sql: `SELECT COUNT(*) FROM ${tableSql(t)}`, rowsAsArray: true }) as [unknown[][], FieldPacket[]];
    return Number(rows[0][0]);
  }

  async readAfter(t: SideTable, after: SourceValue[] | null, limit: number): Promise<SourceValue[][]> {
    const where = after ? ` WHERE ${afterCondition(t, after)}` : '';
    return this.rows(t, `SELECT ${this.selectList(t)} FROM ${tableSql(t)}${where} ORDER BY ${t.key.map(q).join(', ')} LIMIT ${Math.floor(limit)}`);
  }

  async fetchByKeys(t: SideTable, keys: SourceValue[][]): Promise<SourceValue[][]> {
    const out: SourceValue[][] = [];
    const size = Math.min(keyBatchSize(t.key.length), 5000);
    for (let i = 0; i < keys.length; i += size) {
      const batch = keys.slice(i, i + size);
      out.push(...await this.rows(t, `SELECT ${this.selectList(t)} FROM ${tableSql(t)} WHERE ${keyListCondition(t, batch)}`));
    }
    return out;
  }

  async *scan(t: SideTable, signal?: AbortSignal): AsyncIterable<SourceValue[]> {
    // The promise wrapper has no streaming query; its underlying callback connection does.
    const core = (this.conn as unknown as { connection: CoreConnection }).connection;
    const stream = core.query({ sql: `SELECT ${this.selectList(t)} FROM ${tableSql(t)}`, rowsAsArray: true, typeCast: this.typeCast(t) as never })
      .stream({ highWaterMark: 1000 });
    try {
      for await (const row of stream) {
        if (signal?.aborted) throw new CancelledError('verify cancelled');
        yield row as SourceValue[];
      }
    } finally {
      stream.destroy();
    }
  }

  private insertStatements(t: SideTable, rows: SourceValue[][]): string[] {
    const idx = t.columns.map((c, i) => (c.generated ? -1 : i)).filter((i) => i >= 0);
    const head = `INSERT INTO ${tableSql(t)} (${idx.map((i) => q(t.columns[i].name)).join(', ')}) VALUES `;
    const out: string[] = [];
    let parts: string[] = [];
    let size = 0;
    for (const r of rows) {
      const tuple = `(${idx.map((i) => mysqlLiteral(r[i], t.columns[i])).join(', ')})`;
      // Statements stay far below any max_allowed_packet a server accepts.
      if (parts.length > 0 && size + tuple.length > 4_000_000) { out.push(head + parts.join(', ')); parts = []; size = 0; }
      parts.push(tuple);
      size += tuple.length;
    }
    if (parts.length > 0) out.push(head + parts.join(', '));
    return out;
  }

  private async inTransaction(statements: string[]): Promise<void> {
    await this.conn.query('START TRANSACTION');
    try {
      for (const s of statements) await this.conn.query(s);
      await this.conn.query('COMMIT');
    } catch (err) {
      await this.conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async replaceByKey(t: SideTable, deleteKeys: SourceValue[][], insertRows: SourceValue[][]): Promise<void> {
    const statements: string[] = [];
    const size = keyBatchSize(t.key.length);
    for (let i = 0; i < deleteKeys.length; i += size) {
      statements.push(`DELETE FROM ${tableSql(t)} WHERE ${keyListCondition(t, deleteKeys.slice(i, i + size))}`);
    }
    statements.push(...this.insertStatements(t, insertRows));
    await this.inTransaction(statements);
  }

  async replaceWhole(t: SideTable, deleteRows: SourceValue[][], insertRows: SourceValue[][]): Promise<void> {
    const statements = deleteRows.map((r) =>
      `DELETE FROM ${tableSql(t)} WHERE ${t.columns.map((c, i) => wholeRowMatch(c, r[i])).join(' AND ')} LIMIT 1`);
    statements.push(...this.insertStatements(t, insertRows));
    await this.inTransaction(statements);
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
