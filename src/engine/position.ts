// Source log positions: where the snapshot was taken and where CDC resumes.

export interface MysqlPosition {
  engine: 'mysql';
  /** Binlog file and offset (the event after which the snapshot was taken / the next to read). */
  file: string;
  pos: number;
  /** MariaDB GTID state (gtid_binlog_pos form, e.g. `0-1-42`) or MySQL executed GTID set, when enabled. */
  gtid?: string;
}

export interface PostgresPosition {
  engine: 'postgres';
  /** LSN as `X/Y`. */
  lsn: string;
  slot: string;
  publication: string;
}

export type SourcePosition = MysqlPosition | PostgresPosition;

/** A printable, comparable form of a position (used for ferry_meta, events and logs). */
export function formatPosition(p: SourcePosition): string {
  return p.engine === 'mysql' ? `${p.file}:${p.pos}${p.gtid ? ` gtid ${p.gtid}` : ''}` : `${p.lsn} (slot ${p.slot})`;
}

/** Compares two PostgreSQL LSNs (`X/Y` hex). */
export function compareLsn(a: string, b: string): number {
  const v = (l: string) => { const [hi, lo] = l.split('/'); return (BigInt('0x' + hi) << 32n) + BigInt('0x' + lo); };
  const d = v(a) - v(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Compares two binlog positions by file sequence number, then offset. */
export function compareBinlog(a: { file: string; pos: number }, b: { file: string; pos: number }): number {
  const seq = (f: string) => Number(f.slice(f.lastIndexOf('.') + 1));
  return seq(a.file) - seq(b.file) || a.pos - b.pos;
}
