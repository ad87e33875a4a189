// MySQL/MariaDB -> PostgreSQL byte-level copy: text-protocol row packets become COPY text lines directly,
// with only the escaping COPY needs, so that a value whose converter is the identity (after a byte check)
// never becomes a JS string. Every other value, and any value failing its check, goes through its converter.
import { Readable } from 'node:stream';
import { fastPathOf } from '../convert/fast-path';
import type { SourceValue, ValueConverter } from '../convert/types';
import { FerryError } from '../errors';
import { type RawRowQuery, type RawRowSink, lengthPrefixSize, readLength } from '../mysql/raw-rows';
import { encodeCopyValue } from '../postgres/writer';
import { type BatchKeys, ENCODED_BATCHES, EncodedBatch, LARGE_VALUE } from './encoder';
import type { KeyTuple } from './planner';
import type { CopySpec } from './types';

/** How one column's bytes become COPY text. */
type ColumnPlanKind = 'text' | 'date' | 'timestamp-utc' | 'hex' | 'convert';
export interface ColumnPlan {
  kind: ColumnPlanKind;
  /** The reader yields this column as bytes (binary, BIT, spatial), not text. */
  binary: boolean;
  convert: ValueConverter | undefined;
}

/** A batch is handed on once it holds this many bytes. */
const BATCH_BYTES = 128 * 1024;
/** Rows from this size on are handed on as values, so the writer encodes their large values piece by piece. */
const LARGE_ROW = LARGE_VALUE;

/** Per byte: 0 = copied as is, else the letter after the backslash (COPY text escapes); NUL is 255. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x5c] = 0x5c;
ESCAPE[0x09] = 0x74;
ESCAPE[0x0a] = 0x6e;
ESCAPE[0x0d] = 0x72;
ESCAPE[0x00] = 255;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

export function planColumns(spec: CopySpec, isBinary: (i: number) => boolean): ColumnPlan[] {
  return spec.columns.map((c, i) => {
    const binary = isBinary(i);
    const convert = c.convert;
    const fast = convert ? fastPathOf(convert) : undefined;
    let kind: ColumnPlanKind = 'convert';
    if (binary) {
      if (!convert || fast === 'bytes') kind = 'hex';
    } else if (!convert || fast === 'text') kind = 'text';
    else if (fast === 'date' || fast === 'timestamp-utc') kind = fast;
    return { kind, binary, convert };
  });
}

/** Copies buf[s..e) into out at p with COPY escapes; returns the new end, or -1 at a NUL byte. */
function copyEscaped(buf: Buffer, s: number, e: number, out: Buffer, p: number): number {
  for (let i = s; i < e; i++) {
    const b = buf[i];
    const esc = ESCAPE[b];
    if (esc === 0) { out[p++] = b; continue; }
    if (esc === 255) return -1;
    out[p++] = 0x5c;
    out[p++] = esc;
  }
  return p;
}

/** A MySQL zero or partial-zero date needs its converter; `YYYY-MM-DD…` with a 0000 / 00 / 00 field. */
function mayBeZeroDate(buf: Buffer, s: number, e: number): boolean {
  if (e - s < 10) return true;
  const z = 0x30;
  return (buf[s] === z && buf[s + 1] === z && buf[s + 2] === z && buf[s + 3] === z)
    || (buf[s + 5] === z && buf[s + 6] === z) || (buf[s + 8] === z && buf[s + 9] === z);
}

/** A batch's keys as their packet bytes (length-encoded fields, key order), decoded on demand. */
class PacketKeys implements BatchKeys {
  private buf = Buffer.allocUnsafe(4096);
  private used = 0;
  private readonly starts: number[] = [0];
  private readonly fieldStart: Int32Array;
  private readonly fieldEnd: Int32Array;

  constructor(private readonly keyIndexes: number[], private readonly binary: boolean[]) {
    this.fieldStart = new Int32Array(keyIndexes.length);
    this.fieldEnd = new Int32Array(keyIndexes.length);
  }

  /** Appends the key fields of the row in buf[start..end) (fields in column order). */
  add(buf: Buffer, start: number, end: number): void {
    const ki = this.keyIndexes;
    let pos = start;
    let col = 0;
    const fieldStart = this.fieldStart.fill(0);
    const fieldEnd = this.fieldEnd.fill(0);
    let found = 0;
    while (pos < end && found < ki.length) {
      const first = buf[pos];
      const e = first === 0xfb ? pos + 1 : pos + lengthPrefixSize(first) + readLength(buf, pos);
      const k = ki.indexOf(col);
      if (k >= 0) { fieldStart[k] = pos; fieldEnd[k] = e; found++; }
      pos = e;
      col++;
    }
    let need = 0;
    for (let k = 0; k < ki.length; k++) need += fieldEnd[k] - fieldStart[k];
    if (this.buf.length - this.used < need) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + need));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    for (let k = 0; k < ki.length; k++) {
      // Short keys byte by byte: cheaper than a native copy call.
      for (let j = fieldStart[k]; j < fieldEnd[k]; j++) this.buf[this.used++] = buf[j];
    }
    this.starts.push(this.used);
  }

  keyAt(row: number): KeyTuple {
    const out: KeyTuple = [];
    let pos = this.starts[row];
    const end = this.starts[row + 1];
    for (let k = 0; pos < end; k++) {
      const first = this.buf[pos];
      if (first === 0xfb) { out.push(null as unknown as string); pos++; continue; }
      const s = pos + lengthPrefixSize(first);
      const e = s + readLength(this.buf, pos);
      out.push(this.binary[k] ? Buffer.from(this.buf.subarray(s, e)) : this.buf.toString('utf8', s, e));
      pos = e;
    }
    return out;
  }
}

/**
 * The rows of one chunk as an object-mode stream of EncodedBatch (COPY text of many rows) and, for rows of
 * LARGE_ROW bytes or more, SourceValue[] rows for the writer's piece-wise encoder — in source order.
 */
export class MysqlCopyTextStream extends Readable implements RawRowSink {
  readonly [ENCODED_BATCHES] = true;
  private out: Buffer;
  private p = 0;
  private rowStart = 0;
  private rowsInBatch = 0;
  private keys: PacketKeys | null;
  private query: RawRowQuery | undefined;
  private readonly keyIndexes: number[];

  constructor(private readonly spec: CopySpec, private readonly plans: ColumnPlan[],
    private readonly start: (sink: RawRowSink) => RawRowQuery,
    /** Bytes per batch (tests use tiny batches to exercise every buffer boundary). */
    private readonly batchBytes = BATCH_BYTES) {
    super({ objectMode: true, highWaterMark: 4 });
    this.out = Buffer.allocUnsafe(batchBytes * 2);
    const idx = spec.mapping.key.map((k) => spec.columns.findIndex((c) => c.source.name === k));
    this.keyIndexes = idx.length && idx.every((i) => i >= 0) ? idx : [];
    this.keys = this.newKeys();
  }

  private newKeys(): PacketKeys | null {
    return this.keyIndexes.length ? new PacketKeys(this.keyIndexes, this.keyIndexes.map((i) => this.plans[i].binary)) : null;
  }

  override _read(): void {
    if (!this.query) this.query = this.start(this);
    else this.query.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // Let the rest of the result arrive (and be dropped) so the connection stays usable for ROLLBACK/close.
    this.query?.resume();
    cb(err);
  }

  private hand(item: EncodedBatch | SourceValue[]): void {
    if (!this.push(item)) this.query?.pause();
  }

  private flush(): void {
    if (this.rowsInBatch === 0) return;
    this.hand(new EncodedBatch(this.out.subarray(0, this.p), this.rowsInBatch, this.keys));
    this.out = this.out.length - this.p >= this.batchBytes ? this.out.subarray(this.p) : Buffer.allocUnsafe(this.batchBytes * 2);
    this.p = 0;
    this.rowStart = 0;
    this.rowsInBatch = 0;
    this.keys = this.newKeys();
  }

  /** Room for `need` more bytes in the row being written (the row so far moves to a new buffer if needed). */
  private reserve(need: number): void {
    if (this.out.length - this.p >= need) return;
    const partial = this.out.subarray(this.rowStart, this.p);
    const done = this.rowStart;
    if (done > 0) this.hand(new EncodedBatch(this.out.subarray(0, done), this.rowsInBatch, this.keys));
    const next = Buffer.allocUnsafe(Math.max(this.batchBytes * 2, partial.length + need + this.batchBytes));
    partial.copy(next, 0);
    this.out = next;
    this.p = partial.length;
    this.rowStart = 0;
    if (done > 0) { this.rowsInBatch = 0; this.keys = this.newKeys(); }
  }

  row(buf: Buffer, start: number, end: number): void {
    if (this.destroyed) return;
    try {
      if (end - start >= LARGE_ROW) {
        this.flush();
        this.hand(this.decodeRow(buf, start, end));
        return;
      }
      this.encodeRow(buf, start, end);
    } catch (err) {
      this.destroy(err instanceof Error ? err : new FerryError('ENCODE_FAILED', String(err)));
    }
  }

  end(): void {
    if (this.destroyed) return;
    this.flush();
    this.push(null);
  }

  error(err: Error): void {
    this.destroy(err);
  }

  private encodeRow(buf: Buffer, start: number, end: number): void {
    const plans = this.plans;
    const n = plans.length;
    // Worst case for the checked kinds: every byte escaped or hex (x2), '\\x' or '+00' and a separator per column.
    this.reserve(2 * (end - start) + 4 * n + 1);
    this.rowStart = this.p;
    const out = this.out;
    let p = this.p;
    let pos = start;
    for (let i = 0; i < n; i++) {
      if (i) out[p++] = 0x09;
      if (pos >= end) throw new FerryError('ROW_SHAPE', `table ${this.spec.tableId}: the source returned fewer values than the ${n} columns`);
      const first = buf[pos];
      if (first === 0xfb) {
        pos++;
        out[p++] = 0x5c;
        out[p++] = 0x4e;
        continue;
      }
      const len = readLength(buf, pos);
      const s = pos + lengthPrefixSize(first);
      const e = s + len;
      pos = e;
      const plan = plans[i];
      let q = -1;
      switch (plan.kind) {
        case 'text':
          q = copyEscaped(buf, s, e, out, p);
          break;
        case 'date':
          if (!mayBeZeroDate(buf, s, e)) q = copyEscaped(buf, s, e, out, p);
          break;
        case 'timestamp-utc':
          if (!mayBeZeroDate(buf, s, e)) {
            q = copyEscaped(buf, s, e, out, p);
            if (q >= 0) { out[q++] = 0x2b; out[q++] = 0x30; out[q++] = 0x30; }
          }
          break;
        case 'hex':
          out[p++] = 0x5c;
          out[p++] = 0x5c;
          out[p++] = 0x78;
          for (let j = s; j < e; j++) { const b = buf[j]; out[p++] = HEX[b >> 4]; out[p++] = HEX[b & 15]; }
          q = p;
          break;
        default:
          break;
      }
      if (q < 0) {
        // The converter decides (zero dates, NUL characters, types without a fast path); errors name the row.
        const text = this.convertValue(buf, start, end, i, s, e);
        this.p = p;
        this.reserve(Buffer.byteLength(text, 'utf8') + 4 * (n - i) + 2 * (end - pos) + 1);
        p = this.p;
        p += this.out.write(text, p, 'utf8');
        if (this.out !== out) { this.encodeRest(buf, start, end, i + 1, p); return; }
      } else p = q;
    }
    if (pos !== end) throw new FerryError('ROW_SHAPE', `table ${this.spec.tableId}: the source returned more values than the ${n} columns`);
    out[p++] = 0x0a;
    this.endRow(p, buf, start, end);
  }

  /**
   * The rest of a row after its buffer moved (a converted value did not fit): the same encoding through the
   * slow, exact path for the remaining columns — rare (a long converted value near the end of a batch).
   */
  private encodeRest(buf: Buffer, start: number, end: number, from: number, p: number): void {
    const values = this.decodeRow(buf, start, end);
    let text = '';
    for (let i = from; i < values.length; i++) {
      const plan = this.plans[i];
      const v = values[i];
      text += '\t' + encodeCopyValue(v === null ? null : plan.convert ? this.convertOrExplain(plan.convert, v, values) : v);
    }
    text += '\n';
    this.p = p;
    this.reserve(Buffer.byteLength(text, 'utf8'));
    this.p += this.out.write(text, this.p, 'utf8');
    this.endRow(this.p, buf, start, end);
  }

  private endRow(p: number, buf: Buffer, start: number, end: number): void {
    this.p = p;
    this.rowStart = p;
    this.keys?.add(buf, start, end);
    this.rowsInBatch++;
    if (p >= this.batchBytes) this.flush();
  }

  private convertValue(buf: Buffer, start: number, end: number, i: number, s: number, e: number): string {
    const plan = this.plans[i];
    const v: SourceValue = plan.binary ? Buffer.from(buf.subarray(s, e)) : buf.toString('utf8', s, e);
    if (!plan.convert) return encodeCopyValue(v);
    try {
      return encodeCopyValue(plan.convert(v));
    } catch (err) {
      // The row converter names table, key, column and value exactly as the value path does.
      this.spec.convertRow(this.decodeRow(buf, start, end));
      throw err;
    }
  }

  private convertOrExplain(convert: ValueConverter, v: string | Buffer, row: SourceValue[]): string | Buffer {
    try {
      return convert(v);
    } catch (err) {
      this.spec.convertRow(row);
      throw err;
    }
  }

  /**
   * The row's values as the value reader yields them: text as strings, binary columns as Buffers. Binary values
   * are views of the packet, not copies: only rows of LARGE_ROW bytes or more come here (a converter error
   * aside), and mysql2 assembles such a packet, which spans many socket reads, in a buffer of its own.
   */
  private decodeRow(buf: Buffer, start: number, end: number): SourceValue[] {
    const row: SourceValue[] = new Array(this.plans.length);
    let pos = start;
    for (let i = 0; i < this.plans.length; i++) {
      if (pos >= end) throw new FerryError('ROW_SHAPE', `table ${this.spec.tableId}: the source returned fewer values than the ${this.plans.length} columns`);
      const first = buf[pos];
      if (first === 0xfb) { row[i] = null; pos++; continue; }
      const s = pos + lengthPrefixSize(first);
      const e = s + readLength(buf, pos);
      row[i] = this.plans[i].binary ? buf.subarray(s, e) : buf.toString('utf8', s, e);
      pos = e;
    }
    return row;
  }
}
