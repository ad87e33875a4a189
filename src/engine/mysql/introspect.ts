// Reads a MySQL/MariaDB database's schema into the neutral model: information_schema queries batched per
// object kind, plus SHOW CREATE for the definitions and the values only it reports exactly.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type {
  CheckConstraint, Column, ColumnType, DefaultValue, ForeignKey, Index, Partitioning, ReferentialAction, Routine,
  Schema, Sequence, Table, Trigger, View,
} from '../model';
import { FerryError, asFerryError } from '../errors';
import { quoteMysqlIdent } from './connect';

type Row = Record<string, unknown>;
export type IntrospectFilter = (schema: string, name: string) => boolean;

/** The database where Ferry keeps its own state on a target; never part of a migration. */
const META_DATABASE = 'ferry_meta';

async function rows(conn: Connection, sql: string, params: unknown[] = []): Promise<Row[]> {
  try {
    const [result] = await conn.query<RowDataPacket[]>(sql, params);
    // information_schema column names come back upper or lower case depending on server and version.
    return (result as Row[]).map(upperKeys);
  } catch (err) {
    throw asFerryError(err, `reading the schema (${sql.split(/\s+/).slice(0, 4).join(' ')} …)`);
  }
}

function upperKeys(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k.toUpperCase()] = v;
  return out;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

function optStr(v: unknown): string | undefined {
  const s = str(v);
  return v === null || v === undefined ? undefined : s;
}

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * Reads one MySQL/MariaDB database. `filter` keeps only the tables/views/sequences/routines it accepts
 * (triggers follow their table). The `ferry_meta` database is never read.
 */
export async function introspectMysql(conn: Connection, database: string, filter?: IntrospectFilter): Promise<Schema> {
  const keep = (name: string) => database !== META_DATABASE && (filter ? filter(database, name) : true);
  const [server] = await rows(conn,
    `SELECT VERSION() AS V, @@lower_case_table_names AS LCTN, @@character_set_server AS CS, @@collation_server AS CO,
            @@time_zone AS TZ, @@system_time_zone AS STZ, @@sql_mode AS SM, @@version_comment AS VC`);
  const [db] = await rows(conn,
    'SELECT DEFAULT_CHARACTER_SET_NAME AS CS, DEFAULT_COLLATION_NAME AS CO FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
  if (!db) {
    throw new FerryError('DATABASE_NOT_FOUND', `database "${database}" does not exist on the MySQL/MariaDB server`,
      { fix: 'fix the database name in the task URL, or create the database' });
  }
  const version = str(server.V);
  const mariadb = /mariadb/i.test(version) || /mariadb/i.test(str(server.VC));
  const settings: Record<string, string> = {
    flavor: mariadb ? 'mariadb' : 'mysql',
    lower_case_table_names: str(server.LCTN),
    character_set_server: str(server.CS),
    collation_server: str(server.CO),
    time_zone: str(server.TZ),
    system_time_zone: str(server.STZ),
    sql_mode: str(server.SM),
    database_charset: str(db.CS),
    database_collation: str(db.CO),
  };

  const charsetOf = new Map<string, string>();
  for (const r of await rows(conn, 'SELECT COLLATION_NAME AS CO, CHARACTER_SET_NAME AS CS FROM information_schema.COLLATIONS')) {
    charsetOf.set(str(r.CO), str(r.CS));
  }

  const tableRows = (await rows(conn,
    `SELECT TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, AUTO_INCREMENT, TABLE_COLLATION,
            TABLE_COMMENT, CREATE_OPTIONS
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [database]))
    .filter((r) => keep(str(r.TABLE_NAME)));

  const columnsByTable = groupBy(await rows(conn,
    `SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, [database]),
  (r) => str(r.TABLE_NAME));
  const statsByTable = groupBy(await rows(conn,
    `SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, [database]),
  (r) => str(r.TABLE_NAME));
  const fkRows = await rows(conn,
    `SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.ORDINAL_POSITION, k.REFERENCED_TABLE_SCHEMA,
            k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE, r.MATCH_OPTION
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`, [database]);
  const fksByTable = groupBy(fkRows, (r) => str(r.TABLE_NAME));
  const checksByTable = groupBy(await readChecks(conn, database), (r) => str(r.TABLE_NAME));
  const partitionsByTable = groupBy(await rows(conn,
    `SELECT TABLE_NAME, PARTITION_NAME, PARTITION_METHOD, PARTITION_EXPRESSION, PARTITION_DESCRIPTION, PARTITION_ORDINAL_POSITION
       FROM information_schema.PARTITIONS
      WHERE TABLE_SCHEMA = ? AND PARTITION_NAME IS NOT NULL AND (SUBPARTITION_ORDINAL_POSITION IS NULL OR SUBPARTITION_ORDINAL_POSITION = 1)
      ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION`, [database]), (r) => str(r.TABLE_NAME));

  const tables: Table[] = [];
  const views: View[] = [];
  const sequences: Sequence[] = [];
  const viewRows = new Map<string, Row>();
  for (const r of await rows(conn,
    'SELECT TABLE_NAME, VIEW_DEFINITION, CHECK_OPTION, SECURITY_TYPE FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [database])) {
    viewRows.set(str(r.TABLE_NAME), r);
  }

  for (const tr of tableRows) {
    const name = str(tr.TABLE_NAME);
    const type = str(tr.TABLE_TYPE);
    if (type === 'VIEW') {
      const vr = viewRows.get(name);
      const definition = await showCreate(conn, 'VIEW', database, name, 'Create View');
      const checkOption = str(vr?.CHECK_OPTION);
      views.push({
        schema: database, name,
        query: normalizeMysqlLiterals(vr ? str(vr.VIEW_DEFINITION) : viewQueryFromDefinition(definition)),
        columns: (columnsByTable.get(name) ?? []).map((c) => str(c.COLUMN_NAME)),
        materialized: false,
        checkOption: checkOption && checkOption !== 'NONE' ? checkOption : undefined,
        definition,
      });
      continue;
    }
    if (type === 'SEQUENCE') {
      sequences.push(await readSequence(conn, database, name));
      continue;
    }
    const definition = await showCreate(conn, 'TABLE', database, name, 'Create Table');
    const tableCollation = optStr(tr.TABLE_COLLATION);
    const checks = checksByTable.get(name) ?? [];
    const columns = (columnsByTable.get(name) ?? []).map((c) => readColumn(c, mariadb, checks));
    // Column-level CHECK (json_valid(col)) is how MariaDB spells JSON; it is part of the type, not a constraint.
    const jsonColumns = new Set(columns.filter((c) => c.type.kind === 'json' && c.native === 'json').map((c) => c.name));
    const aiColumn = columns.find((c) => c.identity);
    if (aiColumn?.identity) {
      // information_schema.TABLES.AUTO_INCREMENT may be cached (MySQL 8 information_schema_stats_expiry);
      // SHOW CREATE TABLE reports the live counter.
      const m = / AUTO_INCREMENT=(\d+)/.exec(definition.slice(definition.lastIndexOf(')')));
      aiColumn.identity.next = m ? m[1] : str(tr.AUTO_INCREMENT) || '1';
    }
    const { primaryKey, indexes } = readIndexes(statsByTable.get(name) ?? []);
    tables.push({
      schema: database, name, columns,
      primaryKey,
      primaryKeyName: primaryKey.length > 0 ? 'PRIMARY' : undefined,
      indexes,
      foreignKeys: readForeignKeys(fksByTable.get(name) ?? []),
      checks: checks
        .filter((c) => !(str(c.LEVEL) === 'Column' && jsonColumns.has(str(c.CONSTRAINT_NAME)) && isJsonValidCheck(str(c.CHECK_CLAUSE), str(c.CONSTRAINT_NAME))))
        .map((c): CheckConstraint => ({ name: str(c.CONSTRAINT_NAME), expression: normalizeMysqlLiterals(str(c.CHECK_CLAUSE)) })),
      comment: str(tr.TABLE_COMMENT) || undefined,
      engine: optStr(tr.ENGINE),
      collation: tableCollation,
      charset: tableCollation ? charsetOf.get(tableCollation) : undefined,
      partitioning: readPartitioning(partitionsByTable.get(name) ?? []),
      estimatedRows: num(tr.TABLE_ROWS),
      estimatedBytes: num(tr.DATA_LENGTH) + num(tr.INDEX_LENGTH),
      definition,
    });
  }

  const triggers: Trigger[] = [];
  for (const r of await rows(conn,
    `SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING
       FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
  [database])) {
    const table = str(r.EVENT_OBJECT_TABLE);
    if (!keep(table)) continue;
    const name = str(r.TRIGGER_NAME);
    triggers.push({
      schema: database, name, table: { schema: database, name: table },
      timing: str(r.ACTION_TIMING), events: [str(r.EVENT_MANIPULATION)],
      definition: await showCreate(conn, 'TRIGGER', database, name, 'SQL Original Statement'),
    });
  }

  const routines: Routine[] = [];
  for (const r of await rows(conn,
    `SELECT ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_TYPE, ROUTINE_NAME`, [database])) {
    const name = str(r.ROUTINE_NAME);
    if (!keep(name)) continue;
    const kind = str(r.ROUTINE_TYPE) === 'FUNCTION' ? 'function' : 'procedure';
    let definition: string;
    try {
      definition = await showCreate(conn, kind === 'function' ? 'FUNCTION' : 'PROCEDURE', database, name,
        kind === 'function' ? 'Create Function' : 'Create Procedure');
    } catch {
      definition = '';
    }
    // SHOW CREATE returns NULL text without the privilege to see the body; the catalog body is the fallback.
    if (!definition) definition = str(r.ROUTINE_DEFINITION);
    routines.push({ schema: database, name, kind, definition, language: 'SQL' });
  }

  return {
    engine: 'mysql', serverVersion: version, database, namespaces: [database],
    tables, views, sequences, types: [], routines, triggers, settings,
  };
}

function groupBy(list: Row[], key: (r: Row) => string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of list) {
    const k = key(r);
    const arr = out.get(k);
    if (arr) arr.push(r); else out.set(k, [r]);
  }
  return out;
}

async function showCreate(conn: Connection, kind: string, database: string, name: string, field: string): Promise<string> {
  const [r] = await rows(conn, `SHOW CREATE ${kind} ${quoteMysqlIdent(database)}.${quoteMysqlIdent(name)}`);
  return str(r?.[field.toUpperCase()]);
}

/** The SELECT of a `CREATE … VIEW x AS select …` text (used when information_schema.VIEWS hides it). */
function viewQueryFromDefinition(definition: string): string {
  const m = /\bVIEW\s+(?:`(?:[^`]|``)*`\.)?`(?:[^`]|``)*`(?:\s*\([^)]*\))?\s+AS\s+([\s\S]*)$/i.exec(definition);
  return m ? m[1].replace(/\s+WITH\s+(?:CASCADED\s+|LOCAL\s+)?CHECK\s+OPTION\s*$/i, '') : definition;
}

/** CHECK constraints: MariaDB's CHECK_CONSTRAINTS has TABLE_NAME and LEVEL; MySQL 8 needs TABLE_CONSTRAINTS for the table. */
async function readChecks(conn: Connection, database: string): Promise<Row[]> {
  try {
    const [result] = await conn.query<RowDataPacket[]>(
      `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL FROM information_schema.CHECK_CONSTRAINTS
        WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`, [database]);
    return (result as Row[]).map(upperKeys);
  } catch {
    try {
      return await rows(conn,
        `SELECT t.TABLE_NAME, c.CONSTRAINT_NAME, c.CHECK_CLAUSE, 'Table' AS LEVEL
           FROM information_schema.TABLE_CONSTRAINTS t
           JOIN information_schema.CHECK_CONSTRAINTS c ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME
          WHERE t.TABLE_SCHEMA = ? AND t.CONSTRAINT_TYPE = 'CHECK' ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME`, [database]);
    } catch {
      // MySQL before 8.0.16 and MariaDB before 10.2 have no CHECK_CONSTRAINTS (and do not enforce checks).
      return [];
    }
  }
}

function isJsonValidCheck(clause: string, column: string): boolean {
  return clause.replace(/\s+/g, '').toLowerCase() === `json_valid(${quoteMysqlIdent(column)})`.toLowerCase();
}

const INT_BYTES: Record<string, 1 | 2 | 3 | 4 | 8> = { tinyint: 1, smallint: 2, mediumint: 3, int: 4, integer: 4, bigint: 8 };
const TEXT_BYTES: Record<string, number> = { tinytext: 255, text: 65535, mediumtext: 16777215, longtext: 4294967295 };
const BLOB_BYTES: Record<string, number> = { tinyblob: 255, blob: 65535, mediumblob: 16777215, longblob: 4294967295 };
const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon',
  'geometrycollection', 'geomcollection']);

/** The neutral type of a column from DATA_TYPE and COLUMN_TYPE. */
export function mysqlColumnType(dataType: string, columnType: string, info: { charMaxLength?: number; datetimePrecision?: number } = {}): ColumnType {
  const dt = dataType.toLowerCase();
  const ct = columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(ct);
  const args = /^[a-z0-9_ ]+\(([^)]*)\)/.exec(ct)?.[1];
  const firstArg = args !== undefined && /^\d+/.test(args) ? Number(/^\d+/.exec(args)![0]) : undefined;
  if (dt in INT_BYTES) return { kind: 'int', bytes: INT_BYTES[dt], unsigned, displayWidth: firstArg };
  if (dt === 'decimal' || dt === 'numeric') {
    const [p, s] = (args ?? '10,0').split(',').map((x) => Number(x.trim()));
    return { kind: 'decimal', precision: p, scale: s ?? 0, unsigned };
  }
  if (dt === 'float') return { kind: 'float', bytes: 4, unsigned };
  if (dt === 'double' || dt === 'real' || dt === 'double precision') return { kind: 'float', bytes: 8, unsigned };
  if (dt === 'bit') return { kind: 'bit', length: firstArg ?? 1, varying: false };
  if (dt === 'char' || dt === 'varchar') return { kind: 'char', length: info.charMaxLength ?? firstArg, varying: dt === 'varchar' };
  if (dt in TEXT_BYTES) return { kind: 'text', maxBytes: TEXT_BYTES[dt] };
  if (dt === 'binary' || dt === 'varbinary') return { kind: 'binary', length: firstArg, varying: dt === 'varbinary', blob: false };
  if (dt in BLOB_BYTES) return { kind: 'binary', varying: true, blob: true, maxBytes: BLOB_BYTES[dt] };
  if (dt === 'date') return { kind: 'date' };
  if (dt === 'time') return { kind: 'time', precision: info.datetimePrecision ?? firstArg ?? 0, tz: false, mysqlTime: true };
  if (dt === 'datetime') return { kind: 'timestamp', precision: info.datetimePrecision ?? firstArg ?? 0, tz: false };
  if (dt === 'timestamp') return { kind: 'timestamp', precision: info.datetimePrecision ?? firstArg ?? 0, tz: true, mysqlTimestamp: true };
  if (dt === 'year') return { kind: 'year' };
  if (dt === 'enum') return { kind: 'enum', values: parseEnumValues(columnType) };
  if (dt === 'set') return { kind: 'set', values: parseEnumValues(columnType) };
  if (dt === 'json') return { kind: 'json', binary: true };
  if (dt === 'uuid') return { kind: 'uuid' };
  if (dt === 'inet6' || dt === 'inet4') return { kind: 'inet' };
  if (SPATIAL.has(dt)) return { kind: 'spatial', subtype: dt === 'geomcollection' ? 'geometrycollection' : dt };
  return { kind: 'other', native: columnType };
}

/**
 * The values of `enum('a','it''s','x,y')` / `set(…)` as the server prints COLUMN_TYPE: quotes doubled,
 * backslash escapes (\\, \n, \0 …) as MariaDB writes them; commas inside quotes belong to the value.
 */
export function parseEnumValues(columnType: string): string[] {
  const open = columnType.indexOf('(');
  const values: string[] = [];
  let i = open + 1;
  while (i < columnType.length) {
    while (i < columnType.length && /[\s,]/.test(columnType[i])) i++;
    if (columnType[i] !== "'") break;
    const { value, end } = readQuoted(columnType, i);
    values.push(value);
    i = end;
  }
  return values;
}

const BACKSLASH_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', 0: '\0', b: '\b', Z: '\x1a' };

/** Reads a '…' literal starting at `start` in MySQL's escaped form; returns the value and the index after it. */
export function readQuoted(text: string, start: number, quote = "'"): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      const next = text[i + 1];
      value += BACKSLASH_ESCAPES[next] ?? next;
      i += 2;
    } else if (ch === quote) {
      if (text[i + 1] === quote) { value += quote; i += 2; } else { return { value, end: i + 1 }; }
    } else {
      value += ch;
      i++;
    }
  }
  return { value, end: i };
}

/**
 * Rewrites the string literals of a catalog expression (CHECK_CLAUSE, GENERATION_EXPRESSION, VIEW_DEFINITION,
 * expression defaults) from the backslash-escaped form MariaDB/MySQL print them in, whatever the session's
 * sql_mode, to the standard form ('' for a quote, backslash literal) that Ferry's NO_BACKSLASH_ESCAPES
 * sessions read back exactly. Identifiers in backticks are left as they are.
 */
export function normalizeMysqlLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === '`') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '`' && sql[j + 1] !== '`')) j += sql[j] === '`' ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "'" || ch === '"') {
      const { value, end } = readQuoted(sql, i, ch);
      out += standardLiteral(value);
      i = end;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** A string as a standard SQL literal (quotes doubled, backslash literal): the form the model's literal defaults use. */
export function standardLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A column's COLUMN_DEFAULT as the model's DefaultValue. MariaDB 10.2.7+ writes literals quoted ('abc',
 * with '' and backslash escapes), numbers and b'…' bare, SQL NULL as the text NULL, expressions unquoted;
 * MySQL writes the bare value and flags expressions with DEFAULT_GENERATED in EXTRA.
 */
export function parseColumnDefault(raw: unknown, extra: string, type: ColumnType, mariadb: boolean): DefaultValue | undefined {
  if (raw === null || raw === undefined) return undefined;
  const text = str(raw);
  const currentTs = /^current_timestamp(?:\((\d*)\))?$/i.exec(text.trim());
  if (currentTs) {
    const p = currentTs[1] ? Number(currentTs[1]) : undefined;
    return p ? { kind: 'current_timestamp', precision: p } : { kind: 'current_timestamp' };
  }
  if (/^(now|localtime|localtimestamp)\((\d*)\)$/i.test(text.trim())) {
    const p = Number(/\((\d*)\)/.exec(text)![1] || 0);
    return p ? { kind: 'current_timestamp', precision: p } : { kind: 'current_timestamp' };
  }
  if (mariadb) {
    if (text === 'NULL') return undefined;
    if (text.startsWith("'")) {
      const { value, end } = readQuoted(text, 0);
      if (end === text.length) return { kind: 'literal', sql: standardLiteral(value) };
    }
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) || /^b'[01]*'$/i.test(text) || /^0x[0-9a-f]*$/i.test(text)) {
      return { kind: 'literal', sql: text };
    }
    return { kind: 'expression', sql: normalizeMysqlLiterals(text) };
  }
  if (/DEFAULT_GENERATED/i.test(extra)) return { kind: 'expression', sql: normalizeMysqlLiterals(text) };
  const numeric = type.kind === 'int' || type.kind === 'decimal' || type.kind === 'float' || type.kind === 'year';
  if (numeric && /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return { kind: 'literal', sql: text };
  if (type.kind === 'bit' && /^b'[01]*'$/i.test(text)) return { kind: 'literal', sql: text };
  return { kind: 'literal', sql: standardLiteral(text) };
}

function readColumn(c: Row, mariadb: boolean, checks: Row[]): Column {
  const name = str(c.COLUMN_NAME);
  const dataType = str(c.DATA_TYPE);
  const columnType = str(c.COLUMN_TYPE);
  const extra = str(c.EXTRA);
  let type = mysqlColumnType(dataType, columnType, {
    charMaxLength: c.CHARACTER_MAXIMUM_LENGTH === null || c.CHARACTER_MAXIMUM_LENGTH === undefined ? undefined : num(c.CHARACTER_MAXIMUM_LENGTH),
    datetimePrecision: c.DATETIME_PRECISION === null || c.DATETIME_PRECISION === undefined ? undefined : num(c.DATETIME_PRECISION),
  });
  let native = columnType;
  if (mariadb && dataType.toLowerCase() === 'longtext'
    && checks.some((k) => str(k.LEVEL) === 'Column' && str(k.CONSTRAINT_NAME) === name && isJsonValidCheck(str(k.CHECK_CLAUSE), name))) {
    // MariaDB's JSON is LONGTEXT + CHECK (json_valid(col)); `json` re-creates exactly that.
    type = { kind: 'json', binary: false };
    native = 'json';
  }
  const generatedExpr = optStr(c.GENERATION_EXPRESSION);
  const generated = /GENERATED|VIRTUAL|PERSISTENT|STORED/i.test(extra) && generatedExpr
    ? { expression: normalizeMysqlLiterals(generatedExpr), stored: /STORED|PERSISTENT/i.test(extra) } : undefined;
  const col: Column = {
    name, type, native,
    nullable: str(c.IS_NULLABLE) === 'YES',
  };
  if (!generated) {
    const def = parseColumnDefault(c.COLUMN_DEFAULT, extra, type, mariadb);
    if (def) col.default = def;
  } else {
    col.generated = generated;
  }
  if (/auto_increment/i.test(extra)) col.identity = { kind: 'auto_increment', next: '1' };
  if (/on update (current_timestamp|now)/i.test(extra)) col.onUpdateCurrentTimestamp = true;
  const comment = str(c.COLUMN_COMMENT);
  if (comment) col.comment = comment;
  if (c.CHARACTER_SET_NAME && type.kind !== 'json') col.charset = str(c.CHARACTER_SET_NAME);
  if (c.COLLATION_NAME && type.kind !== 'json') col.collation = str(c.COLLATION_NAME);
  if (type.kind === 'spatial' && c.SRS_ID !== undefined && c.SRS_ID !== null) type.srid = num(c.SRS_ID);
  return col;
}

function readIndexes(stats: Row[]): { primaryKey: string[]; indexes: Index[] } {
  const byName = groupBy(stats, (r) => str(r.INDEX_NAME));
  let primaryKey: string[] = [];
  const indexes: Index[] = [];
  for (const [name, parts] of byName) {
    parts.sort((a, b) => num(a.SEQ_IN_INDEX) - num(b.SEQ_IN_INDEX));
    if (name === 'PRIMARY') {
      primaryKey = parts.map((p) => str(p.COLUMN_NAME));
      continue;
    }
    const method = str(parts[0].INDEX_TYPE).toLowerCase() || 'btree';
    const comment = str(parts[0].INDEX_COMMENT);
    indexes.push({
      name,
      unique: num(parts[0].NON_UNIQUE) === 0,
      primary: false,
      method,
      parts: parts.map((p) => {
        const expression = optStr(p.EXPRESSION);
        const part: Index['parts'][number] = expression ? { expression } : { column: str(p.COLUMN_NAME) };
        if (p.SUB_PART !== null && p.SUB_PART !== undefined && method !== 'fulltext' && method !== 'spatial') part.prefixLength = num(p.SUB_PART);
        if (str(p.COLLATION) === 'D') part.descending = true;
        return part;
      }),
      comment: comment || undefined,
    });
  }
  return { primaryKey, indexes };
}

const ACTIONS = new Set<ReferentialAction>(['NO ACTION', 'RESTRICT', 'CASCADE', 'SET NULL', 'SET DEFAULT']);

function action(v: unknown): ReferentialAction {
  const a = str(v).toUpperCase() as ReferentialAction;
  return ACTIONS.has(a) ? a : 'RESTRICT';
}

function readForeignKeys(list: Row[]): ForeignKey[] {
  const byName = groupBy(list, (r) => str(r.CONSTRAINT_NAME));
  return [...byName.entries()].map(([name, parts]) => {
    parts.sort((a, b) => num(a.ORDINAL_POSITION) - num(b.ORDINAL_POSITION));
    return {
      name,
      columns: parts.map((p) => str(p.COLUMN_NAME)),
      references: { schema: str(parts[0].REFERENCED_TABLE_SCHEMA), name: str(parts[0].REFERENCED_TABLE_NAME) },
      referencedColumns: parts.map((p) => str(p.REFERENCED_COLUMN_NAME)),
      onUpdate: action(parts[0].UPDATE_RULE),
      onDelete: action(parts[0].DELETE_RULE),
    };
  });
}

/**
 * Partitioning from information_schema.PARTITIONS. For RANGE/LIST COLUMNS and KEY, `key` is the quoted
 * column list and `columns` names them; for expression partitioning `columns` is empty unless the
 * expression is a single column. Bounds are the server's own text (`MAXVALUE`, `1,2,3`).
 */
function readPartitioning(parts: Row[]): Partitioning | undefined {
  if (parts.length === 0) return undefined;
  const rawMethod = str(parts[0].PARTITION_METHOD).toUpperCase();
  const method: Partitioning['method'] = rawMethod.includes('RANGE') ? 'range' : rawMethod.includes('LIST') ? 'list'
    : rawMethod.includes('KEY') ? 'key' : 'hash';
  const expr = str(parts[0].PARTITION_EXPRESSION);
  const columnList = /COLUMNS|KEY/.test(rawMethod);
  const names = splitIdentList(expr);
  return {
    method,
    key: columnList ? names.map(quoteMysqlIdent).join(',') : expr,
    columns: names,
    partitions: parts.map((p) => ({ name: str(p.PARTITION_NAME), bound: str(p.PARTITION_DESCRIPTION) })),
  };
}

/** `a`,`b` or a,b -> [a, b]; an expression that is not a plain column list gives []. */
function splitIdentList(expr: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:`((?:[^`]|``)*)`|([A-Za-z0-9_$\u0080-\uffff]+))\s*(,|$)/y;
  let m: RegExpExecArray | null;
  let last = 0;
  while (last < expr.length && (m = re.exec(expr)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/``/g, '`') : m[2]);
    last = re.lastIndex;
    if (m[3] === '') break;
  }
  return last >= expr.length && out.length > 0 ? out : [];
}

async function readSequence(conn: Connection, database: string, name: string): Promise<Sequence> {
  const [r] = await rows(conn,
    `SELECT next_not_cached_value AS NEXT, minimum_value AS MINV, maximum_value AS MAXV, start_value AS START,
            increment AS INC, cycle_option AS CYC FROM ${quoteMysqlIdent(database)}.${quoteMysqlIdent(name)}`);
  return {
    schema: database, name, dataType: 'bigint',
    start: str(r.START), increment: str(r.INC), min: str(r.MINV), max: str(r.MAXV),
    cycle: num(r.CYC) === 1,
    // next_not_cached_value is at or after the next value any session can get: safe to restart from.
    next: str(r.NEXT),
  };
}
