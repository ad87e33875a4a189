// Full-load writer for MySQL/MariaDB: LOAD DATA LOCAL INFILE from a stream, and the chunk checkpoint, in one transaction.
import { Readable, pipeline } from 'node:stream';
import type { Socket } from 'node:net';
import type { Connection as CoreConnection } from 'mysql2';
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import type { ConnectionConfig } from '../connection';
import type { Column, ColumnType, QualifiedName } from '../model';
import { CancelledError, FerryError, asFerryError } from '../errors';
import { MYSQL_SESSION_SQL } from '../sessions';
import { type EncodedLine, LARGE_VALUE, RowEncoder, TargetRowError, hexPieces } from '../fullload/encoder';
import type { ChunkCheckpoint, CopySpec, TargetRow, TargetSession, WriteResult } from '../fullload/types';
import { connectMysql, quoteMysqlIdent } from './connect';
import { markChunkDoneMysql } from './meta';

function baseType(t: ColumnType): ColumnType {
  return t.kind === 'domain' ? baseType(t.base) : t;
}

/** Target columns loaded from hex through UNHEX(): binary strings, BLOBs, BIT and spatial values. */
export function isHexLoadedColumn(c: Column): boolean {
  const k = baseType(c.type).kind;
  return k === 'binary' || k === 'bit' || k === 'spatial';
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

/**
 * One value for LOAD DATA … FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n':
 * NULL is \N; backslash, tab, newline, carriage return and NUL are escaped; `hex` columns carry hex digits.
 */
export function encodeLoadDataValue(v: string | Buffer | null, hex: boolean): string {
  if (v === null) return '\\N';
  if (Buffer.isBuffer(v)) {
    if (hex) return v.toString('hex');
    throw new FerryError('BINARY_IN_TEXT_COLUMN', 'a binary value reached a non-binary target column', { fix: 'the column mapping needs a converter for this type' });
  }
  if (hex) return Buffer.from(v, 'utf8').toString('hex');
  return v.replace(/[\\\n\r\t\0]/g, (c) => ESCAPES[c]);
}

export function encodeLoadDataRow(row: TargetRow, hex: boolean[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + encodeLoadDataValue(row[i], hex[i]);
  return line + '\n';
}

/** encodeLoadDataRow, or for a row with a large hex-loaded value its pieces, hex produced piece by piece. */
export function encodeLoadDataLine(row: TargetRow, hex: boolean[]): EncodedLine {
  const large = (v: string | Buffer | null, i: number) => hex[i] && v !== null && v.length >= LARGE_VALUE;
  if (!row.some(large)) return encodeLoadDataRow(row, hex);
  return (function* pieces(): Generator<string | Buffer> {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (i) yield '\t';
      if (v !== null && large(v, i)) yield* hexPieces(Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));
      else yield encodeLoadDataValue(v, hex[i]);
    }
    yield '\n';
  })();
}

/** The LOAD DATA statement: hex columns go through user variables and UNHEX(). Terminators as hex literals, so NO_BACKSLASH_ESCAPES cannot change them. */
export function loadDataSql(table: QualifiedName, columns: Column[]): string {
  const list: string[] = [];
  const sets: string[] = [];
  columns.forEach((c, i) => {
    if (isHexLoadedColumn(c)) {
      list.push(`@h${i}`);
      sets.push(`${quoteMysqlIdent(c.name)} = UNHEX(@h${i})`);
    } else {
      list.push(quoteMysqlIdent(c.name));
    }
  });
  return `LOAD DATA LOCAL INFILE 'ferry-chunk' INTO TABLE ${quoteMysqlIdent(table.schema)}.${quoteMysqlIdent(table.name)} CHARACTER SET utf8mb4`
    + " FIELDS TERMINATED BY X'09' ENCLOSED BY '' ESCAPED BY X'5C' LINES TERMINATED BY X'0A' STARTING BY ''"
    + ` (${list.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''}`;
}

function loadError(err: unknown, spec: CopySpec, encoder: RowEncoder): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { message?: string; errno?: number; sqlState?: string };
  const lineMatch = /at (?:row|line) (\d+)/i.exec(e.message ?? '');
  if (lineMatch || (e.sqlState && /^(22|23|HY)/.test(e.sqlState) && e.errno !== undefined && e.errno < 2000)) {
    const line = lineMatch ? Number(lineMatch[1]) : undefined;
    const key = line !== undefined ? encoder.keyOfRow(line) : undefined;
    return new TargetRowError(`table ${spec.tableId}${key ? `, key (${key})` : line !== undefined ? `, row ${line} of the chunk` : ''}: the target rejected the value: ${e.message}`,
      line, { fix: 'fix the value on the source, or change the target column type (schema overrides)', cause: err });
  }
  return asFerryError(err, `writing ${spec.tableId} to the target`);
}

export class MysqlTargetSession implements TargetSession {
  constructor(readonly conn: Connection) {}

  private get socket(): Socket {
    // mysql2 forwards LOAD DATA LOCAL data without watching the socket's buffer: the encoder waits on it instead.
    return (this.conn as unknown as { connection: CoreConnection & { stream: Socket } }).connection.stream;
  }

  async countRows(table: QualifiedName): Promise<number> {
    const ref = `${quoteMysqlIdent(table.schema)}.${quoteMysqlIdent(table.name)}`;
    const [any] = await this.conn.query(`SELECT 1 FROM ${ref} LIMIT 1`);
    if ((any as unknown[]).length === 0) return 0;
    const [r] = await this.conn.query(`SELECT COUNT(*) AS n FROM ${ref}`);
    return Number((r as { n: string }[])[0].n);
  }

  async writeChunk(spec: CopySpec, rows: Readable, checkpoint: ChunkCheckpoint | null, signal?: AbortSignal, onRows?: (rows: number) => void): Promise<WriteResult> {
    const hex = spec.columns.map((c) => isHexLoadedColumn(c.target));
    const socket = this.socket;
    const gate = () => (socket.writableNeedDrain ? new Promise<void>((r) => socket.once('drain', () => r())) : undefined);
    const encoder = new RowEncoder(spec, (row) => encodeLoadDataLine(row, hex), { gate, onRows });
    let streamError: Error | undefined;
    let started = false;
    let cancelled: Error | undefined;
    // The rows start to flow only once the server asks for the file: mysql2 listens for the stream's 'error'
    // and 'end' from then on (ending the LOAD with an empty packet). A stream that failed before that
    // (a converter throwing on an early row, a cancel) would never be heard from again and the query would hang.
    const startStream = (): Readable => {
      started = true;
      if (cancelled) {
        const reason = cancelled;
        return new Readable({ read() { this.destroy(reason); } });
      }
      pipeline(rows, encoder, (err) => { if (err) streamError = err; });
      return encoder;
    };
    const onAbort = () => {
      cancelled = new CancelledError('full load cancelled');
      // Before the stream started nothing listens on the encoder: the cancel is delivered by startStream.
      if (started) encoder.destroy(cancelled);
    };
    // Until the pipeline takes over, a failing source (connection lost) must not be an unhandled 'error'.
    rows.on('error', (err: Error) => { streamError ??= err; });
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.conn.query('START TRANSACTION');
    } catch (err) {
      signal?.removeEventListener('abort', onAbort);
      rows.destroy();
      throw loadError(err, spec, encoder);
    }
    try {
      if (cancelled) throw cancelled;
      const [res] = await this.conn.query({ sql: loadDataSql(spec.mapping.target, spec.columns.map((c) => c.target)), infileStreamFactory: startStream });
      if (streamError) throw streamError;
      if (cancelled) throw cancelled;
      const header = res as ResultSetHeader;
      // LOCAL turns data errors into warnings and skips duplicate keys: anything but a clean, complete load is an error.
      if (header.warningStatus > 0 || header.affectedRows !== encoder.rows) {
        const [warnings] = await this.conn.query('SHOW WARNINGS LIMIT 3');
        const first = (warnings as { Message: string }[])[0]?.Message;
        throw loadError(new Error(first ?? `${encoder.rows} rows sent, ${header.affectedRows} loaded (duplicate keys?)`), spec, encoder);
      }
      const result = { rows: encoder.rows, bytes: encoder.bytes };
      if (checkpoint) await markChunkDoneMysql(this.conn, checkpoint.task, checkpoint.table, checkpoint.chunkId, result.rows, result.bytes);
      await this.conn.query('COMMIT');
      return result;
    } catch (err) {
      // A connection that cannot roll back is closed, so no half-loaded transaction can be committed later.
      await this.conn.query('ROLLBACK').catch(() => this.conn.destroy());
      if (!started) rows.destroy();
      encoder.destroy();
      throw loadError(streamError ?? cancelled ?? err, spec, encoder);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}

export async function openMysqlTarget(target: ConnectionConfig): Promise<MysqlTargetSession> {
  const conn = await connectMysql(target);
  try {
    for (const sql of MYSQL_SESSION_SQL) await conn.query(sql);
    // Foreign keys are created after the load; if some exist already, chunks of different tables arrive in any order.
    await conn.query('SET SESSION foreign_key_checks = 0');
    await conn.query('SET SESSION net_read_timeout = 3600');
  } catch (err) {
    await conn.end().catch(() => conn.destroy());
    throw asFerryError(err, 'preparing a target connection');
  }
  return new MysqlTargetSession(conn);
}
