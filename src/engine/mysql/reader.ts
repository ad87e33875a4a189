// Full-load reader for MySQL/MariaDB: streams a chunk's rows (back-pressured) as SourceValue[] in the server's text form.
import type { Readable } from 'node:stream';
import type { Connection as CoreConnection } from 'mysql2';
import type { Connection } from 'mysql2/promise';
import type { TypeCast } from 'mysql2/typings/mysql/lib/parsers/typeCast';
import type { Column, ColumnType, Table } from '../model';
import type { KeyTuple } from '../fullload/planner';
import type { Chunk } from '../fullload/planner';
import type { CopySpec, SourceSession } from '../fullload/types';
import { asFerryError } from '../errors';
import { quoteMysqlIdent } from './connect';
import { MysqlCopyTextStream, planColumns } from '../fullload/mysql-copy-text';
import { queryRawRows } from './raw-rows';

/** Tables estimated below this many rows are counted exactly (the count runs inside the snapshot). */
const EXACT_COUNT_BELOW = 5_000_000;

function baseType(t: ColumnType): ColumnType {
  return t.kind === 'domain' ? baseType(t.base) : t;
}

/** Columns whose values travel as bytes: binary strings and BLOBs, BIT, spatial (internal SRID+WKB form). */
export function isMysqlBinaryColumn(c: Column): boolean {
  const t = baseType(c.type);
  return t.kind === 'binary' || t.kind === 'bit' || t.kind === 'spatial';
}

function isNumericType(c: Column | undefined): boolean {
  const t = c ? baseType(c.type) : undefined;
  return t?.kind === 'int' || t?.kind === 'decimal' || t?.kind === 'float' || t?.kind === 'bool' || t?.kind === 'year';
}

/**
 * The select expression of a column. FLOAT is read as CAST(… AS DOUBLE): the server's FLOAT text keeps only
 * 6 significant digits (16777217 shows as 16777200), while the double text is the stored single exactly.
 */
export function mysqlSelectExpr(c: Column): string {
  const t = baseType(c.type);
  const q = quoteMysqlIdent(c.name);
  if (t.kind === 'float' && t.bytes === 4) return `CAST(${q} AS DOUBLE)`;
  return q;
}

/** A literal for a key bound: numbers bare (comparing an integer column with a string is done in doubles), text quoted, bytes as X''. */
export function mysqlLiteral(v: string | Buffer, numeric: boolean): string {
  if (Buffer.isBuffer(v)) return `X'${v.toString('hex')}'`;
  if (numeric && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) return v;
  // NO_BACKSLASH_ESCAPES is on in every Ferry session (sessions.ts): only the quote needs doubling.
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * `(k1, …, kn) > (l1, …, ln)` (strict=true) or `<= (u1, …)`, expanded into AND/OR form with a leading
 * bound on k1 so that every MySQL/MariaDB version uses the primary key range.
 */
export function mysqlTupleBound(cols: string[], values: KeyTuple, numeric: boolean[], side: 'after' | 'upTo'): string {
  const lit = (i: number) => mysqlLiteral(values[i], numeric[i]);
  const q = cols.map(quoteMysqlIdent);
  const strictOp = side === 'after' ? '>' : '<';
  const disjuncts: string[] = [];
  for (let i = 0; i < cols.length; i++) {
    const eqs = q.slice(0, i).map((c, j) => `${c} = ${lit(j)}`);
    const last = i === cols.length - 1 && side === 'upTo' ? '<=' : strictOp;
    disjuncts.push([...eqs, `${q[i]} ${last} ${lit(i)}`].join(' AND '));
  }
  if (cols.length === 1) return disjuncts[0];
  const lead = `${q[0]} ${side === 'after' ? '>=' : '<='} ${lit(0)}`;
  return `(${lead} AND (${disjuncts.map((d) => `(${d})`).join(' OR ')}))`;
}

export function mysqlChunkWhere(table: Table, key: string[], chunk: Pick<Chunk, 'lower' | 'upper'>): string {
  const numeric = key.map((k) => isNumericType(table.columns.find((c) => c.name === k)));
  const parts: string[] = [];
  if (chunk.lower) parts.push(mysqlTupleBound(key, chunk.lower, numeric, 'after'));
  if (chunk.upper) parts.push(mysqlTupleBound(key, chunk.upper, numeric, 'upTo'));
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

function tableRef(t: Table): string {
  return `${quoteMysqlIdent(t.schema)}.${quoteMysqlIdent(t.name)}`;
}

/** typeCast: binary columns (named b<i> by the query) as Buffer, everything else as the server's text. */
function textTypeCast(binaryAliases: Set<string>): TypeCast {
  return (field, next) => {
    void next;
    if (binaryAliases.has(field.name)) return field.buffer();
    // JSON (MySQL) comes flagged as binary charset; the text is UTF-8 either way.
    return field.string('utf8');
  };
}

/** One snapshot connection of a MySQL/MariaDB source. */
export class MysqlSourceSession implements SourceSession {
  constructor(readonly conn: Connection) {}

  private get core(): CoreConnection {
    // The promise wrapper keeps its callback connection here; its query().stream() is the back-pressured row stream.
    return (this.conn as unknown as { connection: CoreConnection }).connection;
  }

  private async rows(sql: string, binary: Set<string> = new Set()): Promise<(string | Buffer | null)[][]> {
    try {
      const [rows] = await this.conn.query({ sql, rowsAsArray: true, typeCast: textTypeCast(binary) });
      return rows as unknown as (string | Buffer | null)[][];
    } catch (err) {
      throw asFerryError(err, 'reading the source');
    }
  }

  async countRows(table: Table): Promise<number> {
    const est = await this.rows(`SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${mysqlLiteral(table.schema, false)} AND TABLE_NAME = ${mysqlLiteral(table.name, false)}`);
    const estimate = Number(est[0]?.[0] ?? table.estimatedRows ?? 0);
    if (estimate >= EXACT_COUNT_BELOW) return estimate;
    const r = await this.rows(`SELECT COUNT(*) FROM ${tableRef(table)}`);
    return Number(r[0][0]);
  }

  async integerKeyRange(table: Table, column: string): Promise<{ min: string; max: string } | null> {
    const q = quoteMysqlIdent(column);
    const r = await this.rows(`SELECT MIN(${q}), MAX(${q}) FROM ${tableRef(table)}`);
    const [min, max] = r[0];
    return min === null || max === null ? null : { min: String(min), max: String(max) };
  }

  async keyAfter(table: Table, key: string[], after: KeyTuple | null, step: number): Promise<KeyTuple | null> {
    const cols = key.map((k) => table.columns.find((c) => c.name === k));
    const binary = new Set<string>();
    const select = key.map((k, i) => {
      const c = cols[i];
      if (c && isMysqlBinaryColumn(c)) binary.add(`k${i}`);
      return `${quoteMysqlIdent(k)} AS k${i}`;
    });
    const where = after ? mysqlChunkWhere(table, key, { lower: after, upper: null }) : '';
    const order = key.map(quoteMysqlIdent).join(', ');
    const r = await this.rows(`SELECT ${select.join(', ')} FROM ${tableRef(table)}${where} ORDER BY ${order} LIMIT 1 OFFSET ${step - 1}`, binary);
    return r.length ? (r[0] as KeyTuple) : null;
  }

  /** The SELECT of a chunk: rows in key order (the primary key's own order on InnoDB, so no sort). */
  chunkSql(spec: CopySpec, chunk: Pick<Chunk, 'lower' | 'upper'>): { sql: string; binary: Set<string> } {
    const binary = new Set<string>();
    const select = spec.columns.map((m, i) => {
      if (isMysqlBinaryColumn(m.source)) binary.add(`b${i}`);
      return `${mysqlSelectExpr(m.source)} AS ${isMysqlBinaryColumn(m.source) ? 'b' : 'c'}${i}`;
    });
    const t = spec.mapping.source;
    const key = spec.mapping.key;
    const order = key.length ? ` ORDER BY ${key.map(quoteMysqlIdent).join(', ')}` : '';
    return { sql: `SELECT ${select.join(', ')} FROM ${tableRef(t)}${key.length ? mysqlChunkWhere(t, key, chunk) : ''}${order}`, binary };
  }

  readChunk(spec: CopySpec, chunk: Chunk): Readable {
    const { sql, binary } = this.chunkSql(spec, chunk);
    return this.core.query({ sql, rowsAsArray: true, typeCast: textTypeCast(binary) }).stream({ highWaterMark: 2000 });
  }

  /**
   * The chunk's rows already encoded as PostgreSQL COPY text (EncodedBatch items; rows of 1 MB or more as
   * SourceValue[]), for a PostgreSQL target: values are copied byte for byte where their converter allows.
   */
  readChunkCopyText(spec: CopySpec, chunk: Chunk, batchBytes?: number): Readable {
    const { sql } = this.chunkSql(spec, chunk);
    const plans = planColumns(spec, (i) => isMysqlBinaryColumn(spec.columns[i].source));
    return new MysqlCopyTextStream(spec, plans, (sink) => queryRawRows(this.core, sql, sink), batchBytes);
  }

  async close(): Promise<void> {
    await this.conn.query('ROLLBACK').catch(() => undefined);
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
