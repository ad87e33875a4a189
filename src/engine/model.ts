// The neutral schema model: what introspection produces and DDL rendering consumes, for every engine.

export type EngineKind = 'mysql' | 'postgres';

/** A schema-qualified name. On MySQL/MariaDB `schema` is the database name. */
export interface QualifiedName {
  schema: string;
  name: string;
}

/**
 * The engine-independent column type. Introspection fills it from the source's catalog; conversion
 * rules read it to choose the target type. `native` on Column keeps the exact source text.
 */
export type ColumnType =
  | { kind: 'int'; bytes: 1 | 2 | 3 | 4 | 8; unsigned: boolean; displayWidth?: number }
  | { kind: 'decimal'; precision?: number; scale?: number; unsigned?: boolean }
  | { kind: 'float'; bytes: 4 | 8; unsigned?: boolean }
  | { kind: 'bool' }
  | { kind: 'bit'; length: number; varying: boolean }
  /** char/varchar; length in characters, absent = unbounded (PostgreSQL varchar without length). */
  | { kind: 'char'; length?: number; varying: boolean }
  /** text types; maxBytes from MySQL's tinytext/text/mediumtext/longtext, absent = unbounded. */
  | { kind: 'text'; maxBytes?: number }
  /** binary/varbinary/blob/bytea; blob=true for the BLOB family and bytea. */
  | { kind: 'binary'; length?: number; varying: boolean; blob: boolean; maxBytes?: number }
  | { kind: 'date' }
  /** time of day; MySQL TIME is an interval-like -838:59:59..838:59:59, flagged by mysqlTime. */
  | { kind: 'time'; precision?: number; tz: boolean; mysqlTime?: boolean }
  /** datetime/timestamp; tz=true for PostgreSQL timestamptz and MySQL TIMESTAMP (stored in UTC). */
  | { kind: 'timestamp'; precision?: number; tz: boolean; mysqlTimestamp?: boolean }
  | { kind: 'year' }
  | { kind: 'interval'; fields?: string; precision?: number }
  /** enum; `type` names the PostgreSQL enum type, absent for MySQL inline enums. */
  | { kind: 'enum'; values: string[]; type?: QualifiedName }
  | { kind: 'set'; values: string[] }
  | { kind: 'json'; binary: boolean }
  | { kind: 'uuid' }
  | { kind: 'inet' }
  | { kind: 'cidr' }
  | { kind: 'macaddr'; bytes: 6 | 8 }
  | { kind: 'money' }
  | { kind: 'spatial'; subtype: string; srid?: number }
  | { kind: 'array'; element: ColumnType; dims: number }
  | { kind: 'domain'; type: QualifiedName; base: ColumnType }
  | { kind: 'tsvector' }
  | { kind: 'xml' }
  /** Anything without a neutral meaning; conversion raises a Warning for it. */
  | { kind: 'other'; native: string };

export type DefaultValue =
  /** A constant, as the SQL literal text of the source (e.g. `'abc'`, `0`, `b'101'`). */
  | { kind: 'literal'; sql: string }
  /** CURRENT_TIMESTAMP / now() and friends, normalised; `precision` for CURRENT_TIMESTAMP(6). */
  | { kind: 'current_timestamp'; precision?: number }
  /** Any other expression, in the source's SQL dialect. */
  | { kind: 'expression'; sql: string };

export interface Identity {
  /** auto_increment (MySQL), identity always/by default (PostgreSQL), serial (PG: default nextval of an owned sequence). */
  kind: 'auto_increment' | 'always' | 'by_default' | 'serial';
  /** The value the next insert would receive, as a decimal string (may exceed 2^53). */
  next: string;
  /** PostgreSQL: the backing sequence. */
  sequence?: QualifiedName;
  increment?: string;
}

export interface Column {
  name: string;
  type: ColumnType;
  /** The exact type text on the source, e.g. `bigint(20) unsigned`, `character varying(30)[]`. */
  native: string;
  nullable: boolean;
  default?: DefaultValue;
  identity?: Identity;
  generated?: { expression: string; stored: boolean };
  /** MySQL `ON UPDATE CURRENT_TIMESTAMP`. */
  onUpdateCurrentTimestamp?: boolean;
  comment?: string;
  charset?: string;
  collation?: string;
}

export interface IndexPart {
  /** A column name, or absent for an expression part. */
  column?: string;
  /** Expression text in the source dialect, when the part is not a plain column. */
  expression?: string;
  /** MySQL prefix length (characters). */
  prefixLength?: number;
  descending?: boolean;
  /** PostgreSQL: NULLS FIRST/LAST when not the default for the direction (ASC: last, DESC: first). */
  nulls?: 'first' | 'last';
  /** PostgreSQL operator class, when not the default. */
  opclass?: string;
}

export interface Index {
  name: string;
  unique: boolean;
  primary: boolean;
  /** btree, hash, gin, gist, brin, spgist (PG); BTREE, HASH, FULLTEXT, SPATIAL (MySQL) — lower case. */
  method: string;
  parts: IndexPart[];
  /** PostgreSQL partial index predicate. */
  where?: string;
  /** PostgreSQL INCLUDE columns. */
  include?: string[];
  comment?: string;
  /** The source's own definition text (pg_get_indexdef / SHOW CREATE TABLE line), for the report. */
  definition?: string;
}

export type ReferentialAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

export interface ForeignKey {
  name: string;
  columns: string[];
  references: QualifiedName;
  referencedColumns: string[];
  onUpdate: ReferentialAction;
  onDelete: ReferentialAction;
  match?: 'SIMPLE' | 'FULL' | 'PARTIAL';
  deferrable?: boolean;
  initiallyDeferred?: boolean;
}

export interface CheckConstraint {
  name: string;
  /** The boolean expression, in the source dialect, without the CHECK keyword. */
  expression: string;
}

export interface Partitioning {
  /** range, list, hash, key (MySQL). */
  method: 'range' | 'list' | 'hash' | 'key';
  /** Key expression text (column list or expression) in the source dialect. */
  key: string;
  columns: string[];
  partitions: { name: string; bound: string; table?: QualifiedName }[];
}

export interface Table {
  schema: string;
  name: string;
  columns: Column[];
  /** Primary key column names in key order; empty when the table has none. */
  primaryKey: string[];
  primaryKeyName?: string;
  /** Every index except the primary key, unique ones included. */
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checks: CheckConstraint[];
  comment?: string;
  /** MySQL table options. */
  engine?: string;
  charset?: string;
  collation?: string;
  partitioning?: Partitioning;
  /** PostgreSQL: this table is a partition of another (it is migrated through its parent). */
  partitionOf?: QualifiedName;
  /** Estimated rows and bytes from the catalog (for planning and pre-check). */
  estimatedRows: number;
  estimatedBytes: number;
  /** The source's full CREATE statement text, for the conversion report. */
  definition?: string;
}

export interface View {
  schema: string;
  name: string;
  /** The SELECT text in the source dialect. */
  query: string;
  columns: string[];
  materialized: boolean;
  checkOption?: string;
  definition?: string;
}

export interface Sequence {
  schema: string;
  name: string;
  dataType: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cycle: boolean;
  /** The next value nextval() would return, as a decimal string. */
  next: string;
  /** Owning column, when the sequence backs a serial/identity column. */
  ownedBy?: { table: QualifiedName; column: string };
}

export type UserType =
  | { kind: 'enum'; schema: string; name: string; values: string[] }
  | { kind: 'domain'; schema: string; name: string; base: ColumnType; baseNative: string; nullable: boolean;
      default?: DefaultValue; checks: CheckConstraint[] }
  | { kind: 'composite' | 'range' | 'other'; schema: string; name: string; definition: string };

export interface Routine {
  schema: string;
  name: string;
  kind: 'function' | 'procedure' | 'aggregate';
  /** Full original text (CREATE FUNCTION …), carried as-is for manual conversion. */
  definition: string;
  language?: string;
}

export interface Trigger {
  schema: string;
  name: string;
  table: QualifiedName;
  timing: string;
  events: string[];
  definition: string;
}

export interface Schema {
  engine: EngineKind;
  /** Server version string, e.g. `10.11.6-MariaDB` or `15.5`. */
  serverVersion: string;
  /** The database the schema was read from. */
  database: string;
  /** MySQL: [database]. PostgreSQL: the schemas that were read (user schemas only). */
  namespaces: string[];
  tables: Table[];
  views: View[];
  sequences: Sequence[];
  types: UserType[];
  routines: Routine[];
  triggers: Trigger[];
  /** Server-wide facts conversion needs (time zone, lower_case_table_names, default charset). */
  settings: Record<string, string>;
}

export function qualifiedKey(q: QualifiedName): string {
  return `${q.schema}.${q.name}`;
}

export function findTable(schema: Schema, q: QualifiedName): Table | undefined {
  return schema.tables.find((t) => t.schema === q.schema && t.name === q.name);
}
