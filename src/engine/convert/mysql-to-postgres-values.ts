// Value converters MySQL/MariaDB text form -> PostgreSQL input form, one small function per type family.
// Input: what a MySQL reader yields under sessions.ts (UTC, dateStrings, bigNumberStrings; binary types as Buffer).
// The binlog decoder yields the same text, so these serve full load, CDC and verify alike.
import { ValueConversionError } from '../errors';
import { withFastPath } from './fast-path';
import type { ValueConverter } from './types';

/** The column a converter belongs to, for error messages. */
export interface ValueContext {
  /** `table.column` as the DBA knows it (source names). */
  column: string;
  /** Widen (true) or fail (false) when a value has no exact target form. */
  lossless: boolean;
}

const fail = (ctx: ValueContext, value: string, why: string, fix: string): never => {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new ValueConversionError(`${ctx.column}: value '${shown}' ${why}`, fix);
};

const asText = (v: string | Buffer): string => (typeof v === 'string' ? v : v.toString('utf8'));

const BIGINT_MAX = 9223372036854775807n;

/** BIGINT UNSIGNED into bigint (only when lossless widening is off, or for auto-increment keys below 2^63). */
export function unsignedBigintToBigint(ctx: ValueContext): ValueConverter {
  return (v) => {
    const s = asText(v);
    if (BigInt(s) > BIGINT_MAX) {
      fail(ctx, s, 'exceeds PostgreSQL bigint (max 9223372036854775807)', 'convert the column as numeric(20,0) (lossless mode) or change the value on the source');
    }
    return s;
  };
}

/**
 * Text into text/varchar/char: PostgreSQL text cannot hold the NUL character (MySQL strings can), so such a
 * value fails with the column named rather than being cut.
 */
export function textValue(ctx: ValueContext): ValueConverter {
  return withFastPath((v) => {
    const s = asText(v);
    if (s.includes('\u0000')) {
      fail(ctx, s.replace(/\u0000/g, '\\0'), 'contains a NUL character, which PostgreSQL text cannot store', 'override the column type to bytea, or remove the NUL characters on the source');
    }
    return s;
  }, 'text');
}

/** BIT(n): MySQL yields big-endian bytes; PostgreSQL bit(n) takes exactly n binary digits. */
export function bitValue(length: number): ValueConverter {
  return (v) => {
    const buf = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    let bits = '';
    for (const byte of buf) bits += byte.toString(2).padStart(8, '0');
    if (bits.length >= length) return bits.slice(bits.length - length);
    return bits.padStart(length, '0');
  };
}

/** Splits a MySQL zero or partial-zero date (`0000-00-00`, `2020-00-15`, `0000-01-01`). */
function isZeroDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  return !!m && (m[1] === '0000' || m[2] === '00' || m[3] === '00');
}

/**
 * Zero and partial-zero dates: PostgreSQL has no such values. Ferry writes '-infinity' (lossless mode):
 * like MySQL's zero date it sorts before every real date and stays distinct from NULL, and it maps back to
 * '0000-00-00' on the way out. A partial-zero date ('2020-00-15') also becomes '-infinity' — its remaining
 * fields cannot be kept in a date type (the ZERO_DATE Warning says so). With lossless off, such a value fails.
 */
export function dateValue(ctx: ValueContext): ValueConverter {
  return withFastPath((v) => {
    const s = asText(v);
    if (isZeroDate(s)) return zeroDate(ctx, s);
    return s;
  }, 'date');
}

/** DATETIME -> timestamp: text as is (MySQL's range 1000..9999 fits), zero dates as for dateValue. */
export const datetimeValue = dateValue;

/** TIMESTAMP (UTC under Ferry's session) -> timestamptz: the text with an explicit +00 offset. */
export function timestampUtcValue(ctx: ValueContext): ValueConverter {
  return withFastPath((v) => {
    const s = asText(v);
    if (isZeroDate(s)) return zeroDate(ctx, s);
    return `${s}+00`;
  }, 'timestamp-utc');
}

function zeroDate(ctx: ValueContext, s: string): string {
  if (!ctx.lossless) {
    fail(ctx, s, 'is a MySQL zero date, which PostgreSQL cannot store', "turn lossless mode on (zero dates become '-infinity') or fix the value on the source");
  }
  return '-infinity';
}

/**
 * MySQL TIME -> interval (lossless mode): '-838:59:59.5' is valid interval input as it is (the sign applies
 * to the whole value). With lossless off the target is `time`, and values outside 00:00:00..24:00:00 fail.
 */
export function timeValue(ctx: ValueContext): ValueConverter {
  return (v) => {
    const s = asText(v);
    if (ctx.lossless) return s;
    const m = /^(-?)(\d+):(\d{2}):(\d{2})(\.\d+)?$/.exec(s);
    const hours = m ? Number(m[2]) : NaN;
    const frac = m?.[5] ? Number(m[5]) : 0;
    if (!m || m[1] === '-' || hours > 24 || (hours === 24 && (m[3] !== '00' || m[4] !== '00' || frac > 0))) {
      fail(ctx, s, 'is outside the PostgreSQL time range 00:00:00..24:00:00', 'turn lossless mode on (TIME becomes interval)');
    }
    return s;
  };
}

/** YEAR -> smallint: '0000' is the zero year and stays 0; YEAR(2) text '69' is kept as the number 69. */
export const yearValue: ValueConverter = (v) => String(Number(asText(v)));

/** ENUM -> PostgreSQL enum: the label as is; MySQL's '' error value (index 0) has no label there. */
export function enumValue(ctx: ValueContext, labels: string[]): ValueConverter {
  const known = new Set(labels);
  return (v) => {
    const s = asText(v);
    if (!known.has(s)) {
      fail(ctx, s, `is not one of the ENUM's labels${s === '' ? " (it is MySQL's invalid-value marker '', stored by a non-strict sql_mode)" : ''}`,
        "fix the rows on the source (UPDATE … SET col = <label> WHERE col = ''), or override the column to varchar");
    }
    return s;
  };
}

/** An element of a PostgreSQL array literal: always double-quoted, `"` and `\` backslash-escaped. */
export function arrayElement(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** SET -> text[]: MySQL's 'a,b' (members never contain a comma) becomes '{"a","b"}'; '' becomes '{}'. */
export const setValue: ValueConverter = (v) => {
  const s = asText(v);
  if (s === '') return '{}';
  return `{${s.split(',').map(arrayElement).join(',')}}`;
};

/**
 * Spatial: MySQL yields its internal form (4-byte little-endian SRID, then WKB). Ferry writes EWKB — WKB with
 * the SRID flag (0x20000000) and the SRID after the type — which is what PostGIS's geometry input and
 * ST_GeomFromEWKB read directly, so a later `ALTER COLUMN … TYPE geometry USING col::geometry` is exact.
 */
export const spatialToEwkb: ValueConverter = (v) => {
  const buf = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
  if (buf.length < 9) return buf;
  const srid = buf.readUInt32LE(0);
  const wkb = buf.subarray(4);
  if (srid === 0) return Buffer.from(wkb);
  const little = wkb[0] === 1;
  const type = little ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1);
  const out = Buffer.alloc(wkb.length + 4);
  out[0] = wkb[0];
  if (little) { out.writeUInt32LE((type | 0x20000000) >>> 0, 1); out.writeUInt32LE(srid, 5); } else { out.writeUInt32BE((type | 0x20000000) >>> 0, 1); out.writeUInt32BE(srid, 5); }
  wkb.copy(out, 9, 5);
  return out;
};

/** Binary -> bytea: the bytes as they are (BINARY(n)'s trailing \0 padding is data and is kept). */
export const binaryValue: ValueConverter = withFastPath((v) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : v), 'bytes');

/** Chains converters left to right. */
export function chain(...fns: (ValueConverter | undefined)[]): ValueConverter | undefined {
  const list = fns.filter((f): f is ValueConverter => f !== undefined);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (v) => list.reduce<string | Buffer>((acc, f) => f(acc), v);
}
