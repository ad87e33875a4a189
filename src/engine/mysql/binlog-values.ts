// Decodes one column value of a binlog rows event into the exact text a SELECT returns under the Ferry
// session (sessions.ts: time_zone +00:00, utf8mb4), or a Buffer for binary types — the full-load form.
import { FerryError } from '../errors';

/** MySQL column type codes as they appear in TABLE_MAP events. */
export const T = {
  DECIMAL: 0, TINY: 1, SHORT: 2, LONG: 3, FLOAT: 4, DOUBLE: 5, NULL: 6, TIMESTAMP: 7, LONGLONG: 8, INT24: 9,
  DATE: 10, TIME: 11, DATETIME: 12, YEAR: 13, NEWDATE: 14, VARCHAR: 15, BIT: 16, TIMESTAMP2: 17, DATETIME2: 18,
  TIME2: 19, BLOB_COMPRESSED: 140, VARCHAR_COMPRESSED: 141, JSON: 245, NEWDECIMAL: 246, ENUM: 247, SET: 248,
  TINY_BLOB: 249, MEDIUM_BLOB: 250, LONG_BLOB: 251, BLOB: 252, VAR_STRING: 253, STRING: 254, GEOMETRY: 255,
} as const;

/** What the decoder needs to know about a live source column beyond the TABLE_MAP (signedness, charset, labels). */
export interface BinlogColumn {
  name: string;
  /** information_schema DATA_TYPE, lower case (e.g. `int`, `varchar`, `enum`, `float`). */
  dataType: string;
  unsigned: boolean;
  /** Character set of a text column; `binary` (or undefined for non-text) means bytes. */
  charset?: string;
  /** ENUM / SET labels in definition order. */
  labels?: string[];
  /** BINARY(n) length in bytes: the server strips trailing 0x00 in the log, a SELECT returns them. */
  binaryLength?: number;
  /** FLOAT(M,D) / DOUBLE(M,D): printed with exactly D decimals. */
  fixedDecimals?: number;
}

/** A column's TABLE_MAP type and decoded metadata. */
export interface ColumnMeta {
  type: number;
  /** Type-specific: length bytes, precision/scale, fsp, bit length … */
  meta: number;
  meta2: number;
}

/** Reads the per-column metadata block of a TABLE_MAP event. */
export function readColumnMeta(types: number[], buf: Buffer, offset: number): ColumnMeta[] {
  let p = offset;
  return types.map((type) => {
    switch (type) {
      case T.FLOAT: case T.DOUBLE: case T.BLOB: case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB:
      case T.GEOMETRY: case T.JSON: case T.TIME2: case T.DATETIME2: case T.TIMESTAMP2: case T.BLOB_COMPRESSED:
        return { type, meta: buf[p++], meta2: 0 };
      case T.VARCHAR: case T.VAR_STRING: case T.VARCHAR_COMPRESSED: {
        const m = buf.readUInt16LE(p); p += 2;
        return { type, meta: m, meta2: 0 };
      }
      case T.BIT: case T.NEWDECIMAL: {
        const a = buf[p], b = buf[p + 1]; p += 2;
        return { type, meta: a, meta2: b };
      }
      case T.STRING: case T.ENUM: case T.SET: {
        const b0 = buf[p], b1 = buf[p + 1]; p += 2;
        // CHAR/BINARY/ENUM/SET share MYSQL_TYPE_STRING; the real type and a 10-bit length are packed together.
        if ((b0 & 0x30) !== 0x30) return { type: b0 | 0x30, meta: b1 | (((b0 & 0x30) ^ 0x30) << 4), meta2: 0 };
        return { type: b0, meta: b1, meta2: 0 };
      }
      default:
        return { type, meta: 0, meta2: 0 };
    }
  });
}

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');

function fracText(micro: number, fsp: number): string {
  return fsp > 0 ? '.' + pad(micro, 6).slice(0, fsp) : '';
}

/** Reads the fractional-seconds part of TIME2/DATETIME2/TIMESTAMP2 (big-endian), as microseconds. */
function readFrac(buf: Buffer, p: number, fsp: number): { micro: number; size: number } {
  if (fsp === 1 || fsp === 2) return { micro: buf[p] * 10000, size: 1 };
  if (fsp === 3 || fsp === 4) return { micro: buf.readUInt16BE(p) * 100, size: 2 };
  if (fsp === 5 || fsp === 6) return { micro: buf.readUIntBE(p, 3), size: 3 };
  return { micro: 0, size: 0 };
}

/**
 * FLOAT as the full load reads it (CAST(f AS DOUBLE)): the exact single-precision value in DOUBLE's shortest
 * round-trip digits. FLOAT's own text keeps 6 significant digits (16777216 prints as 16777200), which would change
 * the value on the target and keep a row without a key from matching its old image.
 */
export function formatFloat(v: number): string {
  return formatDouble(Math.fround(v));
}

/** DOUBLE as MariaDB prints it: the shortest digits that round-trip, my_gcvt's choice of fixed or exponent form. */
export function formatDouble(v: number): string {
  return gcvt(v, 0);
}

function gcvt(v: number, precision: number): string {
  if (Number.isNaN(v) || !Number.isFinite(v)) return String(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  // Significant digits and decimal exponent (value = 0.DIGITS * 10^decpt), as dtoa returns them.
  const e = precision > 0 ? a.toExponential(precision - 1) : a.toExponential();
  const [mant, expText] = e.split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  const decpt = Number(expText) + 1;
  const len = digits.length;
  // my_gcvt: fixed notation unless the exponent is far out (MAX_DECPT_FOR_F_FORMAT = DBL_DIG = 15).
  const fixed = decpt >= -14 && (decpt <= 15 || len > decpt);
  if (fixed) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= len) return `${sign}${digits}${'0'.repeat(decpt - len)}`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = len > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${decpt - 1}`;
}

const DIG_PER_DEC = 9;
const DIG2BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/** Size in bytes of a binary DECIMAL(precision, scale). */
export function decimalSize(precision: number, scale: number): number {
  const intg = precision - scale;
  return Math.floor(intg / DIG_PER_DEC) * 4 + DIG2BYTES[intg % DIG_PER_DEC] + Math.floor(scale / DIG_PER_DEC) * 4 + DIG2BYTES[scale % DIG_PER_DEC];
}

/** Decodes MySQL's binary DECIMAL into its SELECT text (`-12.340`, `0.00`). */
export function decodeDecimal(src: Buffer, p: number, precision: number, scale: number): string {
  const size = decimalSize(precision, scale);
  const b = Buffer.from(src.subarray(p, p + size));
  const negative = (b[0] & 0x80) === 0;
  b[0] ^= 0x80;
  if (negative) for (let i = 0; i < size; i++) b[i] ^= 0xff;
  const intg = precision - scale;
  let q = 0;
  let intText = '';
  const lead = intg % DIG_PER_DEC;
  if (lead > 0) { const n = DIG2BYTES[lead]; intText += String(b.readUIntBE(q, n)); q += n; }
  for (let i = 0; i < Math.floor(intg / DIG_PER_DEC); i++) { intText += pad(b.readUInt32BE(q), 9); q += 4; }
  let fracText = '';
  for (let i = 0; i < Math.floor(scale / DIG_PER_DEC); i++) { fracText += pad(b.readUInt32BE(q), 9); q += 4; }
  const trail = scale % DIG_PER_DEC;
  if (trail > 0) { const n = DIG2BYTES[trail]; fracText += pad(b.readUIntBE(q, n), trail); q += n; }
  intText = intText.replace(/^0+/, '') || '0';
  const text = scale > 0 ? `${intText}.${fracText}` : intText;
  return negative && /[1-9]/.test(text) ? '-' + text : text;
}

const decoders = new Map<string, TextDecoder>();
function decodeText(bytes: Buffer, charset: string): string {
  const cs = charset.toLowerCase();
  if (cs.startsWith('utf8') || cs === 'ascii') return bytes.toString('utf8');
  const label = cs === 'latin1' ? 'windows-1252' : cs === 'ucs2' || cs === 'utf16' ? 'utf-16be' : cs === 'utf16le' ? 'utf-16le'
    : cs === 'sjis' || cs === 'cp932' ? 'shift_jis' : cs === 'ujis' || cs === 'eucjpms' ? 'euc-jp' : cs === 'euckr' ? 'euc-kr'
      : cs === 'gb2312' || cs === 'gbk' ? 'gbk' : cs === 'gb18030' ? 'gb18030' : cs === 'big5' ? 'big5' : cs === 'greek' ? 'iso-8859-7'
        : cs === 'hebrew' ? 'iso-8859-8' : cs === 'latin2' ? 'iso-8859-2' : cs === 'latin5' ? 'iso-8859-9' : cs === 'latin7' ? 'iso-8859-13'
          : cs === 'koi8r' ? 'koi8-r' : cs === 'koi8u' ? 'koi8-u' : cs === 'cp1250' ? 'windows-1250' : cs === 'cp1251' ? 'windows-1251'
            : cs === 'cp1256' ? 'windows-1256' : cs === 'cp1257' ? 'windows-1257' : cs === 'cp866' ? 'ibm866' : cs === 'tis620' ? 'windows-874' : undefined;
  if (cs === 'utf32') {
    let out = '';
    for (let i = 0; i + 3 < bytes.length; i += 4) out += String.fromCodePoint(bytes.readUInt32BE(i));
    return out;
  }
  if (!label) throw new FerryError('CDC_CHARSET', `character set ${charset} cannot be decoded from the binlog`, { fix: 'convert the column to utf8mb4 on the source' });
  let d = decoders.get(label);
  if (!d) { d = new TextDecoder(label); decoders.set(label, d); }
  return d.decode(bytes);
}

const isText = (c: BinlogColumn) => c.charset !== undefined && c.charset !== 'binary';

/**
 * Decodes the value of one non-NULL column at `p`; returns the value and the bytes it used.
 * `col` describes the live column (signedness, charset, labels) that TABLE_MAP does not carry.
 */
export function decodeValue(buf: Buffer, p: number, m: ColumnMeta, col: BinlogColumn): { value: string | Buffer; size: number } {
  switch (m.type) {
    case T.TINY: return { value: String(col.unsigned ? buf.readUInt8(p) : buf.readInt8(p)), size: 1 };
    case T.SHORT: return { value: String(col.unsigned ? buf.readUInt16LE(p) : buf.readInt16LE(p)), size: 2 };
    case T.INT24: return { value: String(col.unsigned ? buf.readUIntLE(p, 3) : buf.readIntLE(p, 3)), size: 3 };
    case T.LONG: return { value: String(col.unsigned ? buf.readUInt32LE(p) : buf.readInt32LE(p)), size: 4 };
    case T.LONGLONG: return { value: String(col.unsigned ? buf.readBigUInt64LE(p) : buf.readBigInt64LE(p)), size: 8 };
    case T.FLOAT: {
      const v = buf.readFloatLE(p);
      return { value: col.fixedDecimals !== undefined ? v.toFixed(col.fixedDecimals) : formatFloat(v), size: 4 };
    }
    case T.DOUBLE: {
      const v = buf.readDoubleLE(p);
      return { value: col.fixedDecimals !== undefined ? v.toFixed(col.fixedDecimals) : formatDouble(v), size: 8 };
    }
    case T.NEWDECIMAL: return { value: decodeDecimal(buf, p, m.meta, m.meta2), size: decimalSize(m.meta, m.meta2) };
    case T.YEAR: { const y = buf[p]; return { value: y === 0 ? '0000' : String(1900 + y), size: 1 }; }
    case T.DATE: case T.NEWDATE: {
      const v = buf.readUIntLE(p, 3);
      return { value: `${pad(v >> 9, 4)}-${pad((v >> 5) & 15, 2)}-${pad(v & 31, 2)}`, size: 3 };
    }
    case T.TIME2: {
      const fsp = m.meta;
      const fracSize = readFrac(buf, p + 3, fsp).size;
      // my_time_packed_from_binary: a biased big-endian integer; the fraction borrows for negative values.
      let packed: bigint;
      if (fsp >= 5) {
        packed = BigInt(buf.readUIntBE(p, 6)) - 0x800000000000n;
      } else {
        let intpart = buf.readUIntBE(p, 3) - 0x800000;
        let frac = fsp === 0 ? 0 : fsp <= 2 ? buf.readUInt8(p + 3) : buf.readUInt16BE(p + 3);
        if (intpart < 0 && frac !== 0) { intpart++; frac -= fsp <= 2 ? 0x100 : 0x10000; }
        packed = (BigInt(intpart) << 24n) + BigInt(frac * (fsp <= 2 ? 10000 : 100));
      }
      const neg = packed < 0n;
      if (neg) packed = -packed;
      const hms = Number(packed >> 24n);
      const micro = Number(packed % (1n << 24n));
      const text = `${neg ? '-' : ''}${pad((hms >> 12) & 0x3ff, 2)}:${pad((hms >> 6) & 63, 2)}:${pad(hms & 63, 2)}${fracText(micro, fsp)}`;
      return { value: text, size: 3 + fracSize };
    }
    case T.DATETIME2: {
      const fsp = m.meta;
      const frac = readFrac(buf, p + 5, fsp);
      const intpart = buf.readUIntBE(p, 5) - 0x8000000000;
      const ymd = Math.floor(intpart / 2 ** 17);
      const hms = intpart % 2 ** 17;
      const ym = ymd >> 5;
      const text = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13, 2)}-${pad(ymd & 31, 2)} ${pad(hms >> 12, 2)}:${pad((hms >> 6) & 63, 2)}:${pad(hms & 63, 2)}${fracText(frac.micro, fsp)}`;
      return { value: text, size: 5 + frac.size };
    }
    case T.TIMESTAMP2: {
      const fsp = m.meta;
      const secs = buf.readUInt32BE(p);
      const frac = readFrac(buf, p + 4, fsp);
      return { value: timestampText(secs, frac.micro, fsp), size: 4 + frac.size };
    }
    case T.TIMESTAMP: return { value: timestampText(buf.readUInt32LE(p), 0, 0), size: 4 };
    case T.DATETIME: {
      const v = String(buf.readBigUInt64LE(p)).padStart(14, '0');
      return { value: `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)} ${v.slice(8, 10)}:${v.slice(10, 12)}:${v.slice(12, 14)}`, size: 8 };
    }
    case T.TIME: {
      const v = buf.readIntLE(p, 3);
      const a = Math.abs(v);
      return { value: `${v < 0 ? '-' : ''}${pad(Math.floor(a / 10000), 2)}:${pad(Math.floor(a / 100) % 100, 2)}:${pad(a % 100, 2)}`, size: 3 };
    }
    case T.BIT: {
      const size = m.meta2 + (m.meta > 0 ? 1 : 0);
      return { value: Buffer.from(buf.subarray(p, p + size)), size };
    }
    case T.ENUM: {
      const size = m.meta;
      const idx = size === 1 ? buf[p] : buf.readUInt16LE(p);
      return { value: idx === 0 ? '' : (col.labels?.[idx - 1] ?? labelMissing(col, idx)), size };
    }
    case T.SET: {
      const size = m.meta;
      let bits = 0n;
      for (let i = size - 1; i >= 0; i--) bits = (bits << 8n) | BigInt(buf[p + i]);
      const labels = col.labels ?? [];
      const out: string[] = [];
      for (let i = 0; i < labels.length; i++) if (bits & (1n << BigInt(i))) out.push(labels[i]);
      return { value: out.join(','), size };
    }
    case T.STRING: {
      const lenSize = m.meta > 255 ? 2 : 1;
      const len = lenSize === 1 ? buf[p] : buf.readUInt16LE(p);
      const bytes = buf.subarray(p + lenSize, p + lenSize + len);
      if (isText(col)) return { value: decodeText(bytes, col.charset as string), size: lenSize + len };
      const out = Buffer.alloc(Math.max(len, col.binaryLength ?? 0));
      bytes.copy(out);
      return { value: out, size: lenSize + len };
    }
    case T.VARCHAR: case T.VAR_STRING: {
      const lenSize = m.meta > 255 ? 2 : 1;
      const len = lenSize === 1 ? buf[p] : buf.readUInt16LE(p);
      const bytes = buf.subarray(p + lenSize, p + lenSize + len);
      return { value: isText(col) ? decodeText(bytes, col.charset as string) : Buffer.from(bytes), size: lenSize + len };
    }
    case T.BLOB: case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB: case T.GEOMETRY: {
      const lenSize = m.meta;
      const len = buf.readUIntLE(p, lenSize);
      const bytes = buf.subarray(p + lenSize, p + lenSize + len);
      return { value: isText(col) && m.type !== T.GEOMETRY ? decodeText(bytes, col.charset as string) : Buffer.from(bytes), size: lenSize + len };
    }
    case T.JSON:
      throw new FerryError('CDC_UNSUPPORTED_TYPE', `column ${col.name}: MySQL binary JSON in the binlog is not decoded by Ferry`,
        { fix: 'migrate this table without incremental sync, or store the JSON as LONGTEXT on the source' });
    default:
      throw new FerryError('CDC_UNSUPPORTED_TYPE', `column ${col.name}: binlog column type ${m.type} is not supported`,
        { fix: 'MariaDB compressed columns and pre-5.6 temporal formats are not decoded; ALTER the column on the source (e.g. ALTER TABLE … FORCE)' });
  }
}

function labelMissing(col: BinlogColumn, idx: number): never {
  throw new FerryError('CDC_DECODE', `column ${col.name}: enum index ${idx} has no label`, { fix: 'the column definition changed; restart the task' });
}

function timestampText(secs: number, micro: number, fsp: number): string {
  if (secs === 0 && micro === 0) return `0000-00-00 00:00:00${fracText(0, fsp)}`;
  const d = new Date(secs * 1000);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${fracText(micro, fsp)}`;
}
