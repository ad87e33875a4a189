// Value converters PostgreSQL text output (sessions.ts: ISO dates, UTC, iso_8601 intervals, extra_float_digits 3,
// bytea as Buffer) -> MySQL/MariaDB input text. Each one either returns the exact value or throws.
import { ValueConversionError } from '../errors';
import type { ValueConverter } from './types';

const text = (v: string | Buffer) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);

function fail(column: string, value: string, why: string, fix: string): never {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  throw new ValueConversionError(`${column}: value "${shown}" ${why}`, fix);
}

/** NaN and ±Infinity have no MySQL FLOAT/DOUBLE/DECIMAL equivalent: they fail instead of becoming NULL or 0. */
export function floatConverter(column: string): ValueConverter {
  return (v) => {
    const s = text(v);
    if (/^(NaN|-?Infinity)$/.test(s)) {
      fail(column, s, 'has no MySQL equivalent (MySQL floating point has no NaN/Infinity)',
        'change those rows on the source, or override the column type to varchar(32) to keep them as text');
    }
    return s;
  };
}

/** A decimal(p,s) target: the value must fit exactly (MySQL would round extra decimals silently). */
export function decimalConverter(column: string, precision: number, scale: number): ValueConverter {
  return (v) => {
    const s = text(v);
    if (/^(NaN|-?Infinity)$/.test(s)) {
      fail(column, s, 'has no MySQL DECIMAL equivalent', 'change those rows on the source, or override the column type to varchar');
    }
    const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(s);
    if (!m) fail(column, s, 'is not a decimal number', 'check the source column');
    const intDigits = m[2].replace(/^0+/, '').length;
    const fracDigits = (m[3] ?? '').replace(/0+$/, '').length;
    if (intDigits > precision - scale || fracDigits > scale) {
      fail(column, s, `does not fit decimal(${precision},${scale}) exactly`,
        'keep the lossless conversion (varchar), or override the column type with enough precision');
    }
    return s;
  };
}

/** A text target with a length limit (narrowed key columns, unbounded numeric as varchar). */
export function maxLengthConverter(column: string, maxChars: number, then?: ValueConverter): ValueConverter {
  return (v) => {
    const s = text(v);
    if ([...s].length > maxChars) {
      fail(column, s, `is longer than the ${maxChars} characters the MySQL column holds`,
        'override the column type with a longer one (a key column is limited by InnoDB\'s 3072-byte key length)');
    }
    return then ? then(s) : s;
  };
}

export const boolConverter: ValueConverter = (v) => {
  const s = text(v);
  if (s === 't' || s === 'true') return '1';
  if (s === 'f' || s === 'false') return '0';
  throw new ValueConversionError(`boolean value "${s}" is not t/f`);
};

/** PostgreSQL bit(n) text '0101' -> the big-endian bytes a MySQL BIT(n) column takes. */
export function bitConverter(): ValueConverter {
  return (v) => {
    const s = text(v);
    if (!/^[01]*$/.test(s)) throw new ValueConversionError(`bit value "${s}" is not a bit string`);
    const bytes = Buffer.alloc(Math.max(1, Math.ceil(s.length / 8)));
    let n = 0n;
    for (const b of s) n = (n << 1n) | BigInt(b === '1' ? 1 : 0);
    for (let i = bytes.length - 1; i >= 0; i--) { bytes[i] = Number(n & 0xffn); n >>= 8n; }
    return bytes;
  };
}

/** bytea arrives as a Buffer; a text '\x…' form is accepted too. */
export const byteaConverter: ValueConverter = (v) => {
  if (Buffer.isBuffer(v)) return v;
  return v.startsWith('\\x') ? Buffer.from(v.slice(2), 'hex') : Buffer.from(v, 'utf8');
};

function checkDateRange(column: string, s: string): void {
  if (/^-?infinity$/.test(s)) {
    fail(column, s, 'has no MySQL equivalent (MySQL dates have no infinity)',
      'replace infinity on the source (e.g. with 9999-12-31), or override the column type to varchar(32)');
  }
  if (/ BC$/.test(s)) {
    fail(column, s, 'is before the year 1 (BC); MySQL dates start at 1000-01-01',
      'change those rows on the source, or override the column type to varchar(40)');
  }
  const year = /^(\d+)-/.exec(s);
  if (!year || year[1].length > 4) {
    fail(column, s, 'is after 9999-12-31, the end of MySQL\'s date range', 'change those rows on the source, or override the column type to varchar(40)');
  }
}

export function dateConverter(column: string): ValueConverter {
  return (v) => { const s = text(v); checkDateRange(column, s); return s; };
}

export function timestampConverter(column: string): ValueConverter {
  return (v) => { const s = text(v); checkDateRange(column, s); return s; };
}

/** timestamptz text ('2024-01-02 03:04:05.678+00', any offset) -> the same instant as UTC DATETIME text. */
export function timestamptzConverter(column: string): ValueConverter {
  return (v) => {
    const s = text(v);
    checkDateRange(column, s.replace(/[+-]\d\d(:\d\d){0,2}$/, ''));
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/.exec(s);
    if (!m) fail(column, s, 'is not a timestamp with time zone in ISO form', 'check the session DateStyle (ISO)');
    const sign = m[8] === '-' ? -1 : 1;
    const offsetSeconds = m[8] ? sign * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) : 0;
    const frac = m[7] ?? '';
    if (offsetSeconds === 0) return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${frac}`;
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - offsetSeconds * 1000;
    const d = new Date(ms);
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const out = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac}`;
    checkDateRange(column, out);
    return out;
  };
}

/**
 * money text as lc_monetary prints it ('$1,234.56', '-$1,234.56', '($5.00)', '1.234,56 €') -> '1234.56'.
 * The decimal separator is the last '.' or ',' followed by exactly the fraction digits at the end.
 */
export function moneyConverter(column: string): ValueConverter {
  return (v) => {
    const s = text(v).trim();
    const negative = /^-|^\(.*\)$|-$|-\s*[^\d]*$/.test(s) || /^[^\d]*-/.test(s);
    const core = s.replace(/[^\d.,]/g, '');
    const m = /^(.*?)(?:[.,](\d{1,3}))?$/.exec(core);
    if (!m || !/\d/.test(core)) fail(column, s, 'is not a money amount', 'set lc_monetary to C or en_US.UTF-8 on the source');
    let intPart = m[1].replace(/[.,]/g, '');
    let frac = m[2] ?? '';
    // A trailing group of exactly three digits after a separator is a thousands group, not decimals.
    if (frac.length === 3) { intPart += frac; frac = ''; }
    const out = `${negative ? '-' : ''}${intPart.replace(/^0+(?=\d)/, '') || '0'}${frac ? `.${frac}` : ''}`;
    return out;
  };
}

/**
 * PostgreSQL array text ('{1,2,NULL}', '{{a,b},{c,d}}', '{"x,y","q\"t"}', '[0:1]={1,2}') -> a JSON array.
 * `element` turns one element's text into its JSON form (number, boolean, string).
 */
export function arrayToJsonConverter(column: string, element: (s: string) => string): ValueConverter {
  return (v) => {
    const s = text(v);
    let i = 0;
    if (s[0] === '[') {
      const eq = s.indexOf('=');
      if (eq < 0) fail(column, s, 'is not an array literal', 'check the source column');
      i = eq + 1;
    }
    const parse = (): string => {
      if (s[i] !== '{') fail(column, s, 'is not an array literal', 'check the source column');
      i++;
      const parts: string[] = [];
      if (s[i] === '}') { i++; return '[]'; }
      for (;;) {
        if (s[i] === '{') parts.push(parse());
        else if (s[i] === '"') {
          let val = '';
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\') i++;
            val += s[i++];
          }
          i++;
          parts.push(JSON.stringify(val));
        } else {
          let j = i;
          while (j < s.length && s[j] !== ',' && s[j] !== '}') j++;
          const raw = s.slice(i, j);
          i = j;
          parts.push(raw === 'NULL' ? 'null' : element(raw));
        }
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') { i++; break; }
        fail(column, s, 'is not a well-formed array literal', 'check the source column');
      }
      return `[${parts.join(',')}]`;
    };
    return parse();
  };
}

/** JSON text of one unquoted array element, by element type. */
export function jsonElement(kind: 'number' | 'bool' | 'string'): (s: string) => string {
  if (kind === 'bool') return (s) => (s === 't' || s === 'true' ? 'true' : 'false');
  // NaN/Infinity are not JSON numbers: they travel as strings, exactly as PostgreSQL prints them.
  if (kind === 'number') return (s) => (/^(NaN|-?Infinity)$/.test(s) ? JSON.stringify(s) : s);
  return (s) => JSON.stringify(s);
}
