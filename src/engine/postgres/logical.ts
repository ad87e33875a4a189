// LogicalReader: streams pgoutput changes from the task's replication slot (START_REPLICATION … LOGICAL)
// and yields source transactions in commit order; acknowledges an LSN only once the target committed it.
import pg from 'pg';
import type { ConnectionConfig } from '../connection';
import { ConnectionError, FerryError, asFerryError } from '../errors';
import type { QualifiedName } from '../model';
import { qualifiedKey } from '../model';
import type { PostgresPosition, SourcePosition } from '../position';
import type { SourceValue } from '../convert/types';
import type { ChangeStream, DdlChange, RowChange, SourceTransaction, StreamItem } from '../cdc/events';
import { pgClientConfig, pgConnectError, quotePgIdent, quotePgLiteral } from './connect';
import { type Relation, type TupleValue, decodeFrame, formatLsn, parseLsn, standbyStatus } from './logical-pgoutput';

export interface LogicalReaderOptions {
  source: ConnectionConfig;
  start: PostgresPosition;
  tables: { name: QualifiedName; columns: string[] }[];
  signal?: AbortSignal;
  /** Status update interval (also asks the server for a keepalive, which tells Ferry it is caught up). */
  statusSeconds?: number;
  highWater?: number;
  /** … or while the queued transactions' estimated size is above this many bytes. */
  highWaterBytes?: number;
}

/**
 * The walsender formats pgoutput's text values with its own settings: these make them the same text the
 * full-load reader gets under sessions.ts (ISO dates, UTC, ISO 8601 intervals, exact floats, hex bytea).
 */
const WALSENDER_OPTIONS = '-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=iso_8601 -c extra_float_digits=3 -c bytea_output=hex';

/** The ferry_meta key of a PostgreSQL transaction: its end LSN, zero-padded hex (string order = log order). */
export function lsnKey(lsn: bigint): string {
  return lsn.toString(16).padStart(16, '0');
}

/** The raw pg connection pieces the stream uses (pg has no public CopyBoth API). */
interface PgWire {
  stream: { pause(): void; resume(): void };
  on(event: 'copyData', l: (msg: { chunk: Buffer }) => void): void;
  sendCopyFromChunk(chunk: Buffer): void;
}

interface OpenTx { xid: number; changes: RowChange[]; ddl?: DdlChange; commitTime: number; bytes: number }

/** Default byte bound of decoded transactions waiting for the consumer. */
const DEFAULT_HIGH_WATER_BYTES = 8 * 1024 * 1024;

export class LogicalReader implements ChangeStream {
  private client?: pg.Client;
  private wire?: PgWire;
  private readonly queue: StreamItem[] = [];
  private notify?: () => void;
  private failure?: FerryError;
  private ended = false;
  private paused = false;
  private readonly relations = new Map<number, Relation>();
  /** Per table: the image column order, and for each relation column its image position. */
  private readonly order = new Map<string, string[]>();
  private readonly imagePos = new Map<number, number[]>();
  private tx?: OpenTx;
  private received = 0n;
  private flushed: bigint;
  private timer?: NodeJS.Timeout;
  private readonly highWater: number;
  private readonly highWaterBytes: number;
  private queueBytes = 0;
  /** Size of the frame being decoded (feeds the transaction's size estimate). */
  private frameBytes = 0;
  /** End LSN of the last transaction handed to the consumer: until it is confirmed, something received is unapplied. */
  private lastTxEnd = 0n;

  constructor(private readonly opts: LogicalReaderOptions) {
    for (const t of opts.tables) this.order.set(qualifiedKey(t.name), t.columns);
    this.flushed = parseLsn(opts.start.lsn);
    this.highWater = opts.highWater ?? 2000;
    this.highWaterBytes = opts.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
  }

  async start(): Promise<void> {
    const src = this.opts.source;
    const config = { ...pgClientConfig(src, src.database, true), options: WALSENDER_OPTIONS } as pg.ClientConfig;
    const client = new pg.Client(config);
    client.on('error', (err) => this.fail(err));
    client.on('end', () => { if (!this.ended) this.fail(new ConnectionError('CDC_SOURCE_LOST', 'the source closed the replication connection', { retryable: true })); });
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw pgConnectError(err, src);
    }
    this.client = client;
    // pg's Client keeps its protocol connection on an undocumented field; CopyBoth needs it.
    this.wire = (client as unknown as { connection: PgWire }).connection;
    this.wire.on('copyData', ({ chunk }) => this.onCopyData(chunk));
    const { slot, publication, lsn } = this.opts.start;
    const sql = `START_REPLICATION SLOT ${quotePgIdent(slot)} LOGICAL ${lsn} (proto_version '1', publication_names ${quotePgLiteral(quotePgIdent(publication))})`;
    client.query(sql).then(() => this.finish(), (err: unknown) => {
      const e = err as { code?: string; message?: string };
      if (e.code === '42704') this.fail(new FerryError('CDC_SLOT_MISSING', `replication slot "${slot}" does not exist on the source`, { fix: 'the slot was dropped; run the full load again to create a new snapshot and slot' }));
      else if (e.code === '55006') this.fail(new FerryError('CDC_SLOT_BUSY', `replication slot "${slot}" is in use by another connection`, { fix: 'stop the other Ferry process of this task (or SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ...)', retryable: true }));
      else this.fail(err);
    });
    this.timer = setInterval(() => this.sendStatus(true), (this.opts.statusSeconds ?? 0.5) * 1000);
    this.opts.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  confirm(position: SourcePosition): void {
    if (position.engine !== 'postgres') return;
    const lsn = parseLsn(position.lsn);
    if (lsn > this.flushed) { this.flushed = lsn; this.sendStatus(false); }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.ended) this.sendStatus(false);
    this.ended = true;
    const c = this.client;
    this.client = undefined;
    if (c) {
      // Ending a CopyBoth stream cleanly needs CopyDone; closing the socket is equivalent for the slot.
      (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      await c.end().catch(() => undefined);
    }
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamItem> {
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        if (item.kind === 'transaction') this.queueBytes -= item.tx.bytes ?? 0;
        if (this.paused && this.queue.length < this.highWater / 2 && this.queueBytes < this.highWaterBytes / 2) { this.paused = false; this.wire?.stream.resume(); }
        yield item;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((r) => { this.notify = r; });
    }
  }

  private sendStatus(replyRequested: boolean): void {
    if (this.ended || !this.wire) return;
    try {
      this.wire.sendCopyFromChunk(standbyStatus(this.received > this.flushed ? this.received : this.flushed, this.flushed, replyRequested));
    } catch (err) {
      this.fail(err);
    }
  }

  private wake(): void { const n = this.notify; this.notify = undefined; n?.(); }

  private push(item: StreamItem): void {
    this.queue.push(item);
    if (item.kind === 'transaction') this.queueBytes += item.tx.bytes ?? 0;
    // The consumer is behind: stop reading the socket, so the slot (not this process) holds the rest.
    if (!this.paused && (this.queue.length >= this.highWater || this.queueBytes >= this.highWaterBytes) && this.wire) { this.paused = true; this.wire.stream.pause(); }
    this.wake();
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.failure = asFerryError(err, 'logical replication stream');
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.wake();
  }

  private finish(): void { this.ended = true; this.wake(); }

  private position(lsn: bigint): PostgresPosition {
    return { engine: 'postgres', lsn: formatLsn(lsn), slot: this.opts.start.slot, publication: this.opts.start.publication };
  }

  private onCopyData(chunk: Buffer): void {
    if (this.ended) return;
    try {
      const f = decodeFrame(chunk);
      if (!f) return;
      if (f.kind === 'keepalive') {
        if (!this.tx) {
          if (f.walEnd > this.received) this.received = f.walEnd;
          // Every transaction received is committed on the target: what lies before walEnd needs nothing from
          // Ferry, so it is confirmed as flushed (as pg_recvlogical does). A walsender shutting down waits for
          // exactly that (its shutdown checkpoint confirmed) before the server can stop.
          if (this.flushed >= this.lastTxEnd && f.walEnd > this.flushed) this.flushed = f.walEnd;
        }
        if (f.replyRequested) this.sendStatus(false);
        // Everything the server had was sent before this keepalive: outside a transaction we are caught up.
        this.push({ kind: 'position', sourceTime: Date.now(), position: this.position(this.received), caughtUp: !this.tx });
        return;
      }
      this.frameBytes = chunk.length;
      this.onMessage(f.message);
    } catch (err) {
      this.fail(err);
    }
  }

  private onMessage(m: ReturnType<typeof decodeFrame> extends infer F ? F extends { kind: 'xlog'; message: infer M } ? M : never : never): void {
    switch (m.tag) {
      case 'begin':
        this.tx = { xid: m.xid, changes: [], commitTime: m.commitTime, bytes: 0 };
        return;
      case 'commit': {
        const tx = this.tx;
        this.tx = undefined;
        this.received = m.endLsn;
        if (!tx || (tx.changes.length === 0 && !tx.ddl)) {
          this.push({ kind: 'position', sourceTime: m.commitTime, position: this.position(m.endLsn), caughtUp: false });
          return;
        }
        const out: SourceTransaction = { key: lsnKey(m.endLsn), id: `xid ${tx.xid}`, resumeFrom: this.position(m.endLsn), commitTime: m.commitTime, changes: tx.changes, bytes: tx.bytes };
        if (tx.ddl) out.ddl = tx.ddl;
        this.lastTxEnd = m.endLsn;
        this.push({ kind: 'transaction', tx: out });
        return;
      }
      case 'relation':
        this.onRelation(m.relation);
        return;
      case 'insert': case 'update': case 'delete': {
        const rel = this.relations.get(m.relid);
        if (!rel) throw new FerryError('CDC_DECODE', `pgoutput change for unknown relation ${m.relid}`, { fix: 'restart the task' });
        const table = { schema: rel.schema, name: rel.name };
        if (!this.order.has(qualifiedKey(table))) return;
        const tx = this.tx ?? (this.tx = { xid: 0, changes: [], commitTime: Date.now(), bytes: 0 });
        const pos = this.imagePos.get(m.relid) as number[];
        const width = (this.order.get(qualifiedKey(table)) as string[]).length;
        // Decoded text takes up to twice its wire size; each value and row object adds its own overhead.
        tx.bytes += 2 * this.frameBytes + 96 + 2 * width * 40;
        const image = (values: TupleValue[], keyOnly: boolean): { row: (SourceValue | undefined)[]; unchanged?: boolean[] } => {
          const row: (SourceValue | undefined)[] = new Array(width).fill(keyOnly ? undefined : null);
          let unchanged: boolean[] | undefined;
          values.forEach((v, i) => {
            const at = pos[i];
            if (at < 0) return;
            // A 'K' old image carries only the replica-identity columns; the others are not NULL but unknown.
            if (keyOnly && !rel.columns[i].key) return;
            if (v.kind === 'n') row[at] = null;
            else if (v.kind === 'u') { row[at] = undefined; (unchanged ??= new Array(width).fill(false))[at] = true; }
            else row[at] = rel.columns[i].typeOid === 17 ? Buffer.from(v.text.slice(2), 'hex') : v.text;
          });
          return { row, unchanged };
        };
        if (m.tag === 'insert') {
          tx.changes.push({ kind: 'insert', table, after: image(m.after, false).row as SourceValue[] });
        } else if (m.tag === 'delete') {
          tx.changes.push({ kind: 'delete', table, before: image(m.old.values, m.old.kind === 'K').row });
        } else {
          const before = m.old ? image(m.old.values, m.old.kind === 'K').row : undefined;
          const a = image(m.after, false);
          // Unchanged TOAST values are in a full old image: take them from there.
          if (a.unchanged && before) a.unchanged.forEach((u, i) => { if (u && before[i] !== undefined) { a.row[i] = before[i]; (a.unchanged as boolean[])[i] = false; } });
          const change: RowChange = { kind: 'update', table, after: a.row.map((v) => (v === undefined ? null : v)) };
          if (before) change.before = before;
          if (a.unchanged?.some(Boolean)) change.unchanged = a.unchanged;
          tx.changes.push(change);
        }
        return;
      }
      case 'truncate': {
        const tables = m.relids.map((id) => this.relations.get(id)).filter((r): r is Relation => !!r)
          .map((r) => ({ schema: r.schema, name: r.name })).filter((t) => this.order.has(qualifiedKey(t)));
        if (tables.length === 0) return;
        const tx = this.tx ?? (this.tx = { xid: 0, changes: [], commitTime: Date.now(), bytes: 0 });
        // A truncate is applied as a barrier; changes before it in the same transaction go first.
        if (tx.changes.length > 0 || tx.ddl) {
          throw new FerryError('CDC_UNSUPPORTED', `a transaction (xid ${tx.xid}) mixes row changes with TRUNCATE of ${tables.map(qualifiedKey).join(', ')}`,
            { fix: 'run TRUNCATE in its own transaction on the source, or re-run the full load of these tables' });
        }
        tx.ddl = { statement: `TRUNCATE ${tables.map(qualifiedKey).join(', ')}`, schema: tables[0].schema, tables, truncate: { tables, cascade: m.cascade, restartIdentity: m.restartIdentity } };
        return;
      }
      default:
        return;
    }
  }

  /**
   * A Relation message precedes the first change of a table in each session and follows every change of its
   * shape. Columns that differ from the known image order are a schema change: it travels as DDL on the
   * current transaction (applied as a barrier before its rows), and the image order follows the source.
   */
  private onRelation(rel: Relation): void {
    this.relations.set(rel.relid, rel);
    const key = qualifiedKey({ schema: rel.schema, name: rel.name });
    const known = this.order.get(key);
    if (!known) return;
    const names = rel.columns.map((c) => c.name);
    const added = rel.columns.filter((c) => !known.includes(c.name));
    const dropped = known.filter((n) => !names.includes(n));
    if (added.length > 0 || dropped.length > 0) {
      const table = { schema: rel.schema, name: rel.name };
      const tx = this.tx ?? (this.tx = { xid: 0, changes: [], commitTime: Date.now(), bytes: 0 });
      if (tx.changes.length > 0 || tx.ddl) {
        throw new FerryError('CDC_SCHEMA_CHANGED', `table ${key} changed shape in the middle of transaction ${tx.xid}`, { fix: 'apply the change by hand on the target, then re-run the full load of this table' });
      }
      const kept = known.filter((n) => names.includes(n));
      tx.ddl = {
        statement: `relation ${key}: ${added.map((c) => `+${c.name}`).concat(dropped.map((d) => `-${d}`)).join(' ')}`,
        schema: rel.schema, tables: [table], columns: { [key]: [...kept, ...added.map((c) => c.name)] },
        relation: { table, added: added.map((c) => ({ name: c.name, typeOid: c.typeOid, typmod: c.typmod })), dropped },
      };
      this.order.set(key, [...kept, ...added.map((c) => c.name)]);
    }
    const order = this.order.get(key) as string[];
    this.imagePos.set(rel.relid, names.map((n) => order.indexOf(n)));
  }
}
