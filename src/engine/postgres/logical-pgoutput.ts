// Decodes pgoutput (protocol version 1) messages and the replication stream's XLogData/keepalive frames.

export interface RelationColumn {
  name: string;
  /** Part of the replica identity (the key PostgreSQL sends as the old image). */
  key: boolean;
  typeOid: number;
  typmod: number;
}

export interface Relation {
  relid: number;
  schema: string;
  name: string;
  /** d = default (primary key), n = nothing, f = full, i = index. */
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** One tuple column: text value, SQL NULL, or an unchanged TOAST value the server did not send. */
export type TupleValue = { kind: 't'; text: string } | { kind: 'n' } | { kind: 'u' };

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: number; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: number }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'insert'; relid: number; after: TupleValue[] }
  | { tag: 'update'; relid: number; old?: { kind: 'K' | 'O'; values: TupleValue[] }; after: TupleValue[] }
  | { tag: 'delete'; relid: number; old: { kind: 'K' | 'O'; values: TupleValue[] } }
  | { tag: 'truncate'; relids: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'other'; code: string };

export type ReplicationFrame =
  | { kind: 'xlog'; walStart: bigint; walEnd: bigint; message: PgOutputMessage }
  | { kind: 'keepalive'; walEnd: bigint; replyRequested: boolean };

/** Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
const PG_EPOCH_MS = 946_684_800_000;
const pgTime = (us: bigint) => Number(us / 1000n) + PG_EPOCH_MS;

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt('0x' + hi) << 32n) + BigInt('0x' + lo);
}

class Reader {
  constructor(readonly buf: Buffer, public p = 0) {}
  u8() { return this.buf[this.p++]; }
  i16() { const v = this.buf.readInt16BE(this.p); this.p += 2; return v; }
  i32() { const v = this.buf.readInt32BE(this.p); this.p += 4; return v; }
  u32() { const v = this.buf.readUInt32BE(this.p); this.p += 4; return v; }
  u64() { const v = this.buf.readBigUInt64BE(this.p); this.p += 8; return v; }
  str() { const e = this.buf.indexOf(0, this.p); const s = this.buf.toString('utf8', this.p, e); this.p = e + 1; return s; }
  char() { return String.fromCharCode(this.u8()); }
  tuple(): TupleValue[] {
    const n = this.i16();
    const out: TupleValue[] = [];
    for (let i = 0; i < n; i++) {
      const k = this.char();
      if (k === 'n') out.push({ kind: 'n' });
      else if (k === 'u') out.push({ kind: 'u' });
      else if (k === 't') { const len = this.i32(); out.push({ kind: 't', text: this.buf.toString('utf8', this.p, this.p + len) }); this.p += len; }
      else throw new Error(`unexpected tuple column kind "${k}" (binary mode is not used)`);
    }
    return out;
  }
}

export function decodePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const tag = r.char();
  switch (tag) {
    case 'B': return { tag: 'begin', finalLsn: r.u64(), commitTime: pgTime(r.u64()), xid: r.u32() };
    case 'C': { r.u8(); return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTime: pgTime(r.u64()) }; }
    case 'R': {
      const relid = r.u32(); const schema = r.str(); const name = r.str(); const replicaIdentity = r.char();
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) { const flags = r.u8(); columns.push({ key: (flags & 1) === 1, name: r.str(), typeOid: r.u32(), typmod: r.i32() }); }
      return { tag: 'relation', relation: { relid, schema, name, replicaIdentity, columns } };
    }
    case 'Y': return { tag: 'type', typeOid: r.u32(), schema: r.str(), name: r.str() };
    case 'I': { const relid = r.u32(); r.char(); return { tag: 'insert', relid, after: r.tuple() }; }
    case 'U': {
      const relid = r.u32();
      let k = r.char();
      let old: { kind: 'K' | 'O'; values: TupleValue[] } | undefined;
      if (k === 'K' || k === 'O') { old = { kind: k, values: r.tuple() }; k = r.char(); }
      return { tag: 'update', relid, old, after: r.tuple() };
    }
    case 'D': { const relid = r.u32(); const k = r.char() as 'K' | 'O'; return { tag: 'delete', relid, old: { kind: k, values: r.tuple() } }; }
    case 'T': {
      const n = r.u32(); const opts = r.u8();
      const relids: number[] = [];
      for (let i = 0; i < n; i++) relids.push(r.u32());
      return { tag: 'truncate', relids, cascade: (opts & 1) !== 0, restartIdentity: (opts & 2) !== 0 };
    }
    default: return { tag: 'other', code: tag };
  }
}

/** Decodes one CopyData payload of a logical replication stream. */
export function decodeFrame(buf: Buffer): ReplicationFrame | undefined {
  if (buf[0] === 0x77 /* w */) {
    return { kind: 'xlog', walStart: buf.readBigUInt64BE(1), walEnd: buf.readBigUInt64BE(9), message: decodePgOutput(buf.subarray(25)) };
  }
  if (buf[0] === 0x6b /* k */) return { kind: 'keepalive', walEnd: buf.readBigUInt64BE(1), replyRequested: buf[17] === 1 };
  return undefined;
}

/** Standby status update: received, flushed and applied LSNs (+1 convention not used: exact LSNs). */
export function standbyStatus(received: bigint, flushed: bigint, replyRequested: boolean): Buffer {
  const b = Buffer.alloc(34);
  b[0] = 0x72; // r
  b.writeBigUInt64BE(received, 1);
  b.writeBigUInt64BE(flushed, 9);
  b.writeBigUInt64BE(flushed, 17);
  b.writeBigUInt64BE((BigInt(Date.now()) - BigInt(PG_EPOCH_MS)) * 1000n, 25);
  b[33] = replyRequested ? 1 : 0;
  return b;
}
