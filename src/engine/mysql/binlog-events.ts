// Parses raw MySQL/MariaDB binlog events (header + body, checksum removed) into typed events.
import { FerryError } from '../errors';
import { type ColumnMeta, readColumnMeta } from './binlog-values';

export const E = {
  QUERY: 2, ROTATE: 4, FORMAT_DESCRIPTION: 15, XID: 16, TABLE_MAP: 19,
  WRITE_ROWS_V1: 23, UPDATE_ROWS_V1: 24, DELETE_ROWS_V1: 25, HEARTBEAT: 27, ROWS_QUERY: 29,
  WRITE_ROWS_V2: 30, UPDATE_ROWS_V2: 31, DELETE_ROWS_V2: 32, GTID: 33, ANONYMOUS_GTID: 34, PREVIOUS_GTIDS: 35,
  MARIA_ANNOTATE_ROWS: 160, MARIA_BINLOG_CHECKPOINT: 161, MARIA_GTID: 162, MARIA_GTID_LIST: 163,
  MARIA_START_ENCRYPTION: 164, MARIA_QUERY_COMPRESSED: 165,
  MARIA_WRITE_ROWS_COMPRESSED_V1: 169, MARIA_UPDATE_ROWS_COMPRESSED_V1: 170, MARIA_DELETE_ROWS_COMPRESSED_V1: 171,
  MARIA_WRITE_ROWS_COMPRESSED: 166, MARIA_UPDATE_ROWS_COMPRESSED: 167, MARIA_DELETE_ROWS_COMPRESSED: 168,
} as const;

export interface EventHeader {
  /** Seconds since the epoch when the statement/transaction started on the source. */
  timestamp: number;
  type: number;
  serverId: number;
  size: number;
  /** Position of the next event in the current binlog file (0 for artificial events). */
  nextPos: number;
  flags: number;
}

export interface TableMapEvent {
  tableId: number;
  schema: string;
  table: string;
  columns: ColumnMeta[];
  /**
   * The column names as they were when the rows were logged, present when the source logs them
   * (binlog_row_metadata=FULL): rows logged before an ALTER decode by name, not by today's column list.
   */
  columnNames?: string[];
}

/** Optional table-map metadata field carrying the column names (MySQL 8 / MariaDB 10.5+ with binlog_row_metadata=FULL). */
const META_COLUMN_NAME = 4;

/** The column names in a table map's optional metadata (TLV fields after the NULL bitmap), if logged. */
function optionalColumnNames(buf: Buffer, from: number, count: number): string[] | undefined {
  let q = from;
  while (q < buf.length) {
    const type = buf[q++];
    const len = readLenEnc(buf, q); q += len.size;
    const end = q + len.value;
    if (end > buf.length) return undefined;
    if (type === META_COLUMN_NAME) {
      const names: string[] = [];
      while (q < end) {
        const n = readLenEnc(buf, q); q += n.size;
        names.push(buf.toString('utf8', q, q + n.value)); q += n.value;
      }
      return names.length === count ? names : undefined;
    }
    q = end;
  }
  return undefined;
}

export type BinlogEvent =
  | { kind: 'rotate'; file: string; pos: number }
  | { kind: 'format'; serverVersion: string; checksum: boolean }
  | { kind: 'query'; schema: string; query: string; errorCode: number }
  | { kind: 'xid'; xid: bigint }
  | { kind: 'table_map'; map: TableMapEvent }
  | { kind: 'rows'; op: 'insert' | 'update' | 'delete'; tableId: number; body: Buffer; offset: number; flags: number }
  | { kind: 'gtid'; gtid: string; standalone: boolean; domain: number; seq: bigint }
  | { kind: 'mysql_gtid'; gtid: string }
  | { kind: 'heartbeat'; file: string }
  | { kind: 'ignored' };

export function readHeader(buf: Buffer): EventHeader {
  return {
    timestamp: buf.readUInt32LE(0), type: buf[4], serverId: buf.readUInt32LE(5), size: buf.readUInt32LE(9),
    nextPos: buf.readUInt32LE(13), flags: buf.readUInt16LE(17),
  };
}

/** Reads a length-encoded integer. */
export function readLenEnc(buf: Buffer, p: number): { value: number; size: number } {
  const b = buf[p];
  if (b < 0xfb) return { value: b, size: 1 };
  if (b === 0xfc) return { value: buf.readUInt16LE(p + 1), size: 3 };
  if (b === 0xfd) return { value: buf.readUIntLE(p + 1, 3), size: 4 };
  return { value: Number(buf.readBigUInt64LE(p + 1)), size: 9 };
}

/** Parses one event body. `buf` is the event without the 19-byte header's checksum trailer. */
export function parseEvent(h: EventHeader, buf: Buffer): BinlogEvent {
  const p = 19;
  switch (h.type) {
    case E.ROTATE:
      return { kind: 'rotate', pos: Number(buf.readBigUInt64LE(p)), file: buf.toString('utf8', p + 8) };
    case E.FORMAT_DESCRIPTION: {
      const serverVersion = buf.toString('latin1', p + 2, p + 52).replace(/\0.*$/s, '');
      // With checksums the body ends in: algorithm byte + 4-byte CRC (the caller strips the CRC).
      const alg = buf[buf.length - 1];
      return { kind: 'format', serverVersion, checksum: alg === 1 };
    }
    case E.QUERY: {
      const dbLen = buf[p + 8];
      const errorCode = buf.readUInt16LE(p + 9);
      const statusLen = buf.readUInt16LE(p + 11);
      const dbStart = p + 13 + statusLen;
      const schema = buf.toString('utf8', dbStart, dbStart + dbLen);
      const query = buf.toString('utf8', dbStart + dbLen + 1);
      return { kind: 'query', schema, query, errorCode };
    }
    case E.XID:
      return { kind: 'xid', xid: buf.readBigUInt64LE(p) };
    case E.TABLE_MAP: {
      const tableId = buf.readUIntLE(p, 6);
      let q = p + 8;
      const sLen = buf[q++]; const schema = buf.toString('utf8', q, q + sLen); q += sLen + 1;
      const tLen = buf[q++]; const table = buf.toString('utf8', q, q + tLen); q += tLen + 1;
      const n = readLenEnc(buf, q); q += n.size;
      const types = [...buf.subarray(q, q + n.value)]; q += n.value;
      const metaLen = readLenEnc(buf, q); q += metaLen.size;
      const columns = readColumnMeta(types, buf, q);
      q += metaLen.value + ((n.value + 7) >> 3);
      const columnNames = optionalColumnNames(buf, q, n.value);
      return { kind: 'table_map', map: columnNames ? { tableId, schema, table, columns, columnNames } : { tableId, schema, table, columns } };
    }
    case E.WRITE_ROWS_V1: case E.UPDATE_ROWS_V1: case E.DELETE_ROWS_V1:
    case E.WRITE_ROWS_V2: case E.UPDATE_ROWS_V2: case E.DELETE_ROWS_V2: {
      const tableId = buf.readUIntLE(p, 6);
      const flags = buf.readUInt16LE(p + 6);
      let q = p + 8;
      // v2 adds a variable "extra data" block whose length counts its own two bytes.
      if (h.type >= E.WRITE_ROWS_V2) q += buf.readUInt16LE(q);
      const op = h.type === E.WRITE_ROWS_V1 || h.type === E.WRITE_ROWS_V2 ? 'insert'
        : h.type === E.UPDATE_ROWS_V1 || h.type === E.UPDATE_ROWS_V2 ? 'update' : 'delete';
      return { kind: 'rows', op, tableId, body: buf, offset: q, flags };
    }
    case E.MARIA_GTID: {
      const seq = buf.readBigUInt64LE(p);
      const domain = buf.readUInt32LE(p + 8);
      const flags = buf[p + 12];
      return { kind: 'gtid', gtid: `${domain}-${h.serverId}-${seq}`, standalone: (flags & 1) !== 0, domain, seq };
    }
    case E.GTID: {
      const sid = buf.subarray(p + 1, p + 17).toString('hex');
      const uuid = `${sid.slice(0, 8)}-${sid.slice(8, 12)}-${sid.slice(12, 16)}-${sid.slice(16, 20)}-${sid.slice(20)}`;
      return { kind: 'mysql_gtid', gtid: `${uuid}:${buf.readBigUInt64LE(p + 17)}` };
    }
    case E.HEARTBEAT:
      return { kind: 'heartbeat', file: buf.toString('utf8', p) };
    case E.MARIA_QUERY_COMPRESSED: case E.MARIA_WRITE_ROWS_COMPRESSED: case E.MARIA_UPDATE_ROWS_COMPRESSED:
    case E.MARIA_DELETE_ROWS_COMPRESSED: case E.MARIA_WRITE_ROWS_COMPRESSED_V1: case E.MARIA_UPDATE_ROWS_COMPRESSED_V1:
    case E.MARIA_DELETE_ROWS_COMPRESSED_V1:
      throw new FerryError('CDC_BINLOG_COMPRESSED', 'the source writes compressed binlog events (log_bin_compress=ON), which Ferry does not decode',
        { fix: 'SET GLOBAL log_bin_compress=OFF on the source and restart the task from a new full load' });
    case E.MARIA_START_ENCRYPTION:
      throw new FerryError('CDC_BINLOG_ENCRYPTED', 'the source binlog is encrypted', { fix: 'disable encrypt_binlog on the source' });
    default:
      return { kind: 'ignored' };
  }
}
