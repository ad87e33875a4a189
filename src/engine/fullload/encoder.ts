// The row encoder between reader and writer: converts each row once, encodes it in the writer's line format,
// counts rows and bytes, and remembers recent keys so that a row the target rejects can be named by its key.
import { Transform, type TransformCallback } from 'node:stream';
import type { SourceValue } from '../convert/types';
import { FerryError } from '../errors';
import { describeKey, type KeyTuple } from './planner';
import type { CopySpec, TargetRow } from './types';

/** Output pieces stay below this size (MySQL wraps each in one protocol packet, limited to 16 MB). */
const MAX_PIECE = 1 << 20;
/** Encoded text is gathered up to this size before it is pushed (fewer, larger socket writes). */
const BATCH = 64 * 1024;
/** How many recent row keys are kept for naming a rejected row (keys only: small). */
const KEY_RING = 65_536;

/**
 * One encoded row: its text, or, for a row holding a large value, the pieces of its text produced one at a
 * time (a 50 MB BLOB must not become a 100 MB hex string, a copy of it and a 100 MB buffer all at once).
 */
export type EncodedLine = string | Iterable<string | Buffer>;
export type LineEncoder = (row: TargetRow) => EncodedLine;

/** Values from this size on are encoded piece by piece (see EncodedLine). */
export const LARGE_VALUE = 1 << 20;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * The hex digits of `v` as latin1 buffers, each from at most 256 KB of input, written straight into the
 * buffer (no 1 MB hex string per piece: such strings live in V8's large-object space until a full GC).
 */
export function* hexPieces(v: Buffer): Generator<Buffer> {
  const step = 256 * 1024;
  for (let off = 0; off < v.length; off += step) {
    const end = Math.min(v.length, off + step);
    const out = Buffer.allocUnsafe((end - off) * 2);
    for (let i = off, j = 0; i < end; i++, j += 2) {
      const b = v[i];
      out[j] = HEX_DIGITS[b >> 4];
      out[j + 1] = HEX_DIGITS[b & 15];
    }
    yield out;
  }
}

/** The keys of a batch's rows in a compact form, decoded only when a rejected row is named. */
export interface BatchKeys {
  keyAt(row: number): KeyTuple;
}

/** Rows already encoded in the writer's line format by a byte-level reader (see mysql-copy-text.ts). */
export class EncodedBatch {
  constructor(readonly bytes: Buffer, readonly rows: number,
    /** The rows' keys (for naming a rejected row), or null when the table has no key. */
    readonly keys: BatchKeys | null) {}
}

/** Marks a reader stream whose items are EncodedBatch (each up to a few hundred KB, so few may wait in line). */
export const ENCODED_BATCHES = Symbol('ferry.encodedBatches');

export function yieldsEncodedBatches(rows: object): boolean {
  return (rows as { [ENCODED_BATCHES]?: boolean })[ENCODED_BATCHES] === true;
}

export interface EncoderOptions {
  /** Called before taking more input; resolves when the destination can take more (MySQL socket drain). */
  gate?: () => Promise<void> | undefined;
  /** Rows encoded since the previous call, reported once per pushed batch (progress). */
  onRows?: (rows: number) => void;
  /** Items (rows or batches) queued at the encoder's input before the reader is paused; default 1000 rows. */
  queuedItems?: number;
}

export class RowEncoder extends Transform {
  rows = 0;
  bytes = 0;
  private batch: string[] = [];
  private batchLength = 0;
  private reportedRows = 0;
  private readonly keyIndexes: number[];
  private readonly ring: (KeyTuple | undefined)[];
  /** Keys of recent pre-encoded batches (rows firstRow+1 … firstRow+rows), oldest first. */
  private batchKeys: { firstRow: number; rows: number; keys: BatchKeys }[] = [];
  /** Resolves a piece-wise row waiting for the consumer to ask for more (back-pressure inside one row). */
  private readWaiter: (() => void) | undefined;

  constructor(private readonly spec: CopySpec, private readonly encodeLine: LineEncoder, private readonly options: EncoderOptions = {}) {
    super({ writableObjectMode: true, writableHighWaterMark: options.queuedItems ?? 200, readableHighWaterMark: 4 * BATCH });
    this.keyIndexes = spec.mapping.key.map((k) => spec.columns.findIndex((c) => c.source.name === k));
    this.ring = this.keyIndexes.length && this.keyIndexes.every((i) => i >= 0) ? new Array(KEY_RING) : [];
  }

  /** The key of the n-th row (1-based) of this stream, when still remembered. */
  keyOfRow(n: number): string | undefined {
    if (this.ring.length === 0 || n < 1 || n > this.rows || this.rows - n >= KEY_RING) return undefined;
    const inBatch = this.batchKeys.find((b) => n > b.firstRow && n <= b.firstRow + b.rows);
    if (inBatch) return describeKey(this.spec.mapping.key, inBatch.keys.keyAt(n - inBatch.firstRow - 1));
    const key = this.ring[(n - 1) % KEY_RING];
    return key ? describeKey(this.spec.mapping.key, key) : undefined;
  }

  private flushBatch(): void {
    if (this.batchLength === 0) return;
    const buf = Buffer.from(this.batch.join(''), 'utf8');
    this.batch = [];
    this.batchLength = 0;
    this.bytes += buf.length;
    if (this.options.onRows) { this.options.onRows(this.rows - this.reportedRows); this.reportedRows = this.rows; }
    for (let off = 0; off < buf.length; off += MAX_PIECE) this.push(buf.subarray(off, Math.min(buf.length, off + MAX_PIECE)));
  }

  override _read(size: number): void {
    const waiter = this.readWaiter;
    this.readWaiter = undefined;
    waiter?.();
    super._read(size);
  }

  /** Pushes a large row's pieces, waiting for the consumer (and the gate) whenever it has enough. */
  private async pushPieces(pieces: Iterable<string | Buffer>): Promise<void> {
    for (const piece of pieces) {
      if (this.destroyed) return;
      const buf = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      this.bytes += buf.length;
      for (let off = 0; off < buf.length; off += MAX_PIECE) {
        const more = this.push(off === 0 && buf.length <= MAX_PIECE ? buf : buf.subarray(off, Math.min(buf.length, off + MAX_PIECE)));
        if (!more) await new Promise<void>((resolve) => { this.readWaiter = resolve; });
        const wait = this.options.gate?.();
        if (wait) await wait;
        if (this.destroyed) return;
      }
    }
  }

  /** A pre-encoded batch: its bytes go out as they are, its rows and keys are counted like encoded rows. */
  private takeBatch(batch: EncodedBatch, cb: TransformCallback): void {
    this.flushBatch();
    if (batch.keys && this.ring.length) {
      this.batchKeys.push({ firstRow: this.rows, rows: batch.rows, keys: batch.keys });
      while (this.batchKeys.length && this.rows + batch.rows - (this.batchKeys[0].firstRow + this.batchKeys[0].rows) >= KEY_RING) this.batchKeys.shift();
    }
    this.rows += batch.rows;
    const buf = batch.bytes;
    this.bytes += buf.length;
    if (this.options.onRows) { this.options.onRows(this.rows - this.reportedRows); this.reportedRows = this.rows; }
    for (let off = 0; off < buf.length; off += MAX_PIECE) this.push(off === 0 && buf.length <= MAX_PIECE ? buf : buf.subarray(off, Math.min(buf.length, off + MAX_PIECE)));
    const wait = this.options.gate?.();
    if (wait) wait.then(() => cb(), cb);
    else cb();
  }

  override _transform(row: SourceValue[] | EncodedBatch, _enc: BufferEncoding, cb: TransformCallback): void {
    if (row instanceof EncodedBatch) { this.takeBatch(row, cb); return; }
    let line: EncodedLine;
    try {
      const target = this.spec.convertRow(row);
      line = this.encodeLine(target);
    } catch (err) {
      cb(err instanceof Error ? err : new FerryError('ENCODE_FAILED', String(err)));
      return;
    }
    if (this.ring.length) this.ring[this.rows % KEY_RING] = this.keyIndexes.map((i) => row[i] as string | Buffer);
    this.rows++;
    if (typeof line !== 'string') {
      this.flushBatch();
      this.pushPieces(line).then(() => {
        if (this.options.onRows) { this.options.onRows(this.rows - this.reportedRows); this.reportedRows = this.rows; }
        cb();
      }, (err: unknown) => cb(err instanceof Error ? err : new FerryError('ENCODE_FAILED', String(err))));
      return;
    }
    this.batch.push(line);
    this.batchLength += line.length;
    if (this.batchLength >= BATCH) this.flushBatch();
    const wait = this.options.gate?.();
    if (wait) wait.then(() => cb(), cb);
    else cb();
  }

  override _flush(cb: TransformCallback): void {
    this.flushBatch();
    cb();
  }
}

/** A rejected row: the target's message and the row's line in the chunk (1-based). */
export class TargetRowError extends FerryError {
  constructor(message: string, readonly line: number | undefined, options: { fix?: string; cause?: unknown } = {}) {
    super('TARGET_REJECTED_ROW', message, options);
    this.name = 'TargetRowError';
  }
}

