// Canonical text forms per target type family, so that a converted source value and the value read back
// from the target compare equal exactly when they denote the same data (verify's row hashes use these).
import type { ColumnType } from './model';

/** A non-null value as a reader yields it (text, or a Buffer for binary types). */
export type RawValue = string | Buffer;
export type Canonicaliser = (value: RawValue) => string;

const text = (v: RawValue): string => (Buffer.isBuffer(v) ? v.toString('utf8') : v);

/** Integers: no sign on zero, no leading zeros or '+'. */
export function canonicalInteger(v: RawValue): string {
  const s = text(v).trim();
  const m = /^([+-]?)0*(\d+)$/.exec(s);
  if (!m) return canonicalDecimal(s);
  const digits = m[2];
  return digits === '0' ? '0' : `${m[1] === '-' ? '-' : ''}${digits}`;
}

/** Exact decimals: `1.50` = `1.5` = `+001.5`, `-0.00` = `0`; exponent forms are expanded exactly. */
export function canonicalDecimal(v: RawValue): string {
  const s = text(v).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
    // NaN / Infinity (PostgreSQL numeric, floats) have one spelling each regardless of case.
    const lower = s.toLowerCase();
    if (lower === 'nan') return 'NaN';
    if (lower === 'infinity' || lower === '+infinity' || lower === 'inf') return 'Infinity';
    if (lower === '-infinity' || lower === '-inf') return '-Infinity';
    return s;
  }
  let intPart = m[2];
  let frac = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  if (exp > 0) {
    const take = frac.slice(0, exp).padEnd(exp, '0');
    intPart += take;
    frac = frac.slice(exp);
  } else if (exp < 0) {
    const n = -exp;
    const padded = intPart.padStart(n + 1, '0');
    frac = padded.slice(padded.length - n) + frac;
    intPart = padded.slice(0, padded.length - n);
  }
  intPart = intPart.replace(/^0+/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${intPart}.${frac}` : intPart;
  return body === '0' ? '0' : `${m[1] === '-' ? '-' : ''}${body}`;
}

/** Binary floating point: equal when they denote the same IEEE value (single precision: to 6 digits). */
export function canonicalFloat(bytes: 4 | 8): Canonicaliser {
  return (v) => {
    const s = text(v).trim();
    const n = Number(s);
    if (Number.isNaN(n)) {
      const d = canonicalDecimal(s);
      return d;
    }
    if (n === 0) return '0';
    // MySQL/MariaDB print FLOAT with 6 significant digits (FLT_DIG), not round-trip exact, so single
    // precision compares at 6 digits; DOUBLE text is shortest round-trip on every engine, so it is exact.
    return bytes === 4 ? String(Number(Math.fround(n).toPrecision(6))) : String(n);
  };
}

const TRUE_WORDS = new Set(['t', 'true', '1', 'y', 'yes', 'on']);
const FALSE_WORDS = new Set(['f', 'false', '0', 'n', 'no', 'off']);

/** Booleans: PostgreSQL `t`/`f`, MySQL 1/0 and the input spellings map to true/false. */
export function canonicalBool(v: RawValue): string {
  const s = text(v).trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return 'true';
  if (FALSE_WORDS.has(s)) return 'false';
  // MySQL BOOL is TINYINT(1): any other integer is data and stays itself.
  return canonicalInteger(s);
}

/** Binary strings: hex of the bytes; text forms `\x…` (PostgreSQL bytea output) are decoded first. */
export function canonicalBinary(v: RawValue): string {
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (/^\\x[0-9a-fA-F]*$/.test(v)) return v.slice(2).toLowerCase();
  return Buffer.from(v, 'utf8').toString('hex');
}

/** Bit strings: `0101` text (PostgreSQL) or the bytes of MySQL BIT(n), right-aligned to `length` bits. */
export function canonicalBits(length?: number): Canonicaliser {
  return (v) => {
    let bits: string;
    if (Buffer.isBuffer(v)) bits = [...v].map((b) => b.toString(2).padStart(8, '0')).join('');
    else if (/^[01]*$/.test(v)) bits = v;
    else if (/^\d+$/.test(v)) bits = BigInt(v).toString(2);
    else return v;
    if (length === undefined) return bits;
    // MySQL pads BIT(n) to whole bytes on the left; the meaningful bits are the last n.
    if (bits.length > length) {
      const extra = bits.slice(0, bits.length - length);
      if (/^0*$/.test(extra)) bits = bits.slice(bits.length - length);
    } else bits = bits.padStart(length, '0');
    return bits;
  };
}

/** Strips trailing zeros of a fractional-seconds part: `10:00:00.500000` = `10:00:00.5`, `.000` dropped. */
function trimFraction(s: string): string {
  return s.replace(/(\d{2}:\d{2}:\d{2})\.(\d*?)0*(?=$|[^0-9])/, (_m, hms: string, frac: string) => (frac ? `${hms}.${frac}` : hms));
}

/** An offset `+05`, `+05:30`, `-0800`, `Z` as minutes east of UTC. */
function offsetMinutes(off: string): number {
  if (off === 'Z' || off === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?$/.exec(off);
  if (!m) return 0;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
  return m[1] === '-' ? -mins : mins;
}

const TS = /^(\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(\s+BC)?$/;

/**
 * Timestamps: `T` or space, fractional digits without trailing zeros; with `tz` the instant is shifted to
 * UTC (both sides read in UTC, but a converter may write an explicit offset). Zero dates and
 * infinity stay as they are.
 */
export function canonicalTimestamp(tz: boolean): Canonicaliser {
  return (v) => {
    const s = text(v).trim();
    const m = TS.exec(s);
    if (!m) return s.toLowerCase() === 'infinity' || s.toLowerCase() === '-infinity' ? s.toLowerCase() : s;
    const [, y, mo, d, h = '00', mi = '00', sec = '00', fracRaw = '', off, bc] = m;
    const frac = fracRaw.replace(/0+$/, '');
    let year = Number(y), month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi);
    const offMin = off ? offsetMinutes(off) : 0;
    if ((tz || off) && offMin !== 0 && !bc && month > 0 && day > 0) {
      const t = Date.UTC(year, month - 1, day, hour, minute) - offMin * 60_000;
      const dt = new Date(t);
      year = dt.getUTCFullYear(); month = dt.getUTCMonth() + 1; day = dt.getUTCDate();
      hour = dt.getUTCHours(); minute = dt.getUTCMinutes();
    }
    const p2 = (n: number) => String(n).padStart(2, '0');
    const date = `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}`;
    return `${date} ${p2(hour)}:${p2(minute)}:${sec}${frac ? `.${frac}` : ''}${bc ? ' BC' : ''}`;
  };
}

/** Times of day (and MySQL TIME durations): trailing fraction zeros dropped, offsets written `+hh:mm`. */
export function canonicalTime(v: RawValue): string {
  const s = text(v).trim();
  const m = /^(-?\d{1,3}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s);
  if (!m) return canonicalInterval(s);
  let hms = m[1];
  if (/^-?\d{1,3}:\d{2}$/.test(hms)) hms += ':00';
  hms = trimFraction(hms).replace(/^(-?)(\d):/, '$10$2:');
  if (!m[2]) return hms;
  const off = offsetMinutes(m[2]);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${hms}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * Intervals: ISO 8601 (`P1Y2M3DT4H5M6.5S`, PostgreSQL's iso_8601 output), `hh:mm:ss` (MySQL TIME used as a
 * duration) and PostgreSQL's postgres style are reduced to months, days and microseconds.
 */
export function canonicalInterval(v: RawValue): string {
  const s = text(v).trim();
  let months = 0n, days = 0n, micros = 0n;
  const secToMicros = (sec: string): bigint => {
    const neg = sec.startsWith('-');
    const [i, f = ''] = sec.replace(/^[+-]/, '').split('.');
    const val = BigInt(i || '0') * 1_000_000n + BigInt((f + '000000').slice(0, 6));
    return neg ? -val : val;
  };
  const iso = /^(-)?P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/.exec(s);
  const clock = /^(-)?(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(s);
  if (iso && s !== 'P') {
    const [, neg, y, mo, w, d, h, mi, sec] = iso;
    months = BigInt(y ?? 0) * 12n + BigInt(mo ?? 0);
    days = BigInt(w ?? 0) * 7n + BigInt(d ?? 0);
    micros = BigInt(h ?? 0) * 3_600_000_000n + BigInt(mi ?? 0) * 60_000_000n + secToMicros(sec ?? '0');
    if (neg) { months = -months; days = -days; micros = -micros; }
  } else if (clock) {
    const [, neg, h, mi, sec] = clock;
    micros = BigInt(h) * 3_600_000_000n + BigInt(mi) * 60_000_000n + secToMicros(sec ?? '0');
    if (neg) micros = -micros;
  } else {
    // postgres style: `1 year 2 mons 3 days 04:05:06.5`
    const re = /(-?\d+)\s*(years?|mons?|months?|days?|weeks?)|(-?\d+):(\d{2}):(\d{2}(?:\.\d+)?)/g;
    let matched = false;
    for (const p of s.matchAll(re)) {
      matched = true;
      if (p[2]) {
        const n = BigInt(p[1]);
        if (p[2].startsWith('y')) months += n * 12n;
        else if (p[2].startsWith('mon')) months += n;
        else if (p[2].startsWith('w')) days += n * 7n;
        else days += n;
      } else {
        const neg = p[3].startsWith('-');
        const val = BigInt(p[3].replace('-', '')) * 3_600_000_000n + BigInt(p[4]) * 60_000_000n + secToMicros(p[5]);
        micros += neg ? -val : val;
      }
    }
    if (!matched) return s;
  }
  return `${months}m${days}d${micros}us`;
}

/** JSON: parsed and re-serialised with sorted keys, so whitespace and key order do not matter. */
export function canonicalJson(v: RawValue): string {
  const s = text(v);
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return s;
  }
  const sortKeys = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sortKeys);
    if (x !== null && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x as object).sort()) out[k] = sortKeys((x as Record<string, unknown>)[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sortKeys(parsed));
}

/** MySQL SET: members in a stable order, so `b,a` = `a,b`. PostgreSQL text[] `{a,b}` is accepted too. */
export function canonicalSet(v: RawValue): string {
  let s = text(v);
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).replace(/"/g, '');
  return s === '' ? '' : s.split(',').sort().join(',');
}

/** Fixed-width CHAR: PostgreSQL pads on output, MySQL strips on output; trailing spaces carry no data. */
export function canonicalFixedChar(v: RawValue): string {
  return text(v).replace(/ +$/, '');
}

export function canonicalLower(v: RawValue): string {
  return text(v).trim().toLowerCase();
}

/** The year type: 4 digits (MySQL YEAR), compared as an integer when the target widened it. */
export function canonicalYear(v: RawValue): string {
  return canonicalInteger(v);
}

type ArrayItem = string | null | ArrayItem[];

/** Parses PostgreSQL array text (`{a,"b c",NULL,{1,2}}`, optionally with `[1:2]=` bounds); undefined when it is not one. */
export function parsePgArray(text: string): ArrayItem[] | undefined {
  let i = 0;
  const s = text.trim().replace(/^(\[-?\d+:-?\d+\])+=/, '');
  const parse = (): ArrayItem[] | undefined => {
    if (s[i] !== '{') return undefined;
    i++;
    const out: ArrayItem[] = [];
    if (s[i] === '}') { i++; return out; }
    for (;;) {
      while (s[i] === ' ') i++;
      if (s[i] === '{') {
        const inner = parse();
        if (!inner) return undefined;
        out.push(inner);
      } else if (s[i] === '"') {
        i++;
        let v = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\') i++;
          v += s[i++];
        }
        if (s[i] !== '"') return undefined;
        i++;
        out.push(v);
      } else {
        let v = '';
        while (i < s.length && s[i] !== ',' && s[i] !== '}') v += s[i++];
        v = v.trim();
        out.push(v.toUpperCase() === 'NULL' ? null : v);
      }
      while (s[i] === ' ') i++;
      if (s[i] === ',') { i++; continue; }
      if (s[i] === '}') { i++; return out; }
      return undefined;
    }
  };
  const r = parse();
  return r && i === s.length ? r : undefined;
}

/** Arrays: PostgreSQL quotes elements only when needed; compared element by element in the element's canonical form. */
export function canonicalArray(element: Canonicaliser): Canonicaliser {
  const walk = (items: ArrayItem[]): unknown[] => items.map((x) => (x === null ? null : Array.isArray(x) ? walk(x) : element(x)));
  return (v) => {
    const parsed = parsePgArray(text(v));
    if (!parsed) return canonicalJson(v);
    return JSON.stringify(walk(parsed));
  };
}

const identity: Canonicaliser = (v) => (Buffer.isBuffer(v) ? `x:${v.toString('hex')}` : v);

/** The canonicaliser of a target column type family. */
export function canonicaliserFor(type: ColumnType): Canonicaliser {
  switch (type.kind) {
    case 'int': return canonicalInteger;
    case 'decimal': return canonicalDecimal;
    case 'money': return (v) => canonicalDecimal(text(v).replace(/[^0-9.eE+-]/g, ''));
    case 'float': return canonicalFloat(type.bytes);
    case 'bool': return canonicalBool;
    case 'bit': return type.varying ? canonicalBits() : canonicalBits(type.length);
    case 'char': return type.varying ? (v) => text(v) : canonicalFixedChar;
    case 'text': return (v) => text(v);
    case 'binary': return canonicalBinary;
    case 'date': return (v) => text(v).trim();
    case 'time': return canonicalTime;
    case 'timestamp': return canonicalTimestamp(type.tz);
    case 'year': return canonicalYear;
    case 'interval': return canonicalInterval;
    case 'json': return canonicalJson;
    case 'set': return canonicalSet;
    case 'uuid':
    case 'inet':
    case 'cidr':
    case 'macaddr': return canonicalLower;
    case 'spatial': return canonicalBinary;
    case 'domain': return canonicaliserFor(type.base);
    case 'array': return canonicalArray(canonicaliserFor(type.element));
    case 'enum':
    case 'tsvector':
    case 'xml':
    case 'other':
      return identity;
  }
}
