// Data verification: row counts, chunk checksums over key ranges from values normalised by the conversion
// rules, narrowing to the differing keys, re-checks while replication runs, and repair from the source.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionConfig } from './connection';
import type { SourceValue, TableMapping } from './convert/types';
import type { RowDifference, TableVerify, VerifyReport } from './api';
import type { TaskEvents } from './events';
import { CancelledError, FerryError, asFerryError } from './errors';
import { canonicaliserFor, type Canonicaliser } from './verify-canonical';
import { type SideTable, type VerifySide, keyOf } from './verify-side';
import { MysqlVerifySide } from './verify-mysql';
import { PostgresVerifySide } from './verify-postgres';

export interface VerifyContext {
  source: ConnectionConfig;
  target: ConnectionConfig;
  tables: TableMapping[];
  /** Rows per chunk (default 10,000). */
  chunkRows?: number;
  /** Re-copy the differing rows from the source, then re-verify them. */
  repair?: boolean;
  signal?: AbortSignal;
  events?: TaskEvents;
  /** Current replication lag in seconds; re-checks wait for it to drain before comparing again. */
  lagProbe?: () => Promise<number>;
  /** How many times a difference is re-checked before it is reported (default 3, with backoff). */
  rechecks?: number;
  /** Tables verified at once (default 4). */
  parallelism?: number;
  /** At most this many differences are listed per table (all are counted and repaired). Default 1,000. */
  maxListedDifferences?: number;
}

/** A table's result with what the report type does not carry: every difference counted, and what is left. */
interface TableOutcome extends TableVerify {
  remaining: number;
}

const DEFAULT_CHUNK_ROWS = 10_000;
/** Rows per pass over a table without a key: the multiset of row hashes of one pass is held in memory. */
const KEYLESS_PASS_ROWS = 500_000;
const FIRST_RECHECK_DELAY_MS = 200;
const MAX_LAG_WAIT_MS = 60_000;

export async function openVerifySide(c: ConnectionConfig): Promise<VerifySide> {
  return c.engine === 'mysql' ? MysqlVerifySide.open(c) : PostgresVerifySide.open(c);
}

/** Verifies every mapped table, in parallel across tables. */
export async function verifyTables(ctx: VerifyContext): Promise<VerifyReport> {
  const startedAt = new Date().toISOString();
  const queue = ctx.tables.map((m, i) => ({ m, i }));
  const results: TableOutcome[] = new Array(ctx.tables.length);
  const workers = Math.max(1, Math.min(ctx.parallelism ?? 4, queue.length));
  let failure: unknown;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let item = queue.shift(); item && failure === undefined; item = queue.shift()) {
      try {
        results[item.i] = await verifyOneTable(item.m, ctx);
      } catch (err) {
        failure = err;
      }
    }
  }));
  if (failure !== undefined) throw failure instanceof FerryError ? failure : asFerryError(failure, 'verify');
  const tables: TableVerify[] = results.map(({ remaining: _r, ...t }) => t);
  return {
    equal: results.every((t) => t.remaining === 0),
    tables,
    rowsCompared: results.reduce((n, t) => n + t.sourceRows, 0),
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/** How a mapping's values become comparable: source -> convert -> canonical; target -> canonical. */
export class RowNormaliser {
  readonly source: SideTable;
  readonly target: SideTable;
  private readonly canon: Canonicaliser[];

  constructor(readonly mapping: TableMapping) {
    this.source = { name: { schema: mapping.source.schema, name: mapping.source.name }, columns: mapping.columns.map((c) => c.source), key: [...mapping.key] };
    this.target = {
      name: { schema: mapping.target.schema, name: mapping.target.name },
      columns: mapping.columns.map((c) => c.target),
      key: mapping.key.map((k) => {
        const col = mapping.columns.find((c) => c.source.name === k);
        if (!col) throw new FerryError('VERIFY_KEY', `${tableName(mapping)}: key column ${k} is not mapped to the target`, { fix: 'include the key columns in the migration' });
        return col.target.name;
      }),
    };
    this.canon = mapping.columns.map((c) => canonicaliserFor(c.target.type));
  }

  /** A source row in the target's input form (what the writer would send). */
  toTarget(row: SourceValue[]): SourceValue[] {
    return row.map((v, i) => {
      const convert = this.mapping.columns[i].convert;
      return v === null || !convert ? v : convert(v);
    });
  }

  /** Canonical values of a row already in target form; a value that cannot be converted is its own text. */
  canonical(targetRow: SourceValue[]): (string | null)[] {
    return targetRow.map((v, i) => (v === null ? null : this.canon[i](v)));
  }

  /** The canonical form of a source row, never throwing: an unconvertible value makes the row differ. */
  canonicalSource(row: SourceValue[]): (string | null)[] {
    return row.map((v, i) => {
      if (v === null) return null;
      const convert = this.mapping.columns[i].convert;
      try {
        return this.canon[i](convert ? convert(v) : v);
      } catch (err) {
        return `\u0000cannot convert: ${(err as Error).message}`;
      }
    });
  }

  keyString(canonRow: (string | null)[]): string {
    return JSON.stringify(this.target.key.map((k) => canonRow[this.target.columns.findIndex((c) => c.name === k)]));
  }
}

export function rowHash(canonRow: (string | null)[]): string {
  const h = createHash('sha1');
  for (const v of canonRow) {
    if (v === null) h.update('\u0001N');
    else { h.update(`V${Buffer.byteLength(v)}:`); h.update(v); }
  }
  return h.digest('hex');
}

function tableName(m: TableMapping): string {
  return `${m.source.schema}.${m.source.name}`;
}

function keyText(values: SourceValue[]): string[] {
  return values.map((v) => (v === null ? 'NULL' : Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v));
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError('verify cancelled');
}

/** One suspected difference of a keyed table. */
interface Candidate {
  kind: RowDifference['kind'];
  canonKey: string;
  /** The key in source form (absent for rows only the target has). */
  sourceKey?: SourceValue[];
  /** The key in target form. */
  targetKey: SourceValue[];
  display: string[];
}

async function verifyOneTable(m: TableMapping, ctx: VerifyContext): Promise<TableOutcome> {
  const source = await openVerifySide(ctx.source);
  let target: VerifySide;
  try {
    target = await openVerifySide(ctx.target);
  } catch (err) {
    await source.close();
    throw err;
  }
  try {
    const run = new TableVerifier(m, source, target, ctx);
    return m.key.length > 0 ? await run.keyed() : await run.keyless();
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}

class TableVerifier {
  private readonly n: RowNormaliser;
  private readonly chunkRows: number;
  private readonly maxListed: number;
  private readonly outcome: TableOutcome;
  private readonly started = Date.now();

  constructor(readonly m: TableMapping, private readonly src: VerifySide, private readonly tgt: VerifySide, private readonly ctx: VerifyContext) {
    this.n = new RowNormaliser(m);
    this.chunkRows = Math.max(1, ctx.chunkRows ?? DEFAULT_CHUNK_ROWS);
    this.maxListed = ctx.maxListedDifferences ?? 1000;
    this.outcome = { table: tableName(m), sourceRows: 0, targetRows: 0, chunks: 0, mismatchedChunks: 0, differences: [], repaired: 0, remaining: 0 };
  }

  private async counts(): Promise<void> {
    const [s, t] = await Promise.all([this.src.count(this.n.source), this.tgt.count(this.n.target)]);
    this.outcome.sourceRows = s;
    this.outcome.targetRows = t;
  }

  private progress(rows: number): void {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    this.ctx.events?.emit({ type: 'progress', table: this.outcome.table, chunk: String(this.outcome.chunks), rows,
      totalRows: this.outcome.sourceRows, bytes: 0, rowsPerSecond: Math.round(rows / seconds) });
  }

  private record(diffs: RowDifference[]): void {
    for (const d of diffs) if (this.outcome.differences.length < this.maxListed) this.outcome.differences.push(d);
  }

  /** Waits before a re-check: backoff, and while a lag probe says replication is behind, until it catches up. */
  private async pause(attempt: number): Promise<void> {
    await sleep(FIRST_RECHECK_DELAY_MS * 2 ** attempt, undefined, { signal: this.ctx.signal }).catch(() => checkAbort(this.ctx.signal));
    if (!this.ctx.lagProbe) return;
    const until = Date.now() + MAX_LAG_WAIT_MS;
    while (Date.now() < until && (await this.ctx.lagProbe()) > 1) {
      checkAbort(this.ctx.signal);
      await sleep(500);
    }
  }

  async keyed(): Promise<TableOutcome> {
    await this.counts();
    let after: SourceValue[] | null = null;
    let rowsSeen = 0;
    let matched = 0;
    let missingSeen = 0;
    for (;;) {
      checkAbort(this.ctx.signal);
      const srcRows = await this.src.readAfter(this.n.source, after, this.chunkRows);
      if (srcRows.length === 0) break;
      after = keyOf(this.n.source, srcRows[srcRows.length - 1]);
      this.outcome.chunks++;
      rowsSeen += srcRows.length;

      const srcInfo = srcRows.map((r) => {
        const canon = this.n.canonicalSource(r);
        return { sourceKey: keyOf(this.n.source, r), canonKey: this.n.keyString(canon), hash: rowHash(canon), targetKey: this.targetKeyOf(r) };
      });
      const tgtRows = await this.tgt.fetchByKeys(this.n.target, srcInfo.map((s) => s.targetKey));
      const tgtHash = new Map<string, string>();
      for (const r of tgtRows) {
        const canon = this.n.canonical(r);
        tgtHash.set(this.n.keyString(canon), rowHash(canon));
      }
      // The chunk checksum: an order-independent sum of row hashes on each side; equal sums skip the chunk.
      if (tgtRows.length === srcRows.length && chunkSum(srcInfo.map((s) => s.hash)) === chunkSum([...tgtHash.values()]) && tgtHash.size === srcInfo.length) {
        matched += srcRows.length;
        this.progress(rowsSeen);
        continue;
      }
      this.outcome.mismatchedChunks++;
      const candidates: Candidate[] = [];
      for (const s of srcInfo) {
        const t = tgtHash.get(s.canonKey);
        if (t !== undefined) matched++;
        if (t === s.hash) continue;
        candidates.push({ kind: t === undefined ? 'missing' : 'changed', canonKey: s.canonKey, sourceKey: s.sourceKey, targetKey: s.targetKey, display: keyText(s.sourceKey) });
      }
      const confirmed = await this.settle(candidates);
      missingSeen += confirmed.filter((c) => c.kind === 'missing').length;
      await this.conclude(confirmed);
      this.progress(rowsSeen);
    }
    if (this.outcome.targetRows !== matched || this.outcome.targetRows !== this.outcome.sourceRows || missingSeen > 0) {
      await this.findExtras();
    }
    if (this.ctx.repair && this.outcome.repaired > 0) await this.counts();
    return this.outcome;
  }

  private targetKeyOf(sourceRow: SourceValue[]): SourceValue[] {
    const idx = this.n.source.key.map((k) => this.n.source.columns.findIndex((c) => c.name === k));
    return idx.map((i) => {
      const v = sourceRow[i];
      const convert = this.m.columns[i].convert;
      try {
        return v === null || !convert ? v : convert(v);
      } catch {
        return v;
      }
    });
  }

  /** Records confirmed differences and repairs them when asked. */
  private async conclude(confirmed: Candidate[]): Promise<void> {
    if (confirmed.length === 0) return;
    this.record(confirmed.map((c) => ({ key: c.display, kind: c.kind })));
    this.ctx.events?.emit({ type: 'warning', code: 'VERIFY_DIFFERENCE', object: this.outcome.table,
      message: `${this.outcome.table}: ${confirmed.length} differing row(s), e.g. key (${confirmed[0].display.join(', ')}) ${confirmed[0].kind}` });
    if (!this.ctx.repair) {
      this.outcome.remaining += confirmed.length;
      return;
    }
    const left = await this.repairKeyed(confirmed);
    this.outcome.repaired += confirmed.length - left.length;
    this.outcome.remaining += left.length;
  }

  /**
   * Re-reads suspected rows from both sides until they compare equal or the re-checks are used up; what
   * replication was still applying resolves on the way, what remains is a real difference.
   */
  private async settle(candidates: Candidate[], attempts = this.ctx.rechecks ?? 3): Promise<Candidate[]> {
    let left = candidates;
    for (let attempt = 0; attempt < attempts && left.length > 0; attempt++) {
      await this.pause(attempt);
      left = await this.recheck(left);
    }
    return left;
  }

  private async recheck(candidates: Candidate[]): Promise<Candidate[]> {
    const srcKeys = candidates.map((c) => c.sourceKey ?? c.targetKey);
    let srcRows: SourceValue[][] = [];
    try {
      srcRows = await this.src.fetchByKeys(this.n.source, srcKeys);
    } catch (err) {
      // A target-only key may not be valid input for the source's key type: then the source has no such row.
      if (candidates.every((c) => c.sourceKey)) throw err;
      srcRows = await this.src.fetchByKeys(this.n.source, candidates.filter((c) => c.sourceKey).map((c) => c.sourceKey as SourceValue[]));
    }
    const tgtRows = await this.tgt.fetchByKeys(this.n.target, candidates.map((c) => c.targetKey));
    const srcHash = new Map<string, { hash: string; key: SourceValue[] }>();
    for (const r of srcRows) {
      const canon = this.n.canonicalSource(r);
      srcHash.set(this.n.keyString(canon), { hash: rowHash(canon), key: keyOf(this.n.source, r) });
    }
    const tgtHash = new Map<string, string>();
    for (const r of tgtRows) {
      const canon = this.n.canonical(r);
      tgtHash.set(this.n.keyString(canon), rowHash(canon));
    }
    const out: Candidate[] = [];
    for (const c of candidates) {
      const s = srcHash.get(c.canonKey);
      const t = tgtHash.get(c.canonKey);
      if (!s && t === undefined) continue;
      if (s && t === s.hash) continue;
      const kind = !s ? 'extra' : t === undefined ? 'missing' : 'changed';
      out.push({ ...c, kind, sourceKey: s ? s.key : c.sourceKey, display: s ? keyText(s.key) : c.display });
    }
    return out;
  }

  /** Deletes the target rows and re-inserts the source rows of these keys in one target transaction. */
  private async repairKeyed(candidates: Candidate[]): Promise<Candidate[]> {
    const fromSource = candidates.filter((c) => c.kind !== 'extra' && c.sourceKey).map((c) => c.sourceKey as SourceValue[]);
    const srcRows = fromSource.length > 0 ? await this.src.fetchByKeys(this.n.source, fromSource) : [];
    const rows = srcRows.map((r) => this.n.toTarget(r));
    await this.tgt.replaceByKey(this.n.target, candidates.map((c) => c.targetKey), rows);
    return this.recheck(candidates);
  }

  /** Target rows whose key the source does not have; only run when the counts say there can be some. */
  private async findExtras(): Promise<void> {
    const tgtKeyT: SideTable = { name: this.n.target.name, key: this.n.target.key, columns: this.n.target.key.map((k) => this.n.target.columns.find((c) => c.name === k)!) };
    const srcKeyT: SideTable = { name: this.n.source.name, key: this.n.source.key, columns: this.n.source.key.map((k) => this.n.source.columns.find((c) => c.name === k)!) };
    const keyCanon = this.n.target.key.map((k) => canonicaliserFor(this.n.target.columns.find((c) => c.name === k)!.type));
    const keyConv = this.n.source.key.map((k) => this.m.columns.find((c) => c.source.name === k)!.convert);
    const canonTargetKey = (key: SourceValue[]) => JSON.stringify(key.map((v, i) => (v === null ? null : keyCanon[i](v))));
    const canonSourceKey = (key: SourceValue[]) => JSON.stringify(key.map((v, i) => {
      if (v === null) return null;
      const c = keyConv[i];
      try { return keyCanon[i](c ? c(v) : v); } catch { return `\u0000${String(v)}`; }
    }));
    let after: SourceValue[] | null = null;
    for (;;) {
      checkAbort(this.ctx.signal);
      const keys = await this.tgt.readAfter(tgtKeyT, after, this.chunkRows);
      if (keys.length === 0) break;
      after = keys[keys.length - 1];
      let found: SourceValue[][];
      try {
        found = await this.src.fetchByKeys(srcKeyT, keys);
      } catch {
        // Target key text the source cannot take as input: look the keys up one by one.
        found = [];
        for (const k of keys) found.push(...await this.src.fetchByKeys(srcKeyT, [k]).catch(() => []));
      }
      const present = new Set(found.map(canonSourceKey));
      const candidates: Candidate[] = keys.filter((k) => !present.has(canonTargetKey(k)))
        .map((k) => ({ kind: 'extra' as const, canonKey: canonTargetKey(k), targetKey: k, display: keyText(k) }));
      if (candidates.length === 0) continue;
      this.outcome.mismatchedChunks++;
      await this.conclude(await this.settle(candidates));
    }
  }

  async keyless(): Promise<TableOutcome> {
    await this.counts();
    let balance = await this.compareMultisets();
    for (let attempt = 0; attempt < (this.ctx.rechecks ?? 3) && balance.size > 0; attempt++) {
      await this.pause(attempt);
      await this.counts();
      balance = await this.compareMultisets();
    }
    if (balance.size > 0) this.outcome.mismatchedChunks = 1;
    const diffs: RowDifference[] = [];
    let total = 0;
    for (const [hash, n] of balance) {
      total += Math.abs(n);
      for (let i = 0; i < Math.abs(n) && diffs.length < this.maxListed; i++) diffs.push({ key: [`row#${hash.slice(0, 16)}`], kind: n > 0 ? 'missing' : 'extra' });
    }
    this.record(diffs);
    if (total > 0) {
      this.ctx.events?.emit({ type: 'warning', code: 'VERIFY_DIFFERENCE', object: this.outcome.table,
        message: `${this.outcome.table} (no key): ${total} row(s) differ by content` });
    }
    if (total > 0 && this.ctx.repair) {
      await this.repairKeyless(balance);
      const after = await this.compareMultisets();
      let left = 0;
      for (const n of after.values()) left += Math.abs(n);
      this.outcome.repaired = Math.max(0, total - left);
      this.outcome.remaining = left;
      await this.counts();
    } else {
      this.outcome.remaining = total;
    }
    this.progress(this.outcome.sourceRows);
    return this.outcome;
  }

  private passes(): number {
    return Math.max(1, Math.ceil(Math.max(this.outcome.sourceRows, this.outcome.targetRows) / KEYLESS_PASS_ROWS));
  }

  /** Per row hash: source copies minus target copies, for every hash where they differ. */
  private async compareMultisets(): Promise<Map<string, number>> {
    const passes = this.passes();
    const diff = new Map<string, number>();
    this.outcome.chunks = passes;
    for (let p = 0; p < passes; p++) {
      const balance = new Map<string, number>();
      for await (const r of this.src.scan(this.n.source, this.ctx.signal)) {
        const h = rowHash(this.n.canonicalSource(r));
        if (bucketOf(h, passes) === p) balance.set(h, (balance.get(h) ?? 0) + 1);
      }
      for await (const r of this.tgt.scan(this.n.target, this.ctx.signal)) {
        const h = rowHash(this.n.canonical(r));
        if (bucketOf(h, passes) === p) balance.set(h, (balance.get(h) ?? 0) - 1);
      }
      for (const [h, n] of balance) if (n !== 0) diff.set(h, n);
    }
    return diff;
  }

  /** Deletes surplus target copies and inserts missing source copies, in one target transaction. */
  private async repairKeyless(balance: Map<string, number>): Promise<void> {
    const need = new Map(balance);
    const inserts: SourceValue[][] = [];
    const deletes: SourceValue[][] = [];
    for await (const r of this.src.scan(this.n.source, this.ctx.signal)) {
      const h = rowHash(this.n.canonicalSource(r));
      const n = need.get(h) ?? 0;
      if (n > 0) { inserts.push(this.n.toTarget(r)); need.set(h, n - 1); }
    }
    for await (const r of this.tgt.scan(this.n.target, this.ctx.signal)) {
      const h = rowHash(this.n.canonical(r));
      const n = need.get(h) ?? 0;
      if (n < 0) { deletes.push(r); need.set(h, n + 1); }
    }
    await this.tgt.replaceWhole(this.n.target, deletes, inserts);
  }
}

/** Sum of row hashes modulo 2^128: equal multisets give equal sums whatever order the rows came in. */
export function chunkSum(hashes: string[]): bigint {
  let sum = 0n;
  for (const h of hashes) sum = (sum + BigInt(`0x${h.slice(0, 32)}`)) & ((1n << 128n) - 1n);
  return sum;
}

function bucketOf(hash: string, passes: number): number {
  return passes === 1 ? 0 : parseInt(hash.slice(0, 8), 16) % passes;
}
