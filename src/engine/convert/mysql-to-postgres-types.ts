// The MySQL/MariaDB -> PostgreSQL column type rules: one entry per source type family, each with the
// Warning it may raise and the value converter that keeps the data exact (ARCHITECTURE.md §6).
import type { Column, ColumnType, QualifiedName } from '../model';
import { quotePgIdent, quotePgLiteral } from '../postgres/connect';
import type { ValueConverter, WarningLevel } from './types';
import {
  binaryValue, bitValue, dateValue, datetimeValue, enumValue, setValue, spatialToEwkb, textValue, timeValue,
  timestampUtcValue, unsignedBigintToBigint, yearValue, type ValueContext,
} from './mysql-to-postgres-values';

/** A Warning a type rule raises, before it is given its object id. */
export interface TypeNote {
  code: string;
  level: WarningLevel;
  message: string;
  fix?: string;
}

export interface TypeRuleResult {
  /** PostgreSQL type text for Column.native. */
  native: string;
  type: ColumnType;
  convert?: ValueConverter;
  notes: TypeNote[];
  /** Extra CHECK expressions that keep the source's domain; `%c` stands for the quoted target column. */
  checks?: string[];
  /** The column cannot keep its auto-increment as an identity (type not integer). */
  dropIdentity?: boolean;
}

export interface TypeRuleEnv {
  lossless: boolean;
  value: ValueContext;
  /** The PostgreSQL enum type for a value list (one per distinct list), created on first use. */
  enumType(values: string[]): QualifiedName;
}

type Rule = (col: Column, env: TypeRuleEnv) => TypeRuleResult;

const NUMERIC_20 = 'numeric(20,0)';
const BIGINT_MAX = 9223372036854775807n;

const int = (native: string, type: ColumnType, notes: TypeNote[] = []): TypeRuleResult => ({ native, type, notes });

/** Integers: the smallest PostgreSQL type that holds the whole source range (PostgreSQL has no unsigned types). */
function integerRule(col: Column, env: TypeRuleEnv): TypeRuleResult {
  const t = col.type as Extract<ColumnType, { kind: 'int' }>;
  const notes: TypeNote[] = [];
  if (t.bytes === 1 && t.displayWidth === 1) {
    notes.push({
      code: 'TINYINT1_AS_SMALLINT', level: 'info',
      message: `${col.native} is kept as smallint, not boolean: MySQL stores any value from -128 to 127 (or 0..255) in it, not only 0/1`,
      fix: 'if the column only ever holds 0/1, override it to boolean (USING col <> 0)',
    });
  }
  switch (t.bytes) {
    case 1: return int('smallint', { kind: 'int', bytes: 2, unsigned: false }, notes);
    case 2: return t.unsigned ? int('integer', { kind: 'int', bytes: 4, unsigned: false }, [...notes, widened(col, 'integer')])
      : int('smallint', { kind: 'int', bytes: 2, unsigned: false }, notes);
    case 3: return int('integer', { kind: 'int', bytes: 4, unsigned: false }, notes);
    case 4: return t.unsigned ? int('bigint', { kind: 'int', bytes: 8, unsigned: false }, [...notes, widened(col, 'bigint')])
      : int('integer', { kind: 'int', bytes: 4, unsigned: false }, notes);
    default: {
      if (!t.unsigned) return int('bigint', { kind: 'int', bytes: 8, unsigned: false }, notes);
      // An auto-increment key below 2^63 keeps an integer identity: all its values are below its next value.
      const autoFits = col.identity !== undefined && BigInt(col.identity.next || '1') <= BIGINT_MAX;
      if (!env.lossless || autoFits) {
        return {
          native: 'bigint', type: { kind: 'int', bytes: 8, unsigned: false }, convert: unsignedBigintToBigint(env.value),
          notes: [...notes, {
            code: 'UNSIGNED_BIGINT_AS_BIGINT', level: 'warn',
            message: `${col.native} becomes bigint${autoFits ? ` (an auto-increment key whose next value ${col.identity?.next} is below 2^63)` : ' (lossless mode is off)'}; a value above 9223372036854775807 fails the copy`,
            fix: 'use lossless mode to get numeric(20,0), which holds every BIGINT UNSIGNED value',
          }],
        };
      }
      return {
        native: NUMERIC_20, type: { kind: 'decimal', precision: 20, scale: 0 },
        notes: [...notes, {
          code: 'UNSIGNED_BIGINT_WIDENED', level: 'warn',
          message: `${col.native} becomes numeric(20,0) so that values up to 18446744073709551615 survive (PostgreSQL bigint stops at 2^63-1)${col.identity ? '; it can no longer be an identity column' : ''}`,
          fix: 'if every value is below 2^63, override the column to bigint',
        }],
        dropIdentity: col.identity !== undefined,
      };
    }
  }
}

function widened(col: Column, to: string): TypeNote {
  return { code: 'UNSIGNED_WIDENED', level: 'info', message: `${col.native} becomes ${to}, the next wider signed type, so its whole unsigned range fits` };
}

/** Bytes one character of the column's charset can take once converted to UTF8. */
function utf8BytesPerChar(col: Column): number {
  const cs = (col.charset ?? 'utf8mb4').toLowerCase();
  if (cs === 'ascii' || cs === 'binary') return 1;
  if (cs.startsWith('latin') || cs.startsWith('cp') || cs === 'swe7' || cs === 'dec8') return 2;
  if (cs === 'utf8mb3' || cs === 'utf8' || cs === 'ucs2') return 3;
  return 4;
}

/** Bytes one index entry for this column may need on PostgreSQL (UTF8), undefined = unbounded. */
export function maxValueBytes(col: Column, prefixChars?: number): number | undefined {
  const t = col.type;
  if (t.kind === 'char') {
    const chars = prefixChars ?? t.length;
    return chars === undefined ? undefined : chars * utf8BytesPerChar(col);
  }
  if (t.kind === 'text') return prefixChars !== undefined ? prefixChars * utf8BytesPerChar(col) : undefined;
  if (t.kind === 'binary') return prefixChars ?? (t.blob ? undefined : t.length);
  if (t.kind === 'json' || t.kind === 'set' || t.kind === 'spatial' || t.kind === 'other') return undefined;
  if (t.kind === 'enum') return 63;
  return 16;
}

/** The rules, one per source type family. */
export const MYSQL_TO_POSTGRES_TYPES: Record<ColumnType['kind'], Rule> = {
  int: integerRule,
  bool: () => ({
    native: 'smallint', type: { kind: 'int', bytes: 2, unsigned: false },
    notes: [{ code: 'TINYINT1_AS_SMALLINT', level: 'info', message: 'BOOLEAN (tinyint(1)) is kept as smallint: MySQL stores any TINYINT value in it', fix: 'override to boolean if only 0/1 occur' }],
  }),
  decimal: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'decimal' }>;
    const precision = t.precision ?? 10;
    const scale = t.scale ?? 0;
    const notes: TypeNote[] = t.unsigned ? [{ code: 'UNSIGNED_DECIMAL', level: 'info', message: `${col.native}: PostgreSQL numeric has no UNSIGNED; negative values become possible` }] : [];
    return { native: `numeric(${precision},${scale})`, type: { kind: 'decimal', precision, scale }, notes };
  },
  float: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'float' }>;
    const notes: TypeNote[] = [];
    if (/\(\s*\d+\s*,\s*\d+\s*\)/.test(col.native)) {
      notes.push({
        code: 'FLOAT_SCALE_DROPPED', level: 'info',
        message: `${col.native}: the (M,D) rounding MySQL applies on insert does not exist on PostgreSQL; copied values are exact, new values are not rounded`,
        fix: 'override to numeric(M,D) if the column is really a fixed-point quantity',
      });
    }
    return t.bytes === 4 ? { native: 'real', type: { kind: 'float', bytes: 4 }, notes } : { native: 'double precision', type: { kind: 'float', bytes: 8 }, notes };
  },
  bit: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'bit' }>;
    const length = Math.max(1, t.length);
    return {
      native: `bit(${length})`, type: { kind: 'bit', length, varying: false }, convert: bitValue(length),
      notes: length === 1 ? [{ code: 'BIT1_AS_BIT', level: 'info', message: 'BIT(1) stays bit(1) (exact); PostgreSQL compares it with B\'1\', not 1', fix: 'override to boolean if the application treats it as a flag' }] : [],
    };
  },
  char: (col, env) => {
    const t = col.type as Extract<ColumnType, { kind: 'char' }>;
    const notes = collationNotes(col);
    if (t.length === 0) {
      notes.push({ code: 'ZERO_LENGTH_CHAR', level: 'info', message: `${col.native} has length 0, which PostgreSQL does not allow; it becomes varchar(1) (it can still only hold '' or NULL from the source)` });
      return { native: 'varchar(1)', type: { kind: 'char', length: 1, varying: true }, convert: textValue(env.value), notes };
    }
    const native = t.length === undefined ? (t.varying ? 'varchar' : 'text') : `${t.varying ? 'varchar' : 'char'}(${t.length})`;
    return { native, type: { kind: 'char', length: t.length, varying: t.varying }, convert: textValue(env.value), notes };
  },
  text: (col, env) => ({ native: 'text', type: { kind: 'text' }, convert: textValue(env.value), notes: collationNotes(col) }),
  binary: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'binary' }>;
    const notes: TypeNote[] = !t.varying && !t.blob
      ? [{ code: 'BINARY_PADDING_KEPT', level: 'info', message: `${col.native} becomes bytea; MySQL's right-padding with \\0 bytes is data and is copied as it is (new values are not padded)` }]
      : [];
    return { native: 'bytea', type: { kind: 'binary', varying: true, blob: true }, convert: binaryValue, notes };
  },
  date: (col, env) => ({ native: 'date', type: { kind: 'date' }, convert: dateValue(env.value), notes: [zeroDateNote(col, env)] }),
  timestamp: (col, env) => {
    const t = col.type as Extract<ColumnType, { kind: 'timestamp' }>;
    const p = t.precision ?? 0;
    if (t.tz || t.mysqlTimestamp) {
      return {
        native: `timestamp(${p}) with time zone`, type: { kind: 'timestamp', precision: p, tz: true }, convert: timestampUtcValue(env.value),
        notes: [zeroDateNote(col, env), { code: 'TIMESTAMP_AS_TIMESTAMPTZ', level: 'info', message: `${col.native} (stored in UTC by MySQL) becomes timestamptz: the same instants, shown in the session time zone` }],
      };
    }
    return { native: `timestamp(${p}) without time zone`, type: { kind: 'timestamp', precision: p, tz: false }, convert: datetimeValue(env.value), notes: [zeroDateNote(col, env)] };
  },
  time: (col, env) => {
    const t = col.type as Extract<ColumnType, { kind: 'time' }>;
    if (t.mysqlTime === false || t.tz) {
      return { native: `time(${t.precision ?? 0})${t.tz ? ' with time zone' : ''}`, type: { kind: 'time', precision: t.precision, tz: t.tz }, notes: [] };
    }
    if (!env.lossless) {
      return {
        native: `time(${t.precision ?? 0}) without time zone`, type: { kind: 'time', precision: t.precision, tz: false }, convert: timeValue(env.value),
        notes: [{ code: 'TIME_AS_TIME', level: 'warn', message: `${col.native} becomes time (lossless mode is off); negative values and values beyond 24:00:00 fail the copy`, fix: 'use lossless mode (interval)' }],
      };
    }
    return {
      native: 'interval', type: { kind: 'interval', precision: t.precision }, convert: timeValue(env.value),
      notes: [{
        code: 'TIME_AS_INTERVAL', level: 'warn',
        message: `${col.native} becomes interval: MySQL TIME ranges from -838:59:59 to 838:59:59 (a duration), PostgreSQL time only covers one day`,
        fix: 'if the column only holds times of day, override it to time',
      }],
    };
  },
  year: () => ({
    native: 'smallint', type: { kind: 'int', bytes: 2, unsigned: false }, convert: yearValue,
    notes: [{ code: 'YEAR_AS_SMALLINT', level: 'info', message: 'YEAR becomes smallint (1901..2155, and 0 for the zero year 0000)' }],
    checks: ['%c = 0 OR %c BETWEEN 1901 AND 2155'],
  }),
  enum: (col, env) => {
    const t = col.type as Extract<ColumnType, { kind: 'enum' }>;
    const labelsFit = t.values.length > 0 && t.values.every((v) => v !== '' && Buffer.byteLength(v, 'utf8') <= 63);
    if (!labelsFit) {
      const max = Math.max(1, ...t.values.map((v) => [...v].length));
      return {
        native: `varchar(${max})`, type: { kind: 'char', length: max, varying: true }, convert: textValue(env.value),
        notes: [{ code: 'ENUM_AS_CHECK', level: 'warn', message: `${col.native} has a label PostgreSQL enums cannot hold (empty or longer than 63 bytes); it becomes varchar(${max}) with a CHECK of the allowed values`, fix: 'shorten the labels on the source if a real enum type is wanted' }],
        checks: [`%c IN (${t.values.map(quotePgLiteral).join(', ')})`],
      };
    }
    const type = env.enumType(t.values);
    return {
      native: `${quotePgIdent(type.schema)}.${quotePgIdent(type.name)}`, type: { kind: 'enum', values: [...t.values], type },
      convert: enumValue(env.value, t.values), notes: [],
    };
  },
  set: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'set' }>;
    return {
      native: 'text[]', type: { kind: 'array', element: { kind: 'text' }, dims: 1 }, convert: setValue,
      notes: [{
        code: 'SET_AS_ARRAY', level: 'warn',
        message: `${col.native} becomes text[] with a CHECK that every element is a member ('a,b' is stored as {a,b}); queries using FIND_IN_SET or the bit value need rewriting`,
        fix: "query it with = ANY(col) / @> ARRAY['a']; override to varchar if the text form is required",
      }],
      checks: [`%c <@ ARRAY[${t.values.map(quotePgLiteral).join(', ')}]::text[]`],
    };
  },
  json: () => ({
    native: 'json', type: { kind: 'json', binary: false },
    notes: [{ code: 'JSON_AS_JSON', level: 'info', message: 'JSON becomes json (text kept exactly: key order, duplicates, number spelling); jsonb would normalise it', fix: 'override to jsonb for indexing and faster operators' }],
  }),
  uuid: () => ({ native: 'uuid', type: { kind: 'uuid' }, notes: [] }),
  inet: () => ({ native: 'inet', type: { kind: 'inet' }, notes: [] }),
  cidr: () => ({ native: 'cidr', type: { kind: 'cidr' }, notes: [] }),
  macaddr: () => ({ native: 'macaddr', type: { kind: 'macaddr', bytes: 6 }, notes: [] }),
  spatial: (col) => {
    const t = col.type as Extract<ColumnType, { kind: 'spatial' }>;
    return {
      native: 'bytea', type: { kind: 'binary', varying: true, blob: true }, convert: spatialToEwkb,
      notes: [{
        code: 'SPATIAL_AS_EWKB', level: 'warn',
        message: `${t.subtype.toUpperCase()} becomes bytea holding EWKB (WKB with the SRID${t.srid !== undefined ? ` ${t.srid}` : ''}); PostgreSQL has no geometry type without PostGIS`,
        fix: 'install PostGIS on the target and run ALTER TABLE … ALTER COLUMN … TYPE geometry USING ST_GeomFromEWKB(col)',
      }],
    };
  },
  // The remaining kinds do not come from MySQL sources; they pass with their native text.
  interval: (col) => ({ native: 'interval', type: col.type, notes: [] }),
  money: () => ({ native: 'money', type: { kind: 'money' }, notes: [] }),
  array: (col) => ({ native: col.native, type: col.type, notes: [] }),
  domain: (col) => ({ native: col.native, type: col.type, notes: [] }),
  tsvector: () => ({ native: 'tsvector', type: { kind: 'tsvector' }, notes: [] }),
  xml: () => ({ native: 'xml', type: { kind: 'xml' }, notes: [] }),
  other: (col, env) => ({
    native: 'text', type: { kind: 'text' }, convert: textValue(env.value),
    notes: [{ code: 'UNKNOWN_TYPE_AS_TEXT', level: 'warn', message: `type ${col.native} has no known PostgreSQL equivalent; the column becomes text holding MySQL's text form`, fix: 'override the column type in the converted DDL' }],
  }),
};

function zeroDateNote(col: Column, env: TypeRuleEnv): TypeNote {
  return env.lossless
    ? {
      code: 'ZERO_DATE', level: 'info',
      message: `${col.native}: MySQL zero dates ('0000-00-00') and partial-zero dates ('2020-00-15') have no PostgreSQL form; they are written as '-infinity' (sorts first, stays distinct from NULL)`,
      fix: "clean such values on the source, or query them on the target with col = '-infinity'",
    }
    : { code: 'ZERO_DATE', level: 'warn', message: `${col.native}: a zero or partial-zero date fails the copy (lossless mode is off)`, fix: "turn lossless mode on (they become '-infinity') or fix them on the source" };
}

function collationNotes(col: Column): TypeNote[] {
  const notes: TypeNote[] = [];
  const cs = (col.charset ?? '').toLowerCase();
  if (cs && cs !== 'utf8mb4' && cs !== 'utf8mb3' && cs !== 'utf8' && cs !== 'binary' && cs !== 'ascii') {
    notes.push({ code: 'CHARSET_TO_UTF8', level: 'info', message: `character set ${col.charset} is converted to UTF8 on read (every ${col.charset} character exists in UTF8)` });
  }
  return notes;
}

/** Whether a MySQL collation compares case- or accent-insensitively (…_ci, …_ai_ci), i.e. not like PostgreSQL's default. */
export function isInsensitiveCollation(collation: string | undefined): boolean {
  return !!collation && /_ci$|_ai_|_ci_/i.test(collation);
}
