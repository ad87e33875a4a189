// Full-load writer for PostgreSQL: COPY … FROM STDIN (text format) and the chunk checkpoint in one transaction.
import { type Readable, pipeline } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ConnectionConfig } from '../connection';
import { CancelledError, FerryError, asFerryError } from '../errors';
import type { QualifiedName } from '../model';
import { PG_SESSION_SQL } from '../sessions';
import { type EncodedLine, LARGE_VALUE, RowEncoder, TargetRowError, hexPieces, yieldsEncodedBatches } from '../fullload/encoder';
import type { ChunkCheckpoint, CopySpec, TargetRow, TargetSession, WriteResult } from '../fullload/types';
import { connectPostgres, quotePgIdent } from './connect';
import { markChunkDonePostgres } from './meta';
import { pgTableRef } from './reader';

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value in COPY text format: NULL as \N, bytes as \\x<hex> (bytea's hex input, backslash escaped). */
export function encodeCopyValue(v: string | Buffer | null): string {
  if (v === null) return '\\N';
  if (Buffer.isBuffer(v)) return `\\\\x${v.toString('hex')}`;
  return v.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]);
}

/** encodeCopyRow, or for a row with a large bytea value its pieces, hex produced piece by piece. */
export function encodeCopyLine(row: TargetRow): EncodedLine {
  if (!row.some((v) => Buffer.isBuffer(v) && v.length >= LARGE_VALUE)) return encodeCopyRow(row);
  return (function* pieces(): Generator<string | Buffer> {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (i) yield '\t';
      if (Buffer.isBuffer(v) && v.length >= LARGE_VALUE) { yield '\\\\x'; yield* hexPieces(v); } else yield encodeCopyValue(v);
    }
    yield '\n';
  })();
}

/** One row as a COPY text line (tab separated, newline terminated). */
export function encodeCopyRow(row: TargetRow): string {
  let line = '';
  for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + encodeCopyValue(row[i]);
  return line + '\n';
}

function copyError(err: unknown, spec: CopySpec, encoder: RowEncoder | undefined): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { message?: string; where?: string; code?: string; detail?: string };
  const lineMatch = /line (\d+)/.exec(e.where ?? '');
  if (e.code && /^(22|23)/.test(e.code)) {
    const line = lineMatch ? Number(lineMatch[1]) : undefined;
    const key = line !== undefined ? encoder?.keyOfRow(line) : undefined;
    const column = /column ([^:]+):/.exec(e.where ?? '')?.[1];
    return new TargetRowError(
      `table ${spec.tableId}${key ? `, key (${key})` : line !== undefined ? `, row ${line} of the chunk` : ''}${column ? `, column ${column}` : ''}: the target rejected the value: ${e.message}${e.where ? ` (${e.where.slice(0, 300)})` : ''}`,
      line, { fix: 'fix the value on the source, or change the target column type (schema overrides)', cause: err });
  }
  return asFerryError(err, `writing ${spec.tableId} to the target`);
}

export class PostgresTargetSession implements TargetSession {
  constructor(readonly client: pg.Client) {}

  async countRows(table: QualifiedName): Promise<number> {
    const any = await this.client.query(`SELECT 1 FROM ${pgTableRef(table)} LIMIT 1`);
    if (any.rowCount === 0) return 0;
    const r = await this.client.query(`SELECT count(*) AS n FROM ${pgTableRef(table)}`);
    return Number(r.rows[0].n);
  }

  private copySql(spec: CopySpec): string {
    const cols = spec.columns.map((c) => quotePgIdent(c.target.name)).join(', ');
    return `COPY ${pgTableRef(spec.mapping.target)} (${cols}) FROM STDIN`;
  }

  /** Runs `body` inside a transaction that also marks the chunk; rolls back on any failure. */
  private async inTransaction(checkpoint: ChunkCheckpoint | null, body: () => Promise<WriteResult>): Promise<WriteResult> {
    await this.client.query('BEGIN');
    try {
      const result = await body();
      if (checkpoint) await markChunkDonePostgres(this.client, checkpoint.task, checkpoint.table, checkpoint.chunkId, result.rows, result.bytes);
      await this.client.query('COMMIT');
      return result;
    } catch (err) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  writeChunk(spec: CopySpec, rows: Readable, checkpoint: ChunkCheckpoint | null, signal?: AbortSignal, onRows?: (rows: number) => void): Promise<WriteResult> {
    return this.inTransaction(checkpoint, () => new Promise<WriteResult>((resolve, reject) => {
      const encoder = new RowEncoder(spec, encodeCopyLine, { onRows, queuedItems: yieldsEncodedBatches(rows) ? 2 : undefined });
      const sink = this.client.query(copyFrom(this.copySql(spec)));
      const onAbort = () => encoder.destroy(new CancelledError('full load cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      pipeline(rows, encoder, sink, (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(copyError(err, spec, encoder));
        else resolve({ rows: encoder.rows, bytes: encoder.bytes });
      });
    }));
  }

  /** PostgreSQL -> PostgreSQL without conversions: the source's COPY text goes in unchanged; rows are counted by line ends. */
  writeChunkRaw(spec: CopySpec, raw: Readable, checkpoint: ChunkCheckpoint | null, signal?: AbortSignal): Promise<WriteResult> {
    return this.inTransaction(checkpoint, () => new Promise<WriteResult>((resolve, reject) => {
      let rowsSeen = 0;
      let bytes = 0;
      raw.on('data', (b: Buffer) => {
        bytes += b.length;
        for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) rowsSeen++;
      });
      const sink = this.client.query(copyFrom(this.copySql(spec)));
      const onAbort = () => raw.destroy(new CancelledError('full load cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      pipeline(raw, sink, (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(copyError(err, spec, undefined));
        else resolve({ rows: rowsSeen, bytes });
      });
    }));
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

export async function openPostgresTarget(target: ConnectionConfig): Promise<PostgresTargetSession> {
  const client = await connectPostgres(target);
  try {
    for (const sql of PG_SESSION_SQL) await client.query(sql);
    // Safe for checkpoints: a crash may lose the last commits, but each loses its rows and its mark together.
    await client.query('SET synchronous_commit = off');
    await client.query('SET statement_timeout = 0');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw asFerryError(err, 'preparing a target connection');
  }
  return new PostgresTargetSession(client);
}
