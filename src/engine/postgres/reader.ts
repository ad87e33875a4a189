// Full-load reader for PostgreSQL: COPY (SELECT …) TO STDOUT, parsed into SourceValue[] rows (exact text output).
import { Transform, type TransformCallback, type Readable, pipeline } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Column, ColumnType, Table } from '../model';
import type { Chunk, KeyTuple } from '../fullload/planner';
import type { CopySpec, SourceSession } from '../fullload/types';
import type { SourceValue } from '../convert/types';
import { FerryError, asFerryError } from '../errors';
import { quotePgIdent, quotePgLiteral } from './connect';

const EXACT_COUNT_BELOW = 5_000_000;

function baseType(t: ColumnType): ColumnType {
  return t.kind === 'domain' ? baseType(t.base) : t;
}

/** bytea (and domains over it) arrive as Buffer; everything else as PostgreSQL's text output. */
export function isPgByteaColumn(c: Column): boolean {
  return baseType(c.type).kind === 'binary';
}

export function pgLiteral(v: string | Buffer): string {
  return Buffer.isBuffer(v) ? `'\\x${v.toString('hex')}'::bytea` : quotePgLiteral(v);
}

export function pgTableRef(t: { schema: string; name: string }): string {
  return `${quotePgIdent(t.schema)}.${quotePgIdent(t.name)}`;
}

/** `(k1, …) > (…)` and `(k1, …) <= (…)`: row comparisons use the btree index and each column's collation, like ORDER BY. */
export function pgChunkWhere(key: string[], chunk: Pick<Chunk, 'lower' | 'upper'>): string {
  const cols = `(${key.map(quotePgIdent).join(', ')})`;
  const tuple = (t: KeyTuple) => `(${t.map(pgLiteral).join(', ')})`;
  const parts: string[] = [];
  if (chunk.lower) parts.push(`${key.length === 1 ? quotePgIdent(key[0]) : cols} > ${key.length === 1 ? pgLiteral(chunk.lower[0]) : tuple(chunk.lower)}`);
  if (chunk.upper) parts.push(`${key.length === 1 ? quotePgIdent(key[0]) : cols} <= ${key.length === 1 ? pgLiteral(chunk.upper[0]) : tuple(chunk.upper)}`);
  return parts.length ? ` WHERE ${parts.join(' AND ')}` : '';
}

const UNESCAPE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** Decodes one field of PostgreSQL's COPY text format (`\N` is handled by the caller). */
export function unescapeCopyText(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e.length > 1 && e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return UNESCAPE[e] ?? e;
  });
}

/** Hex digits (as bytes) into `out` at `at`, 1 MB of digits at a time; returns the bytes written. */
function decodeHexInto(digits: Buffer, out: Buffer, at: number): number {
  const step = 1 << 20;
  let written = 0;
  for (let off = 0; off < digits.length; off += step) {
    const n = Math.min(digits.length, off + step) - off;
    const w = out.write(digits.subarray(off, off + n).toString('latin1'), at + written, 'hex');
    written += w;
    if (w * 2 !== n) throw new Error('COPY output: a bytea value holds a character that is not a hex digit');
  }
  return written;
}

/** Hex digits (as bytes) to the bytes they spell. */
function decodeHex(digits: Buffer): Buffer {
  const out = Buffer.allocUnsafe(digits.length >> 1);
  return out.subarray(0, decodeHexInto(digits, out, 0));
}

/** A COPY field: a value, a bytea value, or the byte size of the bytea value after it (see readChunk). */
type CopyField = 'text' | 'bytea' | 'size';

/**
 * Parses COPY text lines into rows; `bytea[i]` marks columns whose `\x…` text becomes a Buffer. With `sized`,
 * each bytea column is preceded in the COPY output by its octet_length (not part of the row): the value is
 * then decoded straight into one buffer of its size, never held twice (pieces + their concatenation).
 */
export class CopyTextParser extends Transform {
  /** Fields of the row being read. */
  private row: SourceValue[] = [];
  /** Index of the COPY field being read in the line. */
  private fieldIndex = 0;
  private readonly layout: CopyField[];
  /** Raw bytes of the field being read (not yet known to be hex bytea). */
  private field: Buffer[] = [];
  private fieldLength = 0;
  /** A bytea field in hex form: its decoded bytes so far, and a hex digit left over from the previous piece. */
  private decoded: Buffer[] | null = null;
  private carry: Buffer | null = null;
  /** The announced size of the next bytea value, and the buffer it is decoded into. */
  private nextSize: number | undefined;
  private target: Buffer | null = null;
  private targetWritten = 0;

  constructor(bytea: boolean[], sized = false) {
    super({ readableObjectMode: true, readableHighWaterMark: 200 });
    this.layout = sized ? bytea.flatMap((b): CopyField[] => (b ? ['size', 'bytea'] : ['text'])) : bytea.map((b): CopyField => (b ? 'bytea' : 'text'));
  }

  /**
   * Fields end at tab bytes and rows at newline bytes (never part of a UTF-8 sequence; those in values arrive
   * escaped). bytea's `\\x<hex>` is decoded as its pieces arrive: a 50 MB value is never a 100 MB line.
   */
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      let pos = 0;
      while (pos < chunk.length) {
        const tab = chunk.indexOf(9, pos);
        const nl = chunk.indexOf(10, pos);
        const end = tab === -1 ? nl : nl === -1 ? tab : Math.min(tab, nl);
        this.append(chunk.subarray(pos, end === -1 ? chunk.length : end));
        if (end === -1) break;
        this.endField();
        if (end === nl) { this.push(this.row); this.row = []; this.fieldIndex = 0; }
        pos = end + 1;
      }
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.decoded || this.target) { this.decodePiece(piece); return; }
    this.field.push(piece);
    this.fieldLength += piece.length;
    if (this.layout[this.fieldIndex] === 'bytea' && this.fieldLength >= 3) {
      const raw = this.field.length === 1 ? this.field[0] : Buffer.concat(this.field);
      if (raw[0] === 92 && raw[1] === 92 && raw[2] === 120) {
        this.field = [];
        this.fieldLength = 0;
        if (this.nextSize !== undefined) { this.target = Buffer.allocUnsafe(this.nextSize); this.targetWritten = 0; } else this.decoded = [];
        this.decodePiece(raw.subarray(3));
      } else {
        this.field = [raw];
      }
    }
  }

  private decodePiece(digits: Buffer): void {
    let d = digits;
    if (this.carry) { d = Buffer.concat([this.carry, digits]); this.carry = null; }
    const even = d.length & ~1;
    if (even < d.length) this.carry = Buffer.from(d.subarray(even));
    if (even === 0) return;
    if (this.target) {
      if (this.targetWritten + (even >> 1) > this.target.length) throw new Error('COPY output: a bytea value is longer than its octet_length');
      this.targetWritten += decodeHexInto(d.subarray(0, even), this.target, this.targetWritten);
    } else this.decoded?.push(decodeHex(d.subarray(0, even)));
  }

  private endField(): void {
    const kind = this.layout[this.fieldIndex++];
    if (this.target) {
      if (this.carry || this.targetWritten !== this.target.length) throw new Error('COPY output: a bytea value does not match its octet_length');
      this.row.push(this.target);
      this.target = null;
      this.nextSize = undefined;
      return;
    }
    if (this.decoded) {
      if (this.carry) throw new Error('COPY output: a bytea value has an odd number of hex digits');
      this.row.push(this.decoded.length === 1 ? this.decoded[0] : Buffer.concat(this.decoded));
      this.decoded = null;
      this.nextSize = undefined;
      return;
    }
    const raw = this.field.length === 1 ? this.field[0] : Buffer.concat(this.field);
    this.field = [];
    this.fieldLength = 0;
    const isNull = raw.length === 2 && raw[0] === 92 && raw[1] === 78;
    if (kind === 'size') { this.nextSize = isNull ? undefined : Number(raw.toString('latin1')); return; }
    this.nextSize = undefined;
    if (isNull) { this.row.push(null); return; }
    const text = unescapeCopyText(raw.toString('utf8'));
    this.row.push(kind === 'bytea' ? Buffer.from(text.slice(2), 'hex') : text);
  }

  override _flush(cb: TransformCallback): void {
    if (this.row.length || this.fieldLength || this.decoded || this.target) cb(new Error('COPY output ended in the middle of a row'));
    else cb();
  }
}

/** One snapshot connection of a PostgreSQL source (inside BEGIN … SET TRANSACTION SNAPSHOT). */
export class PostgresSourceSession implements SourceSession {
  /**
   * A COPY not read to its end (the chunk failed or was cancelled) leaves the connection in the middle of the
   * COPY protocol: pg-copy-streams cannot abort it, so any later query would wait forever.
   */
  private abandonedCopy = false;

  constructor(readonly client: pg.Client) {}

  private assertUsable(): void {
    if (this.abandonedCopy) {
      throw new FerryError('SOURCE_SESSION_ABANDONED', 'this source session stopped reading a chunk in the middle and cannot run more queries',
        { fix: 'run again: a new snapshot session is opened', retryable: true });
    }
  }

  private async rows(sql: string): Promise<SourceValue[][]> {
    this.assertUsable();
    try {
      const r = await this.client.query({ text: sql, rowMode: 'array' });
      return r.rows as SourceValue[][];
    } catch (err) {
      throw asFerryError(err, 'reading the source');
    }
  }

  async countRows(table: Table): Promise<number> {
    // Partitioned parents have no rows of their own: sum their partitions' estimates.
    const est = await this.rows(`SELECT COALESCE(sum(GREATEST(c.reltuples, 0)), 0)::bigint, bool_or(c.reltuples < 0)
      FROM pg_class c WHERE c.oid = ${quotePgLiteral(pgTableRef(table))}::regclass
         OR c.oid IN (SELECT relid FROM pg_partition_tree(${quotePgLiteral(pgTableRef(table))}::regclass) WHERE isleaf)`);
    const estimate = Number(est[0]?.[0] ?? 0);
    const unknown = est[0]?.[1] === 'true' || est[0]?.[1] === 't';
    if (!unknown && estimate >= EXACT_COUNT_BELOW) return estimate;
    const r = await this.rows(`SELECT count(*) FROM ${pgTableRef(table)}`);
    return Number(r[0][0]);
  }

  async integerKeyRange(table: Table, column: string): Promise<{ min: string; max: string } | null> {
    const q = quotePgIdent(column);
    const r = await this.rows(`SELECT min(${q})::text, max(${q})::text FROM ${pgTableRef(table)}`);
    const [min, max] = r[0];
    return min === null || max === null ? null : { min: String(min), max: String(max) };
  }

  async keyAfter(table: Table, key: string[], after: KeyTuple | null, step: number): Promise<KeyTuple | null> {
    const where = after ? pgChunkWhere(key, { lower: after, upper: null }) : '';
    const cols = key.map(quotePgIdent).join(', ');
    const r = await this.rows(`SELECT ${cols} FROM ${pgTableRef(table)}${where} ORDER BY ${cols} LIMIT 1 OFFSET ${step - 1}`);
    return r.length ? (r[0] as KeyTuple) : null;
  }

  /** The chunk's SELECT; `withByteaSizes` puts octet_length(c) before each bytea column c (CopyTextParser's `sized`). */
  chunkSql(spec: CopySpec, chunk: Pick<Chunk, 'lower' | 'upper'>, withByteaSizes = false): string {
    const t = spec.mapping.source;
    const cols = spec.columns.map((m) => {
      const q = quotePgIdent(m.source.name);
      return withByteaSizes && isPgByteaColumn(m.source) ? `octet_length(${q}), ${q}` : q;
    }).join(', ');
    const where = spec.mapping.key.length ? pgChunkWhere(spec.mapping.key, chunk) : '';
    return `SELECT ${cols} FROM ${pgTableRef(t)}${where}`;
  }

  /** The chunk as raw COPY text (PostgreSQL -> PostgreSQL without conversions pipes it straight into COPY FROM). */
  readChunkRaw(spec: CopySpec, chunk: Chunk): Readable {
    return this.copyOut(this.chunkSql(spec, chunk));
  }

  private copyOut(select: string): Readable {
    this.assertUsable();
    const copy = this.client.query(copyTo(`COPY (${select}) TO STDOUT`));
    // In flight until its end: a session closed or reused before that has abandoned it (the destroy of a
    // consumer reaches this stream only asynchronously, so 'close' cannot be waited for).
    this.abandonedCopy = true;
    copy.once('end', () => { this.abandonedCopy = false; });
    return copy;
  }

  readChunk(spec: CopySpec, chunk: Chunk): Readable {
    const bytea = spec.columns.map((m) => isPgByteaColumn(m.source));
    const parser = new CopyTextParser(bytea, bytea.some(Boolean));
    return pipeline(this.copyOut(this.chunkSql(spec, chunk, bytea.some(Boolean))), parser, () => undefined);
  }

  async close(): Promise<void> {
    // An abandoned COPY: no ROLLBACK (it would queue behind the COPY forever); end() drops the socket, which ends the transaction.
    if (!this.abandonedCopy) await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
