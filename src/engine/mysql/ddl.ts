// Renders a Schema whose column types are MySQL/MariaDB type texts into DDL statements, phase by phase,
// in dependency order. String literals are written for Ferry's NO_BACKSLASH_ESCAPES sessions (sessions.ts).
import type { Column, Index, Partitioning, QualifiedName, Schema, Table, View } from '../model';
import type { DdlObject, DdlRenderer } from '../convert/types';
import { objectId } from '../convert/types';
import { quoteMysqlIdent } from './connect';

export function quoteMysqlQualified(q: QualifiedName): string {
  return `${quoteMysqlIdent(q.schema)}.${quoteMysqlIdent(q.name)}`;
}

/**
 * A string literal for a NO_BACKSLASH_ESCAPES session: only the quote is doubled. (Every Ferry session sets
 * that mode, so a backslash in a value, a comment or an enum label stays one backslash.)
 */
export function quoteMysqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const STRING_KINDS = new Set(['char', 'text', 'enum', 'set']);

/** The column's type text; enum/set labels are re-quoted from the parsed values so their escaping is exact. */
export function columnTypeSql(c: Column): string {
  if (c.type.kind === 'enum' || c.type.kind === 'set') {
    return `${c.type.kind}(${c.type.values.map(quoteMysqlString).join(',')})`;
  }
  return c.native;
}

function defaultSql(c: Column): string | undefined {
  const d = c.default;
  if (!d) return undefined;
  if (d.kind === 'literal') return d.sql;
  if (d.kind === 'current_timestamp') return d.precision ? `current_timestamp(${d.precision})` : 'current_timestamp()';
  // MySQL 8 needs parentheses around an expression default; MariaDB accepts them.
  return /^\(.*\)$/s.test(d.sql.trim()) ? d.sql : `(${d.sql})`;
}

function timePrecision(c: Column): number {
  return c.type.kind === 'timestamp' || c.type.kind === 'time' ? c.type.precision ?? 0 : 0;
}

/** One column definition line of CREATE TABLE. */
export function renderColumn(c: Column): string {
  const parts = [quoteMysqlIdent(c.name), columnTypeSql(c)];
  if (STRING_KINDS.has(c.type.kind)) {
    if (c.charset) parts.push(`CHARACTER SET ${c.charset}`);
    if (c.collation) parts.push(`COLLATE ${c.collation}`);
  }
  if (c.generated) {
    // MariaDB accepts neither NOT NULL nor DEFAULT on a generated column.
    parts.push(`GENERATED ALWAYS AS (${c.generated.expression}) ${c.generated.stored ? 'STORED' : 'VIRTUAL'}`);
  } else {
    // NULL is explicit: TIMESTAMP columns are NOT NULL by default when explicit_defaults_for_timestamp is off.
    parts.push(c.nullable ? 'NULL' : 'NOT NULL');
    const def = defaultSql(c);
    if (def !== undefined) parts.push(`DEFAULT ${def}`);
    if (c.onUpdateCurrentTimestamp) {
      const p = timePrecision(c);
      parts.push(p ? `ON UPDATE current_timestamp(${p})` : 'ON UPDATE current_timestamp()');
    }
    if (c.identity) parts.push('AUTO_INCREMENT');
  }
  if (c.comment) parts.push(`COMMENT ${quoteMysqlString(c.comment)}`);
  return parts.join(' ');
}

function indexPartsSql(index: Index): string {
  return index.parts.map((p) => {
    const base = p.column !== undefined ? quoteMysqlIdent(p.column) : `(${p.expression ?? ''})`;
    const prefix = p.prefixLength ? `(${p.prefixLength})` : '';
    return `${base}${prefix}${p.descending ? ' DESC' : ''}`;
  }).join(', ');
}

/** `[UNIQUE|FULLTEXT|SPATIAL] INDEX name (parts) [USING …] [COMMENT …]` as it appears inside CREATE/ALTER TABLE. */
export function indexClause(index: Index): string {
  const method = index.method.toLowerCase();
  const kind = method === 'fulltext' ? 'FULLTEXT INDEX' : method === 'spatial' ? 'SPATIAL INDEX' : index.unique ? 'UNIQUE INDEX' : 'INDEX';
  const using = method === 'hash' || method === 'btree' ? ` USING ${method.toUpperCase()}` : '';
  const comment = index.comment ? ` COMMENT ${quoteMysqlString(index.comment)}` : '';
  return `${kind} ${quoteMysqlIdent(index.name)} (${indexPartsSql(index)})${using}${comment}`;
}

function partitionClause(p: Partitioning): string {
  const quotedColumns = p.columns.map(quoteMysqlIdent).join(',');
  const columnList = p.columns.length > 0 && p.key.replace(/\s+/g, '') === quotedColumns;
  const method = p.method.toUpperCase();
  if (p.method === 'key') return `PARTITION BY KEY (${quotedColumns || p.key})${p.partitions.length ? ` PARTITIONS ${p.partitions.length}` : ''}`;
  if (p.method === 'hash') return `PARTITION BY HASH (${p.key}) PARTITIONS ${Math.max(1, p.partitions.length)}`;
  const head = columnList ? `PARTITION BY ${method} COLUMNS(${quotedColumns})` : `PARTITION BY ${method} (${p.key})`;
  const parts = p.partitions.map((part) => {
    const name = quoteMysqlIdent(part.name);
    if (p.method === 'list') return part.bound.toUpperCase() === 'DEFAULT' ? `PARTITION ${name} DEFAULT` : `PARTITION ${name} VALUES IN (${part.bound})`;
    return part.bound.toUpperCase() === 'MAXVALUE' && !columnList
      ? `PARTITION ${name} VALUES LESS THAN MAXVALUE` : `PARTITION ${name} VALUES LESS THAN (${part.bound})`;
  });
  return `${head} (\n  ${parts.join(',\n  ')}\n)`;
}

/**
 * Indexes that must exist when the table is created: InnoDB requires an AUTO_INCREMENT column to lead some
 * index, so when the primary key does not start with it, the first index that does goes into CREATE TABLE.
 */
function indexesInCreate(t: Table): Index[] {
  const ai = t.columns.find((c) => c.identity);
  if (!ai || t.primaryKey[0] === ai.name) return [];
  const holder = t.indexes.find((i) => i.parts[0]?.column === ai.name && i.method !== 'fulltext' && i.method !== 'spatial');
  return holder ? [holder] : [];
}

export function renderCreateTable(t: Table): string {
  const lines = t.columns.map((c) => `  ${renderColumn(c)}`);
  if (t.primaryKey.length > 0) lines.push(`  PRIMARY KEY (${t.primaryKey.map(quoteMysqlIdent).join(', ')})`);
  for (const i of indexesInCreate(t)) lines.push(`  ${indexClause(i)}`);
  const options: string[] = [];
  if (t.engine) options.push(`ENGINE=${t.engine}`);
  if (t.charset) options.push(`DEFAULT CHARSET=${t.charset}`);
  if (t.collation) options.push(`COLLATE=${t.collation}`);
  if (t.comment) options.push(`COMMENT=${quoteMysqlString(t.comment)}`);
  const partition = t.partitioning ? `\n${partitionClause(t.partitioning)}` : '';
  return `CREATE TABLE ${quoteMysqlQualified(t)} (\n${lines.join(',\n')}\n)${options.length ? ' ' + options.join(' ') : ''}${partition}`;
}

/** Names (lower-cased) of the relations a view's SQL mentions as `name` or `schema`.`name`. */
function mentionedRelations(sql: string): Set<string> {
  const out = new Set<string>();
  const re = /`((?:[^`]|``)*)`/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(sql)) !== null) out.add(m[1].replace(/``/g, '`').toLowerCase());
  for (const w of sql.match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []) out.add(w.toLowerCase());
  return out;
}

/** Views sorted so that a view comes after every view its SQL names (cycles cannot exist; ties keep input order). */
export function orderViews(views: View[]): { view: View; deps: View[] }[] {
  const mentions = new Map(views.map((v) => [v, mentionedRelations(v.query)]));
  const depsOf = (v: View) => views.filter((o) => o !== v && mentions.get(v)!.has(o.name.toLowerCase()));
  const out: { view: View; deps: View[] }[] = [];
  const placed = new Set<View>();
  const visiting = new Set<View>();
  const visit = (v: View) => {
    if (placed.has(v) || visiting.has(v)) return;
    visiting.add(v);
    const deps = depsOf(v);
    deps.forEach(visit);
    visiting.delete(v);
    placed.add(v);
    out.push({ view: v, deps });
  };
  views.forEach(visit);
  return out;
}

export function renderCreateView(v: View): string {
  const columns = v.columns.length > 0 ? ` (${v.columns.map(quoteMysqlIdent).join(', ')})` : '';
  const check = v.checkOption ? ` WITH ${v.checkOption.toUpperCase()} CHECK OPTION` : '';
  return `CREATE VIEW ${quoteMysqlQualified(v)}${columns} AS ${v.query}${check}`;
}

function renderSchema(schema: Schema): DdlObject[] {
  const pre: DdlObject[] = [];
  const post: DdlObject[] = [];
  const fin: DdlObject[] = [];
  const namespaces = new Set<string>([...schema.namespaces, ...schema.tables.map((t) => t.schema),
    ...schema.views.map((v) => v.schema), ...schema.sequences.map((s) => s.schema)]);
  namespaces.delete(schema.database);
  const schemaId = (ns: string) => `schema:${ns}`;
  const nsDeps = (ns: string) => (namespaces.has(ns) ? [schemaId(ns)] : []);
  for (const ns of [...namespaces].sort()) {
    pre.push({ id: schemaId(ns), kind: 'schema', phase: 'pre-data', dependsOn: [],
      statements: [`CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(ns)} CHARACTER SET utf8mb4`] });
  }
  for (const s of schema.sequences) {
    const id = objectId('sequence', s);
    pre.push({ id, kind: 'sequence', phase: 'pre-data', dependsOn: nsDeps(s.schema), statements: [
      `CREATE SEQUENCE ${quoteMysqlQualified(s)} START WITH ${s.start} MINVALUE ${s.min} MAXVALUE ${s.max} INCREMENT BY ${s.increment} ${s.cycle ? 'CYCLE' : 'NOCYCLE'}`,
    ] });
    if (s.next !== s.start) {
      fin.push({ id, kind: 'sequence', phase: 'finalize', dependsOn: [id],
        statements: [`ALTER SEQUENCE ${quoteMysqlQualified(s)} RESTART WITH ${s.next}`] });
    }
  }
  const fks: DdlObject[] = [];
  for (const t of schema.tables) {
    const tableId = objectId('table', t);
    pre.push({ id: tableId, kind: 'table', phase: 'pre-data', dependsOn: nsDeps(t.schema), statements: [renderCreateTable(t)] });
    const inCreate = new Set(indexesInCreate(t));
    for (const i of t.indexes) {
      if (inCreate.has(i)) continue;
      post.push({ id: objectId('index', t, i.name), kind: 'index', phase: 'post-data', dependsOn: [tableId],
        statements: [`ALTER TABLE ${quoteMysqlQualified(t)} ADD ${indexClause(i)}`] });
    }
    for (const c of t.checks) {
      post.push({ id: objectId('constraint', t, c.name), kind: 'constraint', phase: 'post-data', dependsOn: [tableId],
        statements: [`ALTER TABLE ${quoteMysqlQualified(t)} ADD CONSTRAINT ${quoteMysqlIdent(c.name)} CHECK (${c.expression})`] });
    }
    for (const f of t.foreignKeys) {
      const refId = objectId('table', f.references);
      fks.push({ id: objectId('foreign_key', t, f.name), kind: 'foreign_key', phase: 'post-data',
        dependsOn: [tableId, ...(refId !== tableId && schema.tables.some((o) => o.schema === f.references.schema && o.name === f.references.name) ? [refId] : [])],
        statements: [`ALTER TABLE ${quoteMysqlQualified(t)} ADD CONSTRAINT ${quoteMysqlIdent(f.name)} FOREIGN KEY (${f.columns.map(quoteMysqlIdent).join(', ')}) `
          + `REFERENCES ${quoteMysqlQualified(f.references)} (${f.referencedColumns.map(quoteMysqlIdent).join(', ')}) `
          + `ON DELETE ${f.onDelete} ON UPDATE ${f.onUpdate}`] });
    }
    const ai = t.columns.find((c) => c.identity);
    if (ai?.identity && /^\d+$/.test(ai.identity.next) && ai.identity.next !== '1') {
      fin.push({ id: tableId, kind: 'table', phase: 'finalize', dependsOn: [tableId],
        statements: [`ALTER TABLE ${quoteMysqlQualified(t)} AUTO_INCREMENT = ${ai.identity.next}`] });
    }
  }
  // Foreign keys after every index: a FK needs an index on the referenced columns (possibly a unique index above).
  post.push(...fks);
  for (const { view, deps } of orderViews(schema.views)) {
    const mentioned = mentionedRelations(view.query);
    const tableDeps = schema.tables.filter((t) => mentioned.has(t.name.toLowerCase())).map((t) => objectId('table', t));
    post.push({ id: objectId('view', view), kind: 'view', phase: 'post-data',
      dependsOn: [...nsDeps(view.schema), ...tableDeps, ...deps.map((d) => objectId('view', d))], statements: [renderCreateView(view)] });
  }
  for (const r of schema.routines) {
    if (!r.definition) continue;
    post.push({ id: objectId('routine', r), kind: 'routine', phase: 'post-data', dependsOn: nsDeps(r.schema), statements: [r.definition] });
  }
  // Triggers last: created before the data they would fire on every copied row, and during incremental
  // replication they would apply their effects a second time (the source's effects are replicated too).
  for (const tr of schema.triggers) {
    fin.push({ id: objectId('trigger', tr), kind: 'trigger', phase: 'finalize', dependsOn: [objectId('table', tr.table)], statements: [tr.definition] });
  }
  return [...pre, ...post, ...fin];
}

export const mysqlDdl: DdlRenderer = {
  engine: 'mysql',
  quoteIdent: quoteMysqlIdent,
  quoteQualified: quoteMysqlQualified,
  renderSchema,
};
