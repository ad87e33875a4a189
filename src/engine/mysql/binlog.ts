// BinlogReader: connects to MySQL/MariaDB as a replica (COM_BINLOG_DUMP by file/position, or MariaDB GTID),
// decodes row events of the migrated tables and yields source transactions in commit order.
import { crc32 } from 'node:zlib';
import { randomInt } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import type { ConnectionConfig } from '../connection';
import { ConnectionError, FerryError, asFerryError } from '../errors';
import type { QualifiedName } from '../model';
import { qualifiedKey } from '../model';
import type { MysqlPosition } from '../position';
import type { SourceValue } from '../convert/types';
import type { ChangeStream, RowChange, SourceTransaction, StreamItem } from '../cdc/events';
import { connectMysql } from './connect';
import { E, type BinlogEvent, type TableMapEvent, parseEvent, readHeader, readLenEnc } from './binlog-events';
import { type BinlogColumn, decodeValue } from './binlog-values';
import { loadBinlogColumns } from './binlog-columns';
import { ddlTables, isDdl, isTransactionControl } from './binlog-ddl';

/** The part of mysql2's internal packet and command objects the raw dump uses. */
interface RawPacket { buffer: Buffer; offset: number; end: number; isEOF(): boolean }
interface RawCommand {
  start: (packet: RawPacket, conn: RawConnection) => unknown;
  on(event: string, l: (...a: unknown[]) => void): void;
}
interface RawConnection {
  /** mysql2's own COM_BINLOG_DUMP command (it parses only four event types, so Ferry takes over its packet handler). */
  _binlogDump(opts: { binlogPos: number; serverId: number; flags: number; filename: string }): RawCommand;
  query(sql: string, cb: () => void): void;
  writePacket(packet: { buffer: Buffer; length(): number; writeHeader(seq: number): void }): void;
  pause(): void;
  resume(): void;
  destroy(): void;
  stream: { destroy(): void };
  on(event: string, l: (...a: unknown[]) => void): void;
}

export interface BinlogReaderOptions {
  source: ConnectionConfig;
  start: MysqlPosition;
  /** The migrated source tables (database = source database) and the column order images are given in. */
  tables: { name: QualifiedName; columns: string[] }[];
  signal?: AbortSignal;
  /** Replica server id; random in 1e9..2e9 by default so concurrent tasks never collide. */
  serverId?: number;
  /** The server sends a heartbeat after this many idle seconds (drives caught-up on an idle source). */
  heartbeatSeconds?: number;
  /** Stop reading from the socket while this many items are queued (back-pressure). */
  highWater?: number;
  /** … or while the queued transactions' estimated size is above this many bytes. */
  highWaterBytes?: number;
}

/** The key of a MySQL transaction in ferry_meta: binlog file sequence and end offset, zero-padded. */
export function binlogKey(p: { file: string; pos: number }): string {
  const seq = Number(p.file.slice(p.file.lastIndexOf('.') + 1));
  return `${String(seq).padStart(10, '0')}:${String(p.pos).padStart(12, '0')}`;
}

interface OpenTx {
  id: string;
  gtid?: string;
  standalone: boolean;
  changes: RowChange[];
  ddl?: SourceTransaction['ddl'];
  /** Estimated memory of the decoded images so far. */
  bytes: number;
}

/** COM_BINLOG_DUMP (0x12): position, flags, server id, file name — in the shape mysql2's writePacket takes. */
function dumpPacket(pos: number, serverId: number, filename: string): { buffer: Buffer; length(): number; writeHeader(seq: number): void } {
  const name = Buffer.from(filename, 'utf8');
  const buffer = Buffer.alloc(4 + 11 + name.length);
  buffer[4] = 0x12;
  buffer.writeUInt32LE(pos, 5);
  buffer.writeUInt16LE(0, 9);
  buffer.writeUInt32LE(serverId, 11);
  name.copy(buffer, 15);
  return {
    buffer,
    length: () => buffer.length,
    writeHeader: (seq: number) => { buffer.writeUIntLE(buffer.length - 4, 0, 3); buffer[3] = seq; },
  };
}

/** Default byte bound of decoded transactions waiting for the consumer. */
const DEFAULT_HIGH_WATER_BYTES = 8 * 1024 * 1024;

export class BinlogReader implements ChangeStream {
  private conn?: Connection;
  private meta?: Connection;
  private raw?: RawConnection;
  private readonly queue: StreamItem[] = [];
  private notify?: () => void;
  private failure?: FerryError;
  private ended = false;
  private paused = false;
  private ddlPaused = false;
  /** Per table: the image column order, and for each image column its position in the live (binlog) row. */
  private readonly order = new Map<string, string[]>();
  private readonly livePos = new Map<string, number[]>();
  private file: string;
  private pos: number;
  private checksum = false;
  private readonly gtidState = new Map<number, string>();
  private readonly tableMaps = new Map<number, TableMapEvent>();
  private readonly wanted: Set<string>;
  private columns = new Map<string, BinlogColumn[]>();
  /** Bumped whenever a table's live columns or image order change: name alignments made before are stale. */
  private shapeVersion = 0;
  /** Per logged table map (they repeat every transaction): its columns aligned by name to the live ones. */
  private readonly aligned = new WeakMap<TableMapEvent, { version: number; cols: BinlogColumn[]; livePos: number[] }>();
  private tx?: OpenTx;
  private lastTimestamp = 0;
  private pending: Promise<void> = Promise.resolve();
  private readonly highWater: number;
  private readonly highWaterBytes: number;
  private queueBytes = 0;

  constructor(private readonly opts: BinlogReaderOptions) {
    this.file = opts.start.file;
    this.pos = opts.start.pos;
    if (opts.start.gtid) for (const g of opts.start.gtid.split(',')) { const t = g.trim(); if (/^\d+-\d+-\d+$/.test(t)) this.gtidState.set(Number(t.split('-')[0]), t); }
    this.wanted = new Set(opts.tables.map((t) => qualifiedKey(t.name)));
    for (const t of opts.tables) this.order.set(qualifiedKey(t.name), t.columns);
    this.highWater = opts.highWater ?? 2000;
    this.highWaterBytes = opts.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
  }

  /** Connects, loads the live column definitions and starts the dump. */
  async start(): Promise<void> {
    const src = this.opts.source;
    this.meta = await connectMysql(src, null);
    this.setColumns(await loadBinlogColumns(this.meta, this.opts.tables.map((t) => t.name)));
    const conn = await connectMysql(src, null);
    this.conn = conn;
    try {
      const [vars] = await conn.query("SELECT @@global.binlog_format AS f, @@global.binlog_row_image AS i, @@global.binlog_checksum AS c, @@version AS v") as unknown as [{ f: string; i: string; c: string; v: string }[]];
      const v = vars[0];
      if (v.f !== 'ROW') throw new FerryError('CDC_BINLOG_FORMAT', `binlog_format is ${v.f} on the source; incremental sync needs row events`, { fix: 'SET GLOBAL binlog_format=ROW (and in my.cnf), then restart the task from a new full load' });
      if (v.i !== 'FULL') throw new FerryError('CDC_BINLOG_ROW_IMAGE', `binlog_row_image is ${v.i} on the source; Ferry needs whole before/after images`, { fix: 'SET GLOBAL binlog_row_image=FULL (and in my.cnf), then restart the task from a new full load' });
      const mariadb = /mariadb/i.test(v.v);
      // Every event the server sends after this, the artificial first ROTATE included, ends in a CRC32.
      this.checksum = v.c === 'CRC32';
      // Tells the server we verify checksums ourselves, so it sends them rather than refusing the dump.
      await conn.query('SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum');
      await conn.query(`SET @master_heartbeat_period = ${Math.round((this.opts.heartbeatSeconds ?? 0.5) * 1e9)}`);
      // MariaDB: send GTID events as such (capability 4) instead of rewriting them as BEGIN.
      if (mariadb) await conn.query('SET @mariadb_slave_capability = 4');
      let filename = this.file;
      let pos = this.pos;
      if (filename) {
        // A purged file must stop the task loudly: replaying from a later file would silently lose changes.
        const [logs] = await conn.query('SHOW BINARY LOGS') as unknown as [{ Log_name: string; File_size: number | string }[]];
        const log = logs.find((l) => l.Log_name === filename);
        if (!log || Number(log.File_size) < pos) {
          throw new FerryError('CDC_BINLOG_GONE', `the source no longer has binlog ${filename} at ${pos}, where this task must resume (the oldest is ${logs[0]?.Log_name ?? 'none'})`,
            { fix: 'the binlog was purged (expire_logs_days / binlog_expire_logs_seconds or PURGE BINARY LOGS): keep binlogs longer and start the task again with a new full load' });
        }
      }
      if (!filename) {
        const gtid = this.opts.start.gtid;
        if (!mariadb || !gtid) throw new FerryError('CDC_POSITION', 'the start position has neither a binlog file nor a MariaDB GTID', { fix: 'run the full load again to record a snapshot position' });
        await conn.query('SET @slave_connect_state = ?, @slave_gtid_strict_mode = 0, @slave_gtid_ignore_duplicates = 0', [gtid]);
        filename = '';
        pos = 4;
      }
      // mysql2's promise connection wraps the callback connection that owns the socket and the command queue.
      this.raw = (conn as unknown as { connection: RawConnection }).connection;
      this.raw.on('error', (err: unknown) => this.fail(err));
      this.raw.on('end', () => { if (!this.ended) this.fail(new ConnectionError('CDC_SOURCE_LOST', 'the source closed the binlog connection', { retryable: true })); });
      const serverId = this.opts.serverId ?? randomInt(1_000_000_000, 2_000_000_000);
      const onPacket = (packet: RawPacket): unknown => {
        // A blocking dump never ends on its own: an EOF means the server stopped sending (shutdown, error).
        if (packet.isEOF()) {
          this.fail(new ConnectionError('CDC_SOURCE_LOST', 'the source ended the binlog stream', { retryable: true }));
          return null;
        }
        // Each event packet starts with an OK byte (0x00) before the event itself.
        this.onEvent(packet.buffer.subarray(packet.offset + 1, packet.end));
        return onPacket;
      };
      // A statement in flight makes mysql2 queue the dump command instead of starting it at once, so its
      // start() can be wrapped: it sends the dump request, then Ferry's handler reads the raw events.
      this.raw.query('DO 0', () => undefined);
      const cmd = this.raw._binlogDump({ binlogPos: pos, serverId, flags: 0, filename });

      cmd.start = (_packet, c) => { c.writePacket(dumpPacket(pos, serverId, filename)); return onPacket; };
      cmd.on('error', (err: unknown) => this.fail(err));
    } catch (err) {
      await this.close();
      throw err instanceof FerryError ? err : asFerryError(err, 'starting the binlog dump');
    }
    this.opts.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  confirm(): void {
    // The binlog keeps no replica state on the source: progress lives in ferry_meta only.
  }

  async close(): Promise<void> {
    this.ended = true;
    // The dump connection cannot take COM_QUIT while streaming, and mysql2's destroy() only half-closes the
    // socket (the server would keep sending heartbeats): the socket itself is destroyed.
    this.raw?.stream.destroy();
    this.raw = undefined;
    this.conn = undefined;
    await this.meta?.end().catch(() => undefined);
    this.meta = undefined;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamItem> {
    for (;;) {
      const item = this.queue.shift();
      if (item) {
        if (item.kind === 'transaction') this.queueBytes -= item.tx.bytes ?? 0;
        if (this.paused && this.queue.length < this.highWater / 2 && this.queueBytes < this.highWaterBytes / 2) {
          this.paused = false;
          if (!this.ddlPaused) this.raw?.resume();
        }
        yield item;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((r) => { this.notify = r; });
    }
  }

  private wake(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  private push(item: StreamItem): void {
    this.queue.push(item);
    if (item.kind === 'transaction') this.queueBytes += item.tx.bytes ?? 0;
    // The consumer is behind: stop reading the socket, so the server's log (not this process) holds the rest.
    if (!this.paused && (this.queue.length >= this.highWater || this.queueBytes >= this.highWaterBytes) && this.raw) { this.paused = true; this.raw.pause(); }
    this.wake();
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    const e = asFerryError(err, 'binlog stream');
    this.failure = e.code === 'ER_MASTER_FATAL_ERROR_READING_BINLOG' || (err as { errno?: number })?.errno === 1236
      ? new FerryError('CDC_BINLOG_GONE', `the source cannot send the binlog from ${this.file}:${this.pos}: ${e.message}`,
        { fix: 'the binlog file was purged (expire_logs_days / binlog_expire_logs_seconds); keep binlogs longer and run the full load again' })
      : e;
    this.ended = true;
    this.wake();
  }


  private onEvent(raw: Buffer): void {
    if (this.failure || this.ended) return;
    try {
      const h = readHeader(raw);
      let buf = raw;
      if (this.checksum) {
        const body = raw.subarray(0, raw.length - 4);
        const expected = raw.readUInt32LE(raw.length - 4);
        if (crc32(body) !== expected) throw new FerryError('CDC_BINLOG_CHECKSUM', `binlog event at ${this.file}:${this.pos} fails its CRC32 check`, { fix: 'the network or the binlog file is corrupt; run mysqlbinlog --verify-binlog-checksum on it', retryable: true });
        buf = body;
      }
      const ev = parseEvent(h, buf);
      this.handle(h, ev);
      // Artificial events (fake rotate, format description on resume) carry nextPos 0 and move nothing.
      if (h.nextPos > 0 && h.type !== E.ROTATE) this.pos = h.nextPos;
      if (h.timestamp > 0) this.lastTimestamp = h.timestamp;
    } catch (err) {
      this.fail(err);
      this.raw?.stream.destroy();
    }
  }

  private position(): MysqlPosition {
    const gtid = [...this.gtidState.values()].join(',');
    return gtid ? { engine: 'mysql', file: this.file, pos: this.pos, gtid } : { engine: 'mysql', file: this.file, pos: this.pos };
  }

  private handle(h: ReturnType<typeof readHeader>, ev: BinlogEvent): void {
    switch (ev.kind) {
      case 'rotate':
        this.file = ev.file;
        this.pos = ev.pos;
        return;
      case 'heartbeat':
        this.push({ kind: 'position', sourceTime: Date.now(), position: this.position(), caughtUp: true });
        return;
      case 'gtid':
        this.tx = { id: ev.gtid, gtid: ev.gtid, standalone: ev.standalone, changes: [], bytes: 0 };
        this.gtidState.set(ev.domain, ev.gtid);
        return;
      case 'mysql_gtid':
        this.tx = { id: ev.gtid, gtid: ev.gtid, standalone: false, changes: [], bytes: 0 };
        return;
      case 'table_map':
        this.tableMaps.set(ev.map.tableId, ev.map);
        return;
      case 'rows':
        this.onRows(ev);
        return;
      case 'xid':
        this.commit(h, `xid ${ev.xid}`);
        return;
      case 'query': {
        const q = ev.query.trim();
        const ctl = isTransactionControl(q);
        if (ctl === 'begin') { if (!this.tx) this.tx = { id: `${this.file}:${this.pos}`, standalone: false, changes: [], bytes: 0 }; return; }
        if (ctl === 'commit') { this.commit(h); return; }
        if (ctl === 'rollback') { this.tx = undefined; this.skipped(h); return; }
        if (ev.errorCode !== 0) return;
        const tables = ddlTables(q, ev.schema).filter((t) => this.wanted.has(qualifiedKey(t)));
        if (isDdl(q) && tables.length > 0) {
          const tx = this.tx ?? { id: `${this.file}:${this.pos}`, standalone: true, changes: [], bytes: 0 };
          this.tx = undefined;
          this.onDdl(h, tx, q, ev.schema, tables);
          return;
        }
        if (/^(insert|update|delete|replace)\b/i.test(q) && this.wanted.size > 0 && [...this.wanted].some((w) => w.startsWith(`${ev.schema}.`))) {
          throw new FerryError('CDC_STATEMENT_EVENT', `the source logged a statement instead of row events: ${q.slice(0, 120)}`,
            { fix: 'set binlog_format=ROW globally and for every session (no SET SESSION binlog_format=STATEMENT), then run the full load again' });
        }
        if (this.tx?.standalone) { this.tx = undefined; this.skipped(h); }
        return;
      }
      default:
        return;
    }
  }

  private skipped(h: ReturnType<typeof readHeader>): void {
    if (h.nextPos > 0) this.pos = h.nextPos;
    this.push({ kind: 'position', sourceTime: this.eventTime(h), position: this.position(), caughtUp: false });
  }

  /**
   * When the source wrote the event, in ms: the log keeps whole seconds only, so the latest time that agrees with
   * both the logged second and the moment the event reached Ferry (a live event is read as it commits). Lag from
   * the logged second alone reads up to a second high; this reads it as it is, never lower than the log allows.
   */
  private eventTime(h: ReturnType<typeof readHeader>): number {
    const second = (h.timestamp || this.lastTimestamp) * 1000;
    return Math.max(second, Math.min(Date.now(), second + 999));
  }

  private commit(h: ReturnType<typeof readHeader>, id?: string): void {
    const tx = this.tx;
    this.tx = undefined;
    if (h.nextPos > 0) this.pos = h.nextPos;
    if (!tx || (tx.changes.length === 0 && !tx.ddl)) { this.skipped(h); return; }
    const resumeFrom = this.position();
    const out: SourceTransaction = {
      key: binlogKey(resumeFrom), id: tx.gtid ?? id ?? tx.id, resumeFrom,
      commitTime: this.eventTime(h), changes: tx.changes, bytes: tx.bytes,
    };
    if (tx.ddl) out.ddl = tx.ddl;
    this.push({ kind: 'transaction', tx: out });
  }

  private setColumns(live: Map<string, BinlogColumn[]>): void {
    this.shapeVersion++;
    for (const [key, cols] of live) {
      this.columns.set(key, cols);
      const order = this.order.get(key) ?? cols.map((c) => c.name);
      this.livePos.set(key, order.map((n) => cols.findIndex((c) => c.name === n)));
    }
  }

  /**
   * A DDL statement on a migrated table: the reader stops taking packets, reloads the live definition so
   * the rows after it decode with the new shape, switches the image order to the live columns, and then
   * yields the DDL as its own transaction (it commits implicitly; MariaDB marks its GTID standalone).
   */
  private onDdl(h: ReturnType<typeof readHeader>, tx: OpenTx, statement: string, schema: string, tables: QualifiedName[]): void {
    this.ddlPaused = true;
    this.raw?.pause();
    const endPos = h.nextPos;
    const meta = this.meta;
    if (!meta) return;
    loadBinlogColumns(meta, tables).then((live) => {
      const columns: Record<string, string[]> = {};
      for (const t of tables) {
        const key = qualifiedKey(t);
        const cols = live.get(key);
        if (cols) { this.order.set(key, cols.map((c) => c.name)); columns[key] = cols.map((c) => c.name); } else { this.columns.delete(key); }
      }
      this.setColumns(live);
      tx.ddl = { statement, schema, tables, columns };
      this.tx = tx;
      if (endPos > 0) this.pos = endPos;
      this.commit(h);
      this.ddlPaused = false;
      if (!this.paused) this.raw?.resume();
    }, (err: unknown) => { this.fail(err); this.raw?.stream.destroy(); });
  }

  private onRows(ev: Extract<BinlogEvent, { kind: 'rows' }>): void {
    const map = this.tableMaps.get(ev.tableId);
    if (!map) throw new FerryError('CDC_DECODE', `rows event for unknown table id ${ev.tableId} at ${this.file}:${this.pos}`, { fix: 'restart the task; if it repeats, report it' });
    const name = { schema: map.schema, name: map.table };
    const key = qualifiedKey(name);
    if (!this.wanted.has(key)) return;
    const cols = this.columns.get(key);
    if (cols && map.columnNames) {
      const a = this.alignByName(key, map, cols);
      this.decodeRows(ev, map, a.cols, a.livePos);
      return;
    }
    if (!cols || cols.length !== map.columns.length) {
      throw new FerryError('CDC_SCHEMA_CHANGED', `table ${key} has ${map.columns.length} columns in the binlog at ${this.file}:${this.pos} but ${cols?.length ?? 0} in its current definition, and the binlog does not name its columns`,
        { fix: "the table was altered after these changes were logged: set binlog_row_metadata=FULL on the source (SET GLOBAL binlog_row_metadata = 'FULL'; and in its configuration) so that future changes decode by column name, and copy this table again (run the full load again)" });
    }
    this.decodeRows(ev, map, cols, this.livePos.get(key) as number[]);
  }

  /**
   * Rows logged with column names (binlog_row_metadata=FULL), possibly before an ALTER the live definition
   * already reflects: each logged column decodes with the live definition of the same name (a column dropped
   * since decodes as bytes, only to be skipped), and the image takes each of its columns by name (a column
   * added since is NULL here; the DDL event that added it comes later in the log and fills it on the target).
   */
  private alignByName(key: string, map: TableMapEvent, live: BinlogColumn[]): { cols: BinlogColumn[]; livePos: number[] } {
    const cached = this.aligned.get(map);
    if (cached && cached.version === this.shapeVersion) return cached;
    const names = map.columnNames as string[];
    const find = (n: string) => live.find((c) => c.name === n) ?? live.find((c) => c.name.toLowerCase() === n.toLowerCase());
    const cols = names.map((n) => find(n) ?? { name: n, dataType: 'blob', unsigned: false, charset: 'binary' });
    const order = this.order.get(key) ?? live.map((c) => c.name);
    const lower = names.map((n) => n.toLowerCase());
    const livePos = order.map((n) => { const i = names.indexOf(n); return i >= 0 ? i : lower.indexOf(n.toLowerCase()); });
    const out = { version: this.shapeVersion, cols, livePos };
    this.aligned.set(map, out);
    return out;
  }

  private decodeRows(ev: Extract<BinlogEvent, { kind: 'rows' }>, map: TableMapEvent, cols: BinlogColumn[], livePos: number[]): void {
    const buf = ev.body;
    let p = ev.offset;
    const n = readLenEnc(buf, p); p += n.size;
    const ncols = n.value;
    const bitmapLen = (ncols + 7) >> 3;
    const present1 = buf.subarray(p, p + bitmapLen); p += bitmapLen;
    let present2 = present1;
    if (ev.op === 'update') { present2 = buf.subarray(p, p + bitmapLen); p += bitmapLen; }
    const table = { schema: map.schema, name: map.table };
    const image = (row: SourceValue[]): SourceValue[] => livePos.map((i) => (i < 0 ? null : row[i]));
    const readRow = (present: Buffer): SourceValue[] => {
      const row: SourceValue[] = new Array(ncols).fill(null);
      let count = 0;
      for (let i = 0; i < ncols; i++) if (present[i >> 3] & (1 << (i & 7))) count++;
      const nulls = buf.subarray(p, p + ((count + 7) >> 3));
      p += (count + 7) >> 3;
      let k = 0;
      for (let i = 0; i < ncols; i++) {
        if (!(present[i >> 3] & (1 << (i & 7)))) continue;
        const isNull = (nulls[k >> 3] & (1 << (k & 7))) !== 0;
        k++;
        if (isNull) continue;
        const v = decodeValue(buf, p, map.columns[i], cols[i]);
        row[i] = v.value;
        p += v.size;
      }
      return row;
    };
    if (!this.tx) this.tx = { id: `${this.file}:${this.pos}`, standalone: false, changes: [], bytes: 0 };
    const first = this.tx.changes.length;
    const start = p;
    while (p < buf.length) {
      if (ev.op === 'insert') this.tx.changes.push({ kind: 'insert', table, after: image(readRow(present1)) });
      else if (ev.op === 'delete') this.tx.changes.push({ kind: 'delete', table, before: image(readRow(present1)) });
      else {
        const before = image(readRow(present1));
        const after = image(readRow(present2));
        this.tx.changes.push({ kind: 'update', table, before, after });
      }
    }
    // Decoded strings take up to twice their wire size, each value and row object adds its own overhead.
    this.tx.bytes += 2 * (p - start) + (this.tx.changes.length - first) * (96 + 2 * livePos.length * 40);
  }
}
