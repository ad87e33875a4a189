// The one place that reaches into mysql2's internals: a text-protocol query whose row packets are handed over
// as bytes (no JS value per field), for the full load's byte-level copy. mysql2 is pinned in package.json;
// test/integration/mysql-raw-rows.test.ts fails loudly if an upgrade changes what this relies on.
import type { Connection as CoreConnection } from 'mysql2';

/** Receives a query's rows as the bytes of their text-protocol packets. */
export interface RawRowSink {
  /**
   * One row: `buf[start..end)` holds its fields, each a length-encoded string or 0xFB for NULL. The bytes are
   * only valid during the call (copy what you keep; mysql2 does not reuse them, but nothing promises that).
   */
  row(buf: Buffer, start: number, end: number): void;
  end(): void;
  error(err: Error): void;
}

/** The parts of mysql2's Packet and Query command this file uses (lib/packets/packet.js, lib/commands/query.js). */
interface PacketInternals {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}
type RowState = (packet: PacketInternals, connection: unknown) => unknown;
interface QueryInternals {
  row: RowState;
  on(event: 'end', listener: () => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
}

/** Flow control of the running query (pauses the socket, so the server waits: back-pressure to the source). */
export interface RawRowQuery {
  pause(): void;
  resume(): void;
}

export function queryRawRows(conn: CoreConnection, sql: string, sink: RawRowSink): RawRowQuery {
  const query = conn.query({ sql, rowsAsArray: true }) as unknown as QueryInternals;
  const protoRow = Object.getPrototypeOf(query).row as RowState | undefined;
  if (typeof protoRow !== 'function' || typeof query.row !== 'function') {
    throw new Error('mysql2 internals changed: Query.prototype.row is missing (see src/engine/mysql/raw-rows.ts)');
  }
  // mysql2's state machine enters the row state through `this.row` after the column definitions, and each row
  // state returns the next state; an own `row` therefore receives every row packet of the result.
  const rawRow: RowState = function rawRow(this: QueryInternals, packet, connection) {
    if (packet.isEOF()) return protoRow.call(this, packet, connection);
    sink.row(packet.buffer, packet.offset, packet.end);
    return rawRow;
  };
  query.row = rawRow;
  let done = false;
  query.on('end', () => { if (!done) { done = true; sink.end(); } });
  query.on('error', (err) => { if (!done) { done = true; sink.error(err); } });
  return { pause: () => conn.pause(), resume: () => conn.resume() };
}

/** Length of the length-encoded integer at buf[pos] (1, 3, 4 or 9 bytes; 0xFB = NULL counts as 1). */
export function lengthPrefixSize(first: number): number {
  return first < 0xfc ? 1 : first === 0xfc ? 3 : first === 0xfd ? 4 : 9;
}

/** The value of the length-encoded integer at buf[pos] (not 0xFB). */
export function readLength(buf: Buffer, pos: number): number {
  const first = buf[pos];
  if (first < 0xfb) return first;
  if (first === 0xfc) return buf[pos + 1] | (buf[pos + 2] << 8);
  if (first === 0xfd) return buf[pos + 1] | (buf[pos + 2] << 8) | (buf[pos + 3] << 16);
  // 8 bytes; a row value is below 2^53 (max_allowed_packet is at most 1 GB).
  return buf.readUInt32LE(pos + 1) + buf.readUInt32LE(pos + 5) * 0x1_0000_0000;
}
