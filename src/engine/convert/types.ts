// The conversion contract: what the rule sets produce from a source Schema, and what the full load,
// CDC, verify and the diff view consume.
import type { Column, EngineKind, QualifiedName, Schema, Table } from '../model';

/**
 * A value as a source reader yields it: the source's canonical text form (what a SELECT returns in
 * text protocol: MySQL text results, PostgreSQL text output), a Buffer for binary types (MySQL
 * BINARY/VARBINARY/BLOB/BIT and spatial WKB-with-SRID, PostgreSQL bytea), or null.
 */
export type SourceValue = string | Buffer | null;
/** A value in the target's input text form (before COPY / LOAD DATA escaping), a Buffer for binary, or null. */
export type TargetValue = string | Buffer | null;
/** Converts one non-null source value; throws ValueConversionError naming the problem when it cannot. */
export type ValueConverter = (value: string | Buffer) => string | Buffer;

export type WarningLevel = 'info' | 'warn' | 'manual';

export interface Warning {
  /** Stable code, e.g. `UNSIGNED_BIGINT_WIDENED`, `ZERO_DATE`, `TRIGGER_MANUAL`. */
  code: string;
  /** The object id the warning is about (see ConvertedObject.id), plus `.column` where it applies. */
  object: string;
  level: WarningLevel;
  message: string;
  /** What the user can do about it. */
  fix?: string;
}

export interface ConversionOptions {
  /** Widen to a lossless type and warn (default true). When false, values that do not fit fail at copy time. */
  lossless: boolean;
  /** PostgreSQL targets: fold identifiers to lower case where no collision results (default 'lower'). */
  identifierCase: 'lower' | 'preserve';
  /**
   * MySQL->PostgreSQL: the PostgreSQL schema the source database lands in (default 'public').
   * PostgreSQL->MySQL: ignored; PG schema 'public' (or the only schema read) lands in the target
   * database, every other PG schema in a MySQL database named `<targetDatabase>_<schema>` (with a Warning).
   * Same engine: MySQL lands in the target database; PostgreSQL schemas keep their names.
   */
  targetSchema?: string;
  /** The target database name (from the task's target URL). */
  targetDatabase: string;
}

/** Maps source identifiers to target identifiers deterministically (case folding, shortening, collisions). */
export interface IdentifierMap {
  /** The target namespace (PostgreSQL schema / MySQL database) a source namespace lands in. */
  namespace(schema: string): string;
  /** The target name of a schema-level object (table, view, sequence, type, routine) in its namespace. */
  table(source: QualifiedName): QualifiedName;
  /** The target name of a column of a source table. */
  column(table: QualifiedName, column: string): string;
  /** The target name of an index/constraint/FK/trigger; unique per target namespace where the target needs it. */
  constraint(table: QualifiedName, name: string): string;
}

/** How one column travels: the source column, the target column, and the value converter (absent = identity). */
export interface ColumnMapping {
  source: Column;
  target: Column;
  convert?: ValueConverter;
}

/** How one table travels. `key` holds the source column names that identify a row (PK, else a NOT NULL unique key, else empty). */
export interface TableMapping {
  source: Table;
  target: Table;
  columns: ColumnMapping[];
  key: string[];
}

/** The rule sets' result: the target schema in the neutral model (native = target type text), plus the mappings. */
export interface ConvertedSchema {
  target: Schema;
  tables: TableMapping[];
  warnings: Warning[];
  /** Objects that cannot be converted automatically; carried with their original text. */
  manual: { id: string; kind: ObjectKind; source: QualifiedName; definition: string; reason: string }[];
}

/** 'schema': a PostgreSQL schema or a MySQL database created for a source namespace. */
export type ObjectKind = 'schema' | 'type' | 'sequence' | 'table' | 'index' | 'constraint' | 'foreign_key' | 'view' | 'trigger' | 'routine';

/** When an object's DDL runs: before the data, after the data, or last (identity/sequence values). */
export type DdlPhase = 'pre-data' | 'post-data' | 'finalize';

/** One object's DDL as a dialect renders it. */
export interface DdlObject {
  /** `kind:schema.name` for schema-level objects, `kind:schema.table.name` for indexes/constraints/FKs. */
  id: string;
  kind: ObjectKind;
  phase: DdlPhase;
  /** The statements, each without a trailing semicolon. */
  statements: string[];
  /** Ids of objects that must exist first (types before tables, tables before FKs and views). */
  dependsOn: string[];
}

/** What a dialect's ddl.ts offers. */
export interface DdlRenderer {
  engine: EngineKind;
  quoteIdent(name: string): string;
  quoteQualified(name: QualifiedName): string;
  /** Every object of the schema, in dependency order within each phase. */
  renderSchema(schema: Schema): DdlObject[];
}

/** One row of the conversion report (CLI output, the diff view, overrides). */
export interface ConvertedObject {
  id: string;
  kind: ObjectKind;
  phase: DdlPhase;
  /** Source definition text (the source dialect's rendering or the catalog's own text). */
  sourceDdl: string;
  /** Generated target DDL (statements joined with `;\n`). */
  generatedDdl: string;
  /** What will be applied: the override when there is one, else the generated DDL. */
  targetDdl: string;
  overridden: boolean;
  manual: boolean;
  warnings: Warning[];
  dependsOn: string[];
}

export interface ConversionReport {
  sourceEngine: EngineKind;
  targetEngine: EngineKind;
  objects: ConvertedObject[];
  warnings: Warning[];
}

export function objectId(kind: ObjectKind, name: QualifiedName, sub?: string): string {
  return sub === undefined ? `${kind}:${name.schema}.${name.name}` : `${kind}:${name.schema}.${name.name}.${sub}`;
}
