// PostgreSQL -> MySQL/MariaDB: the type rules (one table, each rule with the Warning it may raise), the
// object rules (indexes, keys, views, sequences, partitions) and the value converters they attach.
import { renameForeignKey } from './identifiers';
import type {
  CheckConstraint, Column, ColumnType, DefaultValue, ForeignKey, Index, QualifiedName, Schema, Sequence, Table, UserType, View,
} from '../model';
import { qualifiedKey } from '../model';
import type { ConversionContext, RuleSet } from './context';
import type { ColumnMapping, ConvertedSchema, TableMapping, ValueConverter, Warning } from './types';
import { objectId } from './types';
import { type TranslateEnv, translatePgSql } from './pg-sql-translate';
import {
  arrayToJsonConverter, bitConverter, boolConverter, byteaConverter, dateConverter, decimalConverter, floatConverter, jsonElement,
  maxLengthConverter, moneyConverter, timestampConverter, timestamptzConverter,
} from './postgres-to-mysql-values';
import { rowKey } from './mysql-to-mysql';

/** What a type rule decides for one column. */
export interface MappedType {
  native: string;
  type: ColumnType;
  convert?: ValueConverter;
  /** Column charset/collation on the target (ascii for machine text such as uuid and inet). */
  charset?: string;
  collation?: string;
  warning?: Omit<Warning, 'object'>;
}

export interface TypeRuleInput {
  type: ColumnType;
  column: string;
  lossless: boolean;
  /** The column is part of the primary key (limits text types to an indexable length). */
  inKey: boolean;
}

const ASCII = { charset: 'ascii', collation: 'ascii_bin' } as const;
/** InnoDB's largest index key is 3072 bytes: 768 utf8mb4 characters. */
export const MAX_KEY_CHARS = 768;

function text(native: string, warning?: Omit<Warning, 'object'>): MappedType {
  return { native, type: { kind: 'text' }, warning };
}

const w = (code: string, level: Warning['level'], message: string, fix?: string): Omit<Warning, 'object'> => ({ code, level, message, fix });

/**
 * The type rules, by neutral kind: PostgreSQL type -> MySQL/MariaDB type text, converter, Warning.
 * Lossless by default (ARCHITECTURE.md §6); a value that cannot be represented fails loudly at copy time.
 */
export const TYPE_RULES: { [K in ColumnType['kind']]: (t: Extract<ColumnType, { kind: K }>, i: TypeRuleInput) => MappedType } = {
  int: (t) => ({ native: t.bytes === 2 ? 'smallint' : t.bytes === 8 ? 'bigint' : 'int', type: { kind: 'int', bytes: t.bytes === 2 ? 2 : t.bytes === 8 ? 8 : 4, unsigned: false } }),
  decimal: (t, i) => {
    if (t.precision !== undefined && t.precision <= 65 && (t.scale ?? 0) <= 30) {
      const p = t.precision, s = t.scale ?? 0;
      return { native: `decimal(${p},${s})`, type: { kind: 'decimal', precision: p, scale: s }, convert: decimalConverter(i.column, p, s),
        warning: w('NUMERIC_SPECIAL_VALUES', 'info', 'PostgreSQL numeric can hold NaN and ±Infinity, MySQL DECIMAL cannot: such a value fails the copy',
          'check the source has none (SELECT … WHERE col = \'NaN\')') };
    }
    if (!i.lossless) {
      const s = Math.min(t.scale ?? 30, 30);
      return { native: `decimal(65,${s})`, type: { kind: 'decimal', precision: 65, scale: s }, convert: decimalConverter(i.column, 65, s),
        warning: w('NUMERIC_NARROWED', 'warn', `numeric${t.precision ? `(${t.precision},${t.scale ?? 0})` : ' without precision'} becomes decimal(65,${s}); a value with more digits fails the copy`,
          'turn the lossless option on to keep every digit as text') };
    }
    // Every digit, NaN and ±Infinity kept as text; 1000 characters covers any realistic value and stays indexable.
    const len = t.precision !== undefined ? Math.max(t.precision + 2, 9) : 1000;
    return { native: `varchar(${len})`, type: { kind: 'char', length: len, varying: true }, ...ASCII, convert: maxLengthConverter(i.column, len),
      warning: w('NUMERIC_AS_TEXT', 'warn', `numeric${t.precision ? `(${t.precision},${t.scale ?? 0})` : ' without precision'} exceeds MySQL DECIMAL(65,30): kept exactly as varchar(${len}) text`,
        'override the column type with decimal(p,s) if the values fit, or set lossless=false for decimal(65,30) with a failing check') };
  },
  // real becomes double too: MySQL FLOAT prints 6 significant digits and rejects PostgreSQL's 3.4028235e+38, while
  // every float4 value and its shortest text survive a double exactly.
  float: (_t, i) => ({ native: 'double', type: { kind: 'float', bytes: 8 }, convert: floatConverter(i.column),
    warning: w('FLOAT_SPECIAL_VALUES', 'info', 'PostgreSQL floats can hold NaN and ±Infinity, MySQL cannot: such a value fails the copy',
      'check the source has none, or override the column type to varchar(32)') }),
  bool: () => ({ native: 'tinyint(1)', type: { kind: 'int', bytes: 1, unsigned: false, displayWidth: 1 }, convert: boolConverter }),
  bit: (t, i) => {
    if (!t.varying && t.length >= 1 && t.length <= 64) return { native: `bit(${t.length})`, type: { kind: 'bit', length: t.length, varying: false }, convert: bitConverter() };
    const len = t.length > 0 ? t.length : 16383;
    return { native: len <= 16383 ? `varchar(${len})` : 'longtext', type: { kind: 'char', length: len, varying: true }, ...ASCII,
      warning: w('BIT_AS_TEXT', 'warn', `${t.varying ? 'bit varying' : `bit(${t.length})`} has no exact MySQL BIT equivalent: kept as a '0101' text`,
        'override the column type if a MySQL BIT(n≤64) fits the values') , convert: len <= 16383 ? maxLengthConverter(i.column, len) : undefined };
  },
  char: (t, i) => {
    if (t.length === undefined) {
      if (i.inKey) return keyText(i);
      return text('longtext', w('VARCHAR_UNBOUNDED', 'info', 'varchar without a length becomes longtext', 'override with varchar(n) to index it fully'));
    }
    if (!t.varying && t.length <= 255) {
      return { native: `char(${t.length})`, type: { kind: 'char', length: t.length, varying: false },
        warning: w('CHAR_PADDING', 'info', 'MySQL CHAR strips trailing spaces when read; PostgreSQL char(n) keeps the padding', 'comparisons ignore trailing spaces on both engines') };
    }
    if (t.length <= 16383) return { native: `varchar(${t.length})`, type: { kind: 'char', length: t.length, varying: true } };
    return text('longtext', w('VARCHAR_AS_TEXT', 'info', `varchar(${t.length}) is longer than MySQL's varchar allows in utf8mb4: longtext`));
  },
  text: (_t, i) => (i.inKey ? keyText(i) : text('longtext')),
  binary: (_t, i) => (i.inKey
    ? { native: 'varbinary(3072)', type: { kind: 'binary', length: 3072, varying: true, blob: false }, convert: byteaConverter,
      warning: w('BYTEA_KEY_LIMITED', 'warn', 'a bytea key column becomes varbinary(3072) (InnoDB key limit); longer values fail the copy') }
    : { native: 'longblob', type: { kind: 'binary', varying: true, blob: true }, convert: byteaConverter }),
  date: (_t, i) => ({ native: 'date', type: { kind: 'date' }, convert: dateConverter(i.column),
    warning: w('DATE_RANGE', 'info', 'MySQL dates run from 1000-01-01 to 9999-12-31 and have no infinity or BC: such a value fails the copy',
      'check the source (SELECT … WHERE col < \'1000-01-01\' OR col > \'9999-12-31\' OR isfinite(col) = false)') }),
  time: (t) => (t.tz
    ? { native: 'varchar(32)', type: { kind: 'char', length: 32, varying: true }, ...ASCII,
      warning: w('TIMETZ_AS_TEXT', 'warn', 'time with time zone has no MySQL equivalent: kept as text with its offset (e.g. 12:00:00+02)', 'override with time(6) to keep the time only') }
    : { native: `time(${t.precision ?? 6})`, type: { kind: 'time', precision: t.precision ?? 6, tz: false, mysqlTime: true } }),
  timestamp: (t, i) => {
    const p = t.precision ?? 6;
    return t.tz
      ? { native: `datetime(${p})`, type: { kind: 'timestamp', precision: p, tz: false }, convert: timestamptzConverter(i.column),
        warning: w('TIMESTAMPTZ_AS_UTC', 'warn', `timestamp with time zone becomes datetime(${p}) holding UTC (MySQL TIMESTAMP stops in 2038); out-of-range, BC and infinity values fail the copy`,
          'read the column as UTC in the application') }
      : { native: `datetime(${p})`, type: { kind: 'timestamp', precision: p, tz: false }, convert: timestampConverter(i.column),
        warning: w('TIMESTAMP_RANGE', 'info', 'MySQL datetime runs from 1000-01-01 to 9999-12-31 and has no infinity or BC: such a value fails the copy',
          'check the source for out-of-range values') };
  },
  year: () => ({ native: 'year', type: { kind: 'year' } }),
  interval: () => ({ native: 'varchar(100)', type: { kind: 'char', length: 100, varying: true }, ...ASCII,
    warning: w('INTERVAL_AS_TEXT', 'warn', 'interval has no MySQL equivalent: kept as ISO 8601 text (P1Y2M3DT4H5M6S)', 'convert to seconds in the application if arithmetic is needed') }),
  enum: (t) => ({ native: `enum(${t.values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`, type: { kind: 'enum', values: [...t.values] },
    charset: 'utf8mb4', collation: 'utf8mb4_bin',
    warning: t.type ? w('ENUM_INLINED', 'info', `the enum type ${qualifiedKey(t.type)} is written inline on each column (MySQL has no named enum types)`) : undefined }),
  set: (t) => ({ native: 'set', type: { kind: 'set', values: [...t.values] } }),
  json: (t) => ({ native: 'json', type: { kind: 'json', binary: false },
    warning: t.binary ? w('JSONB_AS_JSON', 'info', 'jsonb becomes JSON (MariaDB: longtext checked by json_valid); key order and spacing follow jsonb\'s normalised text') : undefined }),
  uuid: () => ({ native: 'char(36)', type: { kind: 'char', length: 36, varying: false }, ...ASCII,
    warning: w('UUID_AS_CHAR', 'info', 'uuid becomes char(36) text (exact round trip)', 'on MariaDB 10.7+ you may override the type with the native uuid type') }),
  inet: () => ({ native: 'varchar(43)', type: { kind: 'char', length: 43, varying: true }, ...ASCII,
    warning: w('INET_AS_TEXT', 'info', 'inet becomes varchar(43) text; network operators are not available') }),
  cidr: () => ({ native: 'varchar(43)', type: { kind: 'char', length: 43, varying: true }, ...ASCII,
    warning: w('INET_AS_TEXT', 'info', 'cidr becomes varchar(43) text; network operators are not available') }),
  macaddr: (t) => ({ native: t.bytes === 6 ? 'char(17)' : 'char(23)', type: { kind: 'char', length: t.bytes === 6 ? 17 : 23, varying: false }, ...ASCII }),
  money: (_t, i) => ({ native: 'decimal(19,2)', type: { kind: 'decimal', precision: 19, scale: 2 }, convert: moneyConverter(i.column),
    warning: w('MONEY_AS_DECIMAL', 'warn', 'money becomes decimal(19,2): the currency symbol and locale formatting are dropped', 'keep the currency elsewhere if it matters') }),
  spatial: (t) => text('longtext', w('SPATIAL_AS_TEXT', 'warn', `${t.subtype} is copied as its text (hex EWKB) form`, 'convert with ST_GeomFromWKB on the target, or override the type')),
  array: (t, i) => {
    const el = baseOf(t.element);
    const kind = el.kind === 'int' || el.kind === 'decimal' || el.kind === 'float' ? 'number' : el.kind === 'bool' ? 'bool' : 'string';
    return { native: 'json', type: { kind: 'json', binary: false }, convert: arrayToJsonConverter(i.column, jsonElement(kind)),
      warning: w('ARRAY_AS_JSON', 'warn', 'the array becomes a JSON array (NULL elements as null, nested arrays nested); non-default lower bounds are dropped',
        'use JSON functions on the target') };
  },
  domain: (t, i) => {
    const base = mapType({ ...i, type: t.base });
    return { ...base, warning: w('DOMAIN_INLINED', 'info', `the domain ${qualifiedKey(t.type)} becomes its base type${base.warning ? ` (${base.warning.message})` : ''}; its CHECK becomes a column check where translatable`) };
  },
  tsvector: () => text('longtext', w('TSVECTOR_AS_TEXT', 'warn', 'tsvector is copied as text; build a FULLTEXT index on the source text columns instead')),
  xml: () => text('longtext', w('XML_AS_TEXT', 'info', 'xml is copied as text')),
  other: (t) => text('longtext', w('TYPE_AS_TEXT', 'warn', `${t.native} has no MySQL equivalent: copied as its text form`, 'override the column type')),
};

function keyText(i: TypeRuleInput): MappedType {
  return { native: `varchar(${MAX_KEY_CHARS})`, type: { kind: 'char', length: MAX_KEY_CHARS, varying: true }, convert: maxLengthConverter(i.column, MAX_KEY_CHARS),
    warning: w('TEXT_KEY_LIMITED', 'warn', `a text key column becomes varchar(${MAX_KEY_CHARS}) (InnoDB's 3072-byte key limit); longer values fail the copy`,
      'shorten the key on the source or use a surrogate key') };
}

function baseOf(t: ColumnType): ColumnType {
  return t.kind === 'domain' ? baseOf(t.base) : t;
}

export function mapType(i: TypeRuleInput): MappedType {
  const rule = TYPE_RULES[i.type.kind] as (t: ColumnType, input: TypeRuleInput) => MappedType;
  return rule(i.type, i);
}

/** Bytes an index part may take in InnoDB (utf8mb4 = 4 bytes per character); Infinity = needs a prefix. */
function partBytes(c: Column | undefined, prefix?: number): number {
  if (!c) return 8;
  const t = c.type;
  const perChar = c.charset === 'ascii' ? 1 : 4;
  if (t.kind === 'char') return (prefix ?? t.length ?? 16383) * perChar;
  if (t.kind === 'text' || t.kind === 'json' || (t.kind === 'binary' && t.blob)) return prefix ? prefix * perChar : Infinity;
  if (t.kind === 'binary') return prefix ?? t.length ?? 255;
  if (t.kind === 'enum' || t.kind === 'set') return 2;
  return 8;
}

const MAX_KEY_BYTES = 3072;

/**
 * PostgreSQL compares text byte-exactly under its default deterministic collations ('a' <> 'A', 'a' <> 'a ');
 * utf8mb4_nopad_bin does the same, so unique keys accept exactly the rows they accept on the source.
 */
const TABLE_COLLATION = 'utf8mb4_nopad_bin';

export const postgresToMysql: RuleSet = (source: Schema, ctx: ConversionContext): ConvertedSchema => {
  const warnings: Warning[] = [];
  const manual: ConvertedSchema['manual'] = [];
  const { ids } = ctx;
  const lossless = ctx.options.lossless;
  const warn = (object: string, x: Omit<Warning, 'object'> | undefined) => { if (x) warnings.push({ ...x, object }); };
  const env = (valueColumn?: string): TranslateEnv => ({ schemas: source.namespaces, relation: (q) => ids.table(q), valueColumn });
  const domains = new Map<string, Extract<UserType, { kind: 'domain' }>>();
  for (const t of source.types) if (t.kind === 'domain') domains.set(`${t.schema}.${t.name}`, t);

  for (const ns of source.namespaces) {
    const target = ids.namespace(ns);
    if (target !== ctx.options.targetDatabase) {
      warnings.push({ code: 'SCHEMA_AS_DATABASE', object: `schema:${ns}`, level: 'warn',
        message: `PostgreSQL schema "${ns}" becomes the MySQL database "${target}" (MySQL has no schemas inside a database)`,
        fix: 'grant the application user access to that database too' });
    }
  }

  const tables: Table[] = [];
  const mappings: TableMapping[] = [];
  const migrated = source.tables.filter((t) => !t.partitionOf);
  const migratedKeys = new Set(migrated.map((t) => `${t.schema}.${t.name}`));
  const sequencesBecomingAutoIncrement = new Set<string>();

  for (const t of migrated) {
    const q: QualifiedName = { schema: t.schema, name: t.name };
    const tableId = objectId('table', q);
    const tq = ids.table(q);
    const col = (name: string) => ids.column(q, name);
    const pk = new Set(t.primaryKey);
    const checks: CheckConstraint[] = [];
    let autoIncrementTaken = false;
    let autoIncrementIndex: string | undefined;

    const columns: ColumnMapping[] = t.columns.map((c): ColumnMapping => {
      const objectIdCol = `${tableId}.${c.name}`;
      const mapped = mapType({ type: c.type, column: `${t.schema}.${t.name}.${c.name}`, lossless, inKey: pk.has(c.name) });
      warn(objectIdCol, mapped.warning);
      const target: Column = { name: col(c.name), type: mapped.type, native: mapped.native, nullable: c.nullable };
      if (mapped.charset) target.charset = mapped.charset;
      if (mapped.collation) target.collation = mapped.collation;
      if (c.comment) target.comment = c.comment;
      const domain = c.type.kind === 'domain' ? domains.get(qualifiedKey(c.type.type)) : undefined;
      if (domain) {
        if (!domain.nullable) target.nullable = false;
        for (const k of domain.checks) {
          const r = translatePgSql(k.expression, env(target.name));
          if (r.ok) checks.push({ name: ids.constraint(q, `${t.name}_${c.name}_${k.name}`), expression: r.sql });
          else warn(objectIdCol, w('DOMAIN_CHECK_DROPPED', 'warn', `the domain check ${k.name} (${k.expression}) cannot be translated: ${r.reason}`, 'add an equivalent CHECK by hand'));
        }
      }
      // Identity / serial -> AUTO_INCREMENT (one per table, integer, leading a key).
      if (c.identity) {
        const leadsKey = t.primaryKey[0] === c.name || t.indexes.some((i) => !i.where && !i.parts.some((p) => p.column === undefined) && i.parts[0]?.column === c.name);
        if (mapped.type.kind === 'int' && !autoIncrementTaken) {
          // InnoDB wants an AUTO_INCREMENT column to lead an index (a composite PK such as Pagila's partitioned payment does not).
          if (!leadsKey) {
            autoIncrementIndex = c.name;
            warn(objectIdCol, w('AUTO_INCREMENT_INDEX_ADDED', 'info', `an index on ${c.name} is added: MySQL needs the AUTO_INCREMENT column to lead an index`));
          }
          autoIncrementTaken = true;
          target.identity = { kind: 'auto_increment', next: c.identity.next };
          if (c.identity.sequence) sequencesBecomingAutoIncrement.add(qualifiedKey(c.identity.sequence));
          if (c.identity.increment && c.identity.increment !== '1') {
            warn(objectIdCol, w('IDENTITY_INCREMENT', 'warn', `the sequence increments by ${c.identity.increment}; MySQL AUTO_INCREMENT uses auto_increment_increment (server-wide)`));
          }
          if (c.identity.kind === 'always') warn(objectIdCol, w('IDENTITY_ALWAYS', 'info', 'GENERATED ALWAYS becomes AUTO_INCREMENT, which also accepts explicit values'));
        } else {
          warn(objectIdCol, w('IDENTITY_DROPPED', 'warn', `${c.identity.kind} column cannot be AUTO_INCREMENT here (${autoIncrementTaken ? 'MySQL allows one per table' : 'not an integer'}); values are copied, new ones must come from the application`));
        }
      } else if (c.default && mapped.type.kind === 'text' && c.type.kind !== 'text' && c.type.kind !== 'char') {
        warn(objectIdCol, w('DEFAULT_DROPPED', 'warn', `the default ${c.default.kind === 'current_timestamp' ? 'CURRENT_TIMESTAMP' : c.default.sql} builds a ${c.native} value, which the target holds as text: dropped`, 'set the value in the application'));
      } else if (c.default) {
        const d = translateDefault(c.default, target, env());
        if (d.ok) { if (d.value) target.default = d.value; } else warn(objectIdCol, w('DEFAULT_DROPPED', 'warn', `the default ${c.default.kind === 'current_timestamp' ? 'CURRENT_TIMESTAMP' : c.default.sql} cannot be translated: ${d.reason}`, 'set the value in the application or add a default by hand'));
      } else if (domain?.default && !c.identity) {
        const d = translateDefault(domain.default, target, env());
        if (d.ok && d.value) target.default = d.value;
      }
      if (c.generated) {
        const r = translatePgSql(c.generated.expression, env());
        if (r.ok) target.generated = { expression: r.sql, stored: true };
        else warn(objectIdCol, w('GENERATED_AS_DATA', 'warn', `the generated expression cannot be translated (${r.reason}): the column becomes a plain column holding the copied values`, 'add the expression by hand'));
      }
      return { source: c, target, convert: mapped.convert };
    });
    const targetCols = new Map(columns.map((m) => [m.target.name, m.target]));

    // Indexes: unsupported features are dropped with a Warning, never silently.
    const indexes: Index[] = [];
    for (const i of t.indexes) {
      const indexId = objectId('index', q, i.name);
      if (i.primary) continue;
      if (i.parts.some((p) => p.column === undefined)) {
        warn(indexId, w('EXPRESSION_INDEX_DROPPED', 'warn', `the expression index ${i.name} has no MariaDB equivalent and is not created`, 'add a generated column and index it by hand'));
        continue;
      }
      if (i.where && i.unique) {
        warn(indexId, w('PARTIAL_UNIQUE_DROPPED', 'warn', `the partial unique index ${i.name} (WHERE ${i.where}) cannot be kept: MySQL has no partial indexes, and a full unique index would reject valid rows`, 'enforce it in the application or with a trigger'));
        continue;
      }
      if (['gin', 'gist', 'spgist', 'brin'].includes(i.method)) {
        warn(indexId, w('INDEX_METHOD_DROPPED', 'warn', `the ${i.method} index ${i.name} has no MySQL equivalent and is not created`, i.method === 'gin' ? 'create a FULLTEXT index on the text columns instead' : 'create a suitable index by hand'));
        continue;
      }
      if (i.where) warn(indexId, w('PARTIAL_INDEX_FULL', 'warn', `the partial index ${i.name} (WHERE ${i.where}) becomes a full index`));
      if (i.include?.length) warn(indexId, w('INDEX_INCLUDE_DROPPED', 'info', `INCLUDE (${i.include.join(', ')}) of ${i.name} is dropped`));
      indexes.push({ name: ids.constraint(q, i.name), unique: i.unique, primary: false, method: 'btree',
        parts: i.parts.map((p) => ({ column: col(p.column!), descending: p.descending || undefined })).map((p) => (p.descending ? p : { column: p.column })),
        comment: i.comment });
    }
    if (autoIncrementIndex) {
      indexes.push({ name: ids.constraint(q, `${t.name}_${autoIncrementIndex}_auto_increment`), unique: false, primary: false, method: 'btree',
        parts: [{ column: col(autoIncrementIndex) }] });
    }
    fitKeyLengths(t, indexes, targetCols, (id, x) => warn(objectId('index', q, id), x), lossless);

    for (const c of t.checks) {
      const r = translatePgSql(c.expression, env());
      if (r.ok) checks.push({ name: ids.constraint(q, c.name), expression: r.sql });
      else warn(objectId('constraint', q, c.name), w('CHECK_DROPPED', 'warn', `the check ${c.name} (${c.expression}) cannot be translated: ${r.reason}`, 'add an equivalent CHECK by hand'));
    }

    const foreignKeys: ForeignKey[] = [];
    for (const f of t.foreignKeys) {
      const fkId = objectId('foreign_key', q, f.name);
      if (!migratedKeys.has(`${f.references.schema}.${f.references.name}`)) {
        warn(fkId, w('FK_TARGET_MISSING', 'warn', `${f.name} references ${qualifiedKey(f.references)}, which is not migrated (a partition or excluded); it is not created`));
        continue;
      }
      if (f.deferrable) warn(fkId, w('FK_DEFERRABLE', 'warn', `${f.name} is DEFERRABLE; MySQL checks foreign keys immediately`, 'make sure transactions insert parents first'));
      if (f.match === 'FULL') warn(fkId, w('FK_MATCH_FULL', 'info', `${f.name} is MATCH FULL; MySQL uses MATCH SIMPLE`));
      const action = (a: ForeignKey['onDelete'], which: string) => {
        if (a !== 'SET DEFAULT') return a;
        warn(fkId, w('FK_SET_DEFAULT', 'warn', `${f.name} ON ${which} SET DEFAULT is not supported by InnoDB: NO ACTION instead`));
        return 'NO ACTION' as const;
      };
      const renamed = renameForeignKey(f, q, ids);
      foreignKeys.push({ name: renamed.name, columns: renamed.columns, references: renamed.references, referencedColumns: renamed.referencedColumns,
        onDelete: action(f.onDelete, 'DELETE'), onUpdate: action(f.onUpdate, 'UPDATE') });
    }

    const table: Table = {
      schema: tq.schema, name: tq.name, columns: columns.map((m) => m.target), primaryKey: t.primaryKey.map(col),
      primaryKeyName: t.primaryKey.length ? 'PRIMARY' : undefined, indexes, foreignKeys, checks,
      comment: t.comment, engine: 'InnoDB', charset: 'utf8mb4', collation: TABLE_COLLATION,
      estimatedRows: t.estimatedRows, estimatedBytes: t.estimatedBytes,
    };
    if (t.partitioning) {
      warn(tableId, w('PARTITIONS_MERGED', 'warn', `${t.name} is partitioned by ${t.partitioning.method} (${t.partitioning.key}); it becomes one MySQL table holding the rows of all ${t.partitioning.partitions.length} partitions`,
        'add MySQL partitioning by hand if needed (every unique key must include the partition columns)'));
    }
    fitRowSize(table, columns, (x) => warn(tableId, x));
    tables.push(table);
    mappings.push({ source: t, target: table, columns, key: rowKey(t) });
  }
  for (const t of source.tables.filter((x) => x.partitionOf)) {
    warn(objectId('table', t), w('PARTITION_VIA_PARENT', 'info', `partition ${t.name} is migrated through its parent ${qualifiedKey(t.partitionOf!)}`));
  }

  alignForeignKeyTypes(tables);

  // Views: translated where the SQL can be, else carried as manual items.
  const views: View[] = [];
  for (const v of source.views) {
    const vq = ids.table(v);
    const id = objectId('view', v);
    const r = translatePgSql(v.query, env());
    if (!r.ok) {
      warn(id, w('VIEW_MANUAL', 'manual', `the view cannot be translated automatically: ${r.reason}`, 'write the MySQL view by hand (edit the converted DDL)'));
      manual.push({ id: objectId('view', vq), kind: 'view', source: { schema: v.schema, name: v.name }, definition: v.definition ?? v.query, reason: r.reason });
      continue;
    }
    if (v.materialized) warn(id, w('MATVIEW_AS_VIEW', 'warn', 'the materialized view becomes a plain view (MySQL has none): it is computed on every read'));
    views.push({ schema: vq.schema, name: vq.name, query: r.sql, columns: [...v.columns], materialized: false, checkOption: v.checkOption });
  }

  for (const tr of source.triggers) {
    warn(objectId('trigger', tr.table, tr.name), w('TRIGGER_MANUAL', 'manual', `the trigger ${tr.name} on ${tr.table.name} needs manual conversion (PL/pgSQL to MySQL)`, 'rewrite it as a MySQL trigger'));
    // PostgreSQL trigger names are per table (Pagila has one last_updated per table): the id names the table.
    manual.push({ id: objectId('trigger', ids.table(tr.table), tr.name), kind: 'trigger', source: { schema: tr.schema, name: tr.name }, definition: tr.definition, reason: 'PostgreSQL trigger functions are PL/pgSQL' });
  }
  for (const r of source.routines) {
    warn(objectId('routine', r), w('ROUTINE_MANUAL', 'manual', `the ${r.kind} ${r.name} needs manual conversion (${r.language ?? 'PL/pgSQL'} to MySQL)`, 'rewrite it as a MySQL routine'));
    manual.push({ id: objectId('routine', ids.table(r)), kind: 'routine', source: { schema: r.schema, name: r.name }, definition: r.definition, reason: `${r.language ?? 'procedural'} code` });
  }
  for (const t of source.types) {
    if (t.kind === 'composite' || t.kind === 'range' || t.kind === 'other') {
      warn(objectId('type', t), w('TYPE_NOT_CREATED', 'info', `the ${t.kind} type ${t.name} has no MySQL equivalent; columns of this type are copied as text`));
    }
  }

  const sequences: Sequence[] = [];
  for (const s of source.sequences) {
    if (sequencesBecomingAutoIncrement.has(qualifiedKey(s))) continue;
    const sq = ids.table(s);
    const clamp = (v: string, lo: bigint, hi: bigint) => { const n = BigInt(v); return (n < lo ? lo : n > hi ? hi : n).toString(); };
    const min = clamp(s.min, -9223372036854775807n, 9223372036854775806n);
    const max = clamp(s.max, -9223372036854775807n, 9223372036854775806n);
    if (min !== s.min || max !== s.max) warn(objectId('sequence', s), w('SEQUENCE_RANGE', 'info', `MariaDB sequences hold -9223372036854775807..9223372036854775806; the bounds are clamped`));
    if (s.ownedBy) warn(objectId('sequence', s), w('SEQUENCE_STANDALONE', 'info', `${s.name} backs ${s.ownedBy.table.name}.${s.ownedBy.column}, which is not AUTO_INCREMENT; it becomes a MariaDB SEQUENCE`));
    sequences.push({ ...s, schema: sq.schema, name: sq.name, min, max, ownedBy: undefined });
  }

  const namespaces = [...new Set([ctx.options.targetDatabase, ...tables.map((t) => t.schema), ...views.map((v) => v.schema), ...sequences.map((s) => s.schema)])];
  return {
    target: { engine: 'mysql', serverVersion: '', database: ctx.options.targetDatabase, namespaces, tables, views, sequences, types: [],
      routines: [], triggers: [], settings: {} },
    tables: mappings, warnings, manual,
  };
};

/** A PostgreSQL default as a MySQL default for the mapped column; value undefined = no default. */
function translateDefault(d: DefaultValue, target: Column, env: TranslateEnv): { ok: true; value?: DefaultValue } | { ok: false; reason: string } {
  if (d.kind === 'current_timestamp') {
    if (target.type.kind !== 'timestamp') return { ok: false, reason: 'CURRENT_TIMESTAMP on a non-timestamp column' };
    return { ok: true, value: { kind: 'current_timestamp', precision: target.type.precision || undefined } };
  }
  const sql = d.sql.trim();
  if (/^NULL$/i.test(sql)) return { ok: true };
  if (/^(true|false)$/i.test(sql) && target.type.kind === 'int') return { ok: true, value: { kind: 'literal', sql: /^true$/i.test(sql) ? '1' : '0' } };
  const num = /^\(?(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\)?(?:::[\w ]+)?$/.exec(sql);
  if (num && (target.type.kind === 'int' || target.type.kind === 'decimal' || target.type.kind === 'float')) return { ok: true, value: { kind: 'literal', sql: num[1] } };
  const str = /^'((?:[^']|'')*)'(?:::[\w ."[\]()]+)?$/.exec(sql);
  if (str) {
    const value = str[1].replace(/''/g, "'");
    if (target.type.kind === 'int' && target.type.displayWidth === 1 && /^(t|true|f|false)$/.test(value)) return { ok: true, value: { kind: 'literal', sql: /^t/.test(value) ? '1' : '0' } };
    if (/^(-?infinity|now|today)$/i.test(value)) return { ok: false, reason: `the special value '${value}'` };
    return { ok: true, value: { kind: 'literal', sql: `'${value.replace(/'/g, "''")}'` } };
  }
  if (/^(CURRENT_DATE)$/i.test(sql) && target.type.kind === 'date') return { ok: true, value: { kind: 'expression', sql: 'curdate()' } };
  const r = translatePgSql(sql, env);
  return r.ok ? { ok: true, value: { kind: 'expression', sql: r.sql } } : { ok: false, reason: r.reason };
}

/**
 * InnoDB keys are at most 3072 bytes. A non-unique index gets prefix lengths; a unique index that cannot fit
 * becomes MariaDB's hash-based long unique (USING HASH) — exact, but MySQL 8 rejects it.
 */
function fitKeyLengths(t: Table, indexes: Index[], cols: Map<string, Column>, warn: (indexName: string, x: Omit<Warning, 'object'>) => void, _lossless: boolean): void {
  for (const i of indexes) {
    const sizes = i.parts.map((p) => partBytes(cols.get(p.column!)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total <= MAX_KEY_BYTES) continue;
    const sourceName = t.indexes.find((x) => x.name === i.name)?.name ?? i.name;
    if (i.unique) {
      i.method = 'hash';
      warn(sourceName, w('UNIQUE_LONG_KEY', 'warn', `the unique index ${i.name} is longer than InnoDB's 3072-byte key limit: created as MariaDB's long unique (USING HASH)`,
        'on MySQL 8, shorten the columns or drop the unique index'));
      continue;
    }
    const fixed = sizes.filter((s) => s !== Infinity && s <= 256).reduce((a, b) => a + b, 0);
    const longParts = i.parts.filter((_p, k) => sizes[k] === Infinity || sizes[k] > 256);
    const per = Math.max(1, Math.floor((MAX_KEY_BYTES - fixed) / Math.max(1, longParts.length) / 4));
    for (const p of longParts) p.prefixLength = per;
    warn(sourceName, w('INDEX_PREFIXED', 'warn', `the index ${i.name} exceeds InnoDB's 3072-byte key limit: long columns are indexed on their first ${per} characters`));
  }
}

/** MySQL rows hold at most 65535 bytes of non-BLOB columns: the widest varchars become longtext until it fits. */
function fitRowSize(table: Table, columns: ColumnMapping[], warn: (x: Omit<Warning, 'object'>) => void): void {
  const bytes = (c: Column) => (c.type.kind === 'char' ? (c.type.length ?? 0) * (c.charset === 'ascii' ? 1 : 4) + 2 : c.type.kind === 'decimal' ? 30 : 8);
  let total = table.columns.reduce((a, c) => a + bytes(c), 0);
  const keyCols = new Set([...table.primaryKey, ...table.indexes.flatMap((i) => i.parts.map((p) => p.column!)), ...table.foreignKeys.flatMap((f) => f.columns)]);
  const candidates = table.columns.filter((c) => c.type.kind === 'char' && c.type.varying && !keyCols.has(c.name) && (c.type.length ?? 0) > 255)
    .sort((a, b) => bytes(b) - bytes(a));
  for (const c of candidates) {
    if (total <= 65000) break;
    total -= bytes(c) - 12;
    const m = columns.find((x) => x.target === c);
    c.native = 'longtext';
    c.type = { kind: 'text' };
    if (m && c.charset === 'ascii') { delete c.charset; delete c.collation; }
    warn(w('VARCHAR_AS_TEXT', 'info', `${c.name} becomes longtext: the row would exceed MySQL's 65535-byte row size limit`));
  }
}

/** A foreign key column must have the referenced column's exact type on MySQL. */
function alignForeignKeyTypes(tables: Table[]): void {
  for (const t of tables) {
    for (const f of t.foreignKeys) {
      const ref = tables.find((x) => x.schema === f.references.schema && x.name === f.references.name);
      if (!ref) continue;
      f.columns.forEach((name, k) => {
        const c = t.columns.find((x) => x.name === name);
        const r = ref.columns.find((x) => x.name === f.referencedColumns[k]);
        // InnoDB needs equal integer types and equal string types/charsets on both sides; the referenced type
        // holds every value the FK column can hold (each one must exist there).
        if (c && r && (c.native !== r.native || c.charset !== r.charset)) {
          c.native = r.native; c.type = structuredClone(r.type); c.charset = r.charset; c.collation = r.collation;
        }
      });
    }
  }
}
