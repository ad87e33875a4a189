// Renders a neutral Schema whose Column.native holds PostgreSQL type text as PostgreSQL DDL, in dependency order.
import type { Column, ColumnType, DefaultValue, ForeignKey, Index, QualifiedName, Routine, Schema, Sequence, Table, UserType, View } from '../model';
import { type DdlObject, type DdlRenderer, objectId } from '../convert/types';
import { FerryError } from '../errors';
import { quotePgIdent, quotePgLiteral } from './connect';

const q = quotePgIdent;
const qq = (n: QualifiedName): string => `${q(n.schema)}.${q(n.name)}`;

export const postgresDdl: DdlRenderer = {
  engine: 'postgres',
  quoteIdent: quotePgIdent,
  quoteQualified: qq,
  renderSchema,
};

/**
 * Every object of the schema: 'pre-data' (types, sequences, tables with their primary keys and partitions,
 * routines), 'post-data' (indexes, unique/check constraints, foreign keys, views, triggers), 'finalize'
 * (identity and sequence positions). Each object that creates something in a schema first makes sure the
 * schema exists, so an object applies on its own (overrides, retries) and in any order within its phase.
 */
export function renderSchema(schema: Schema): DdlObject[] {
  const out: DdlObject[] = [];
  // Schemas first, each its own object; the objects in it depend on it.
  const namespaces = new Set<string>([...schema.namespaces, ...schema.tables.map((t) => t.schema), ...schema.views.map((v) => v.schema),
    ...schema.sequences.map((s) => s.schema), ...schema.types.map((t) => t.schema), ...schema.routines.map((r) => r.schema)]);
  const schemaId = (ns: string): string => `schema:${ns}`;
  for (const ns of [...namespaces].sort()) {
    out.push({ id: schemaId(ns), kind: 'schema', phase: 'pre-data', statements: [`CREATE SCHEMA IF NOT EXISTS ${q(ns)}`], dependsOn: [] });
  }
  const typeIds = new Map<string, string>();
  for (const t of schema.types) typeIds.set(`${t.schema}.${t.name}`, objectId('type', t));
  const seqIds = new Map<string, string>();
  for (const s of schema.sequences) seqIds.set(`${s.schema}.${s.name}`, objectId('sequence', s));
  const tableIds = new Map<string, string>();
  for (const t of schema.tables) tableIds.set(`${t.schema}.${t.name}`, objectId('table', t));

  // ---- types: enums first (domains and composites may use them), then domains, then the rest
  const typeOrder = (t: UserType): number => t.kind === 'enum' ? 0 : t.kind === 'domain' ? 1 : 2;
  for (const t of [...schema.types].sort((a, b) => typeOrder(a) - typeOrder(b))) {
    const deps = t.kind === 'domain' ? typeDeps(t.base, typeIds) : [];
    out.push({ id: objectId('type', t), kind: 'type', phase: 'pre-data', statements: [renderType(t)], dependsOn: [schemaId(t.schema), ...deps] });
  }

  // ---- sequences (free-standing and serial ones; identity sequences belong to their column)
  for (const s of schema.sequences) {
    out.push({ id: objectId('sequence', s), kind: 'sequence', phase: 'pre-data', statements: [renderSequence(s)], dependsOn: [schemaId(s.schema)] });
  }

  // ---- tables: parents before partitions
  for (const t of orderTables(schema.tables)) {
    const deps = new Set<string>();
    for (const c of t.columns) {
      for (const d of typeDeps(c.type, typeIds)) deps.add(d);
      const seq = c.identity?.kind === 'serial' ? c.identity.sequence : undefined;
      if (seq && seqIds.has(`${seq.schema}.${seq.name}`)) deps.add(seqIds.get(`${seq.schema}.${seq.name}`) as string);
      for (const id of sequencesIn(c.default, schema.sequences)) deps.add(id);
    }
    if (t.partitionOf) deps.add(objectId('table', t.partitionOf));
    const parent = t.partitionOf ? schema.tables.find((p) => p.schema === t.partitionOf?.schema && p.name === t.partitionOf?.name) : undefined;
    deps.add(schemaId(t.schema));
    const statements = [renderCreateTable(t, parent)];
    for (const s of schema.sequences) {
      if (s.ownedBy && s.ownedBy.table.schema === t.schema && s.ownedBy.table.name === t.name) {
        statements.push(`ALTER SEQUENCE ${qq(s)} OWNED BY ${qq(t)}.${q(s.ownedBy.column)}`);
        deps.add(objectId('sequence', s));
      }
    }
    if (t.comment !== undefined) statements.push(`COMMENT ON TABLE ${qq(t)} IS ${quotePgLiteral(t.comment)}`);
    for (const c of t.columns) {
      if (c.comment !== undefined && !parent) statements.push(`COMMENT ON COLUMN ${qq(t)}.${q(c.name)} IS ${quotePgLiteral(c.comment)}`);
    }
    out.push({ id: objectId('table', t), kind: 'table', phase: 'pre-data', statements, dependsOn: [...deps] });
  }

  // ---- routines: after the tables, because a function may return a table's row type; bodies are checked at
  // call time (check_function_bodies off) since they may use objects created later (views, other functions).
  const routineOrder = (k: string): number => k === 'aggregate' ? 1 : 0;
  for (const r of [...schema.routines].sort((a, b) => routineOrder(a.kind) - routineOrder(b.kind))) {
    const deps = schema.tables.filter((t) => t.schema === r.schema || r.definition.includes(t.name)).map((t) => objectId('table', t));
    if (r.kind === 'aggregate') {
      for (const f of schema.routines) if (f.kind !== 'aggregate' && f.schema === r.schema && r.definition.includes(f.name)) deps.push(routineId(f, schema.routines));
    }
    out.push({
      id: routineId(r, schema.routines), kind: 'routine', phase: 'pre-data',
      statements: ['SET check_function_bodies = off', r.definition.trim().replace(/;\s*$/, '')],
      dependsOn: [schemaId(r.schema), ...new Set(deps)],
    });
  }

  // ---- post-data: indexes, unique/check constraints, foreign keys
  for (const t of orderTables(schema.tables)) {
    const parent = t.partitionOf ? schema.tables.find((p) => p.schema === t.partitionOf?.schema && p.name === t.partitionOf?.name) : undefined;
    for (const i of t.indexes) {
      if (i.primary) continue;
      const deps = [objectId('table', t)];
      if (parent) {
        // an index on a partition waits for the parent's indexes, which create their own copies on it
        for (const pi of parent.indexes) deps.push(objectId('index', parent, pi.name));
      }
      out.push({ id: objectId('index', t, i.name), kind: 'index', phase: 'post-data', statements: [renderIndex(t, i)], dependsOn: deps });
    }
    for (const c of t.checks) {
      out.push({
        id: objectId('constraint', t, c.name), kind: 'constraint', phase: 'post-data',
        statements: [`ALTER TABLE ${qq(t)} ADD CONSTRAINT ${q(c.name)} CHECK (${c.expression})`], dependsOn: [objectId('table', t)],
      });
    }
  }
  for (const t of orderTables(schema.tables)) {
    for (const fk of t.foreignKeys) {
      const deps = [objectId('table', t), objectId('table', fk.references)];
      const ref = schema.tables.find((r) => r.schema === fk.references.schema && r.name === fk.references.name);
      for (const i of ref?.indexes ?? []) if (i.unique) deps.push(objectId('index', ref as Table, i.name));
      out.push({ id: objectId('foreign_key', t, fk.name), kind: 'foreign_key', phase: 'post-data', statements: [renderForeignKey(t, fk)], dependsOn: deps });
    }
  }

  // ---- views, each after the views it reads
  for (const v of orderViews(schema.views)) {
    const deps = schema.tables.filter((t) => mentions(v.query, t)).map((t) => objectId('table', t));
    for (const other of schema.views) if (other !== v && mentions(v.query, other)) deps.push(objectId('view', other));
    for (const r of schema.routines) if (v.query.includes(r.name)) deps.push(routineId(r, schema.routines));
    out.push({ id: objectId('view', v), kind: 'view', phase: 'post-data', statements: [renderView(v)], dependsOn: [schemaId(v.schema), ...deps] });
  }

  // ---- triggers (PostgreSQL sources only: other rule sets carry triggers as manual items)
  for (const tr of schema.triggers) {
    const deps = [objectId('table', tr.table)];
    for (const r of schema.routines) if (tr.definition.includes(r.name)) deps.push(routineId(r, schema.routines));
    out.push({ id: objectId('trigger', tr.table, tr.name), kind: 'trigger', phase: 'post-data', statements: [tr.definition.trim().replace(/;\s*$/, '')], dependsOn: deps });
  }

  // ---- finalize: identity columns and sequences continue where the source is
  for (const t of schema.tables) {
    if (t.partitionOf) continue;
    for (const c of t.columns) {
      if (!c.identity || c.identity.kind === 'serial') continue;
      out.push({
        id: objectId('table', t), kind: 'table', phase: 'finalize',
        statements: [`ALTER TABLE ${qq(t)} ALTER COLUMN ${q(c.name)} RESTART WITH ${integerText(c.identity.next)}`],
        dependsOn: [objectId('table', t)],
      });
    }
  }
  for (const s of schema.sequences) {
    out.push({ id: objectId('sequence', s), kind: 'sequence', phase: 'finalize', statements: [renderSetval(s)], dependsOn: [objectId('sequence', s)] });
  }
  return out;
}

function renderType(t: UserType): string {
  switch (t.kind) {
    case 'enum':
      return `CREATE TYPE ${qq(t)} AS ENUM (${t.values.map(quotePgLiteral).join(', ')})`;
    case 'domain': {
      let sql = `CREATE DOMAIN ${qq(t)} AS ${t.baseNative}`;
      if (t.default) sql += ` DEFAULT ${renderDefault(t.default)}`;
      if (!t.nullable) sql += ' NOT NULL';
      for (const c of t.checks) sql += ` CONSTRAINT ${q(c.name)} CHECK (${c.expression})`;
      return sql;
    }
    default:
      return t.definition.trim().replace(/;\s*$/, '');
  }
}

function renderSequence(s: Sequence): string {
  return `CREATE SEQUENCE ${qq(s)} AS ${s.dataType} INCREMENT BY ${integerText(s.increment)} MINVALUE ${integerText(s.min)}`
    + ` MAXVALUE ${integerText(s.max)} START WITH ${integerText(s.start)}${s.cycle ? ' CYCLE' : ' NO CYCLE'}`;
}

/** setval to the source's next value; an exhausted sequence stays exhausted (is_called at its limit). */
function renderSetval(s: Sequence): string {
  const next = BigInt(integerText(s.next));
  const min = BigInt(integerText(s.min));
  const max = BigInt(integerText(s.max));
  const name = quotePgLiteral(qq(s));
  if (next > max) return `SELECT pg_catalog.setval(${name}, ${max}, true)`;
  if (next < min) return `SELECT pg_catalog.setval(${name}, ${min}, true)`;
  return `SELECT pg_catalog.setval(${name}, ${next}, false)`;
}

export function renderColumn(c: Column): string {
  let sql = `${q(c.name)} ${c.native}`;
  if (c.collation) sql += ` COLLATE ${/^"|\./.test(c.collation) ? c.collation : q(c.collation)}`;
  if (c.generated) {
    sql += ` GENERATED ALWAYS AS (${c.generated.expression}) STORED`;
  } else if (c.identity && c.identity.kind !== 'serial') {
    const opts = [`START WITH ${integerText(c.identity.next)}`];
    if (c.identity.increment && c.identity.increment !== '1') opts.push(`INCREMENT BY ${integerText(c.identity.increment)}`);
    sql += ` GENERATED ${c.identity.kind === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY (${opts.join(' ')})`;
  } else if (c.default) {
    sql += ` DEFAULT ${renderDefault(c.default)}`;
  }
  if (!c.nullable) sql += ' NOT NULL';
  return sql;
}

function renderCreateTable(t: Table, parent: Table | undefined): string {
  if (t.partitionOf) {
    const bound = parent?.partitioning?.partitions.find((p) => p.table?.schema === t.schema && p.table?.name === t.name)?.bound
      ?? parent?.partitioning?.partitions.find((p) => p.name === t.name)?.bound ?? 'DEFAULT';
    let sql = `CREATE TABLE ${qq(t)} PARTITION OF ${qq(t.partitionOf)}`;
    // a partition's own primary key only when the parent has none (otherwise it inherits the parent's)
    if (t.primaryKey.length > 0 && (!parent || parent.primaryKey.length === 0)) {
      sql += ` (${primaryKeyClause(t)})`;
    }
    sql += ` ${bound}`;
    if (t.partitioning) sql += ` PARTITION BY ${t.partitioning.method.toUpperCase()} (${t.partitioning.key})`;
    return sql;
  }
  const lines = t.columns.map((c) => `  ${renderColumn(c)}`);
  if (t.primaryKey.length > 0) lines.push(`  ${primaryKeyClause(t)}`);
  let sql = `CREATE TABLE ${qq(t)} (\n${lines.join(',\n')}\n)`;
  if (t.partitioning) sql += ` PARTITION BY ${t.partitioning.method === 'key' ? 'HASH' : t.partitioning.method.toUpperCase()} (${t.partitioning.key})`;
  return sql;
}

function primaryKeyClause(t: Table): string {
  const name = t.primaryKeyName ? `CONSTRAINT ${q(t.primaryKeyName)} ` : '';
  return `${name}PRIMARY KEY (${t.primaryKey.map(q).join(', ')})`;
}

export function renderIndex(t: Table, i: Index): string {
  const parts = i.parts.map((p) => {
    let s = p.column !== undefined ? q(p.column) : `(${p.expression ?? ''})`;
    if (p.opclass) s += ` ${p.opclass}`;
    if (p.descending) s += ' DESC';
    if (p.nulls) s += p.nulls === 'first' ? ' NULLS FIRST' : ' NULLS LAST';
    return s;
  });
  let sql = `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${q(i.name)} ON ${qq(t)}`;
  if (i.method && i.method !== 'btree') sql += ` USING ${i.method}`;
  sql += ` (${parts.join(', ')})`;
  if (i.include && i.include.length > 0) sql += ` INCLUDE (${i.include.map(q).join(', ')})`;
  if (i.where) sql += ` WHERE ${i.where}`;
  return sql;
}

export function renderForeignKey(t: Table, fk: ForeignKey): string {
  let sql = `ALTER TABLE ${qq(t)} ADD CONSTRAINT ${q(fk.name)} FOREIGN KEY (${fk.columns.map(q).join(', ')})`
    + ` REFERENCES ${qq(fk.references)} (${fk.referencedColumns.map(q).join(', ')})`;
  if (fk.match && fk.match !== 'SIMPLE') sql += ` MATCH ${fk.match}`;
  if (fk.onUpdate !== 'NO ACTION') sql += ` ON UPDATE ${fk.onUpdate}`;
  if (fk.onDelete !== 'NO ACTION') sql += ` ON DELETE ${fk.onDelete}`;
  if (fk.deferrable) sql += fk.initiallyDeferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE';
  return sql;
}

function renderView(v: View): string {
  const cols = v.columns.length > 0 ? ` (${v.columns.map(q).join(', ')})` : '';
  const query = v.query.trim().replace(/;\s*$/, '');
  if (v.materialized) return `CREATE MATERIALIZED VIEW ${qq(v)}${cols} AS\n${query}\nWITH DATA`;
  const check = v.checkOption ? `\nWITH ${v.checkOption.toUpperCase()} CHECK OPTION` : '';
  return `CREATE VIEW ${qq(v)}${cols} AS\n${query}${check}`;
}

function renderDefault(d: DefaultValue): string {
  if (d.kind === 'current_timestamp') return d.precision !== undefined ? `CURRENT_TIMESTAMP(${d.precision})` : 'CURRENT_TIMESTAMP';
  return d.sql;
}

/** Parents before their partitions (a partition may itself be partitioned). */
function orderTables(tables: Table[]): Table[] {
  const done = new Set<string>();
  const out: Table[] = [];
  const key = (t: QualifiedName): string => `${t.schema}\u0000${t.name}`;
  const visit = (t: Table, depth: number): void => {
    if (done.has(key(t))) return;
    if (t.partitionOf && depth < 32) {
      const parent = tables.find((p) => key(p) === key(t.partitionOf as QualifiedName));
      if (parent) visit(parent, depth + 1);
    }
    done.add(key(t));
    out.push(t);
  };
  for (const t of tables) visit(t, 0);
  return out;
}

/** Views after the views they mention; a cycle (only possible through false mentions) keeps source order. */
function orderViews(views: View[]): View[] {
  const out: View[] = [];
  const state = new Map<View, 'visiting' | 'done'>();
  const visit = (v: View): void => {
    if (state.get(v)) return;
    state.set(v, 'visiting');
    for (const other of views) if (other !== v && !state.get(other) && mentions(v.query, other)) visit(other);
    state.set(v, 'done');
    out.push(v);
  };
  for (const v of views) visit(v);
  return out;
}

/** Whether SQL text refers to a relation: by its bare or quoted name as a whole identifier. */
function mentions(sql: string, rel: QualifiedName): boolean {
  const bare = /^[a-z_][a-z0-9_$]*$/.test(rel.name) ? `(?<![\\w$"])${escapeRegExp(rel.name)}(?![\\w$"])` : null;
  const quoted = escapeRegExp(q(rel.name));
  return new RegExp(bare ? `${bare}|${quoted}` : quoted).test(sql);
}

function typeDeps(t: ColumnType, typeIds: Map<string, string>): string[] {
  if ((t.kind === 'enum' || t.kind === 'domain') && t.type) {
    const id = typeIds.get(`${t.type.schema}.${t.type.name}`);
    const inner = t.kind === 'domain' ? typeDeps(t.base, typeIds) : [];
    return id ? [id, ...inner] : inner;
  }
  if (t.kind === 'array') return typeDeps(t.element, typeIds);
  if (t.kind === 'other') {
    const out: string[] = [];
    for (const [k, id] of typeIds) {
      const [schema, name] = [k.slice(0, k.indexOf('.')), k.slice(k.indexOf('.') + 1)];
      if (t.native.includes(`${schema}.${name}`) || t.native.includes(`${q(schema)}.${q(name)}`)) out.push(id);
    }
    return out;
  }
  return [];
}

function sequencesIn(d: DefaultValue | undefined, sequences: Sequence[]): string[] {
  if (!d || d.kind !== 'expression' || !/nextval/i.test(d.sql)) return [];
  return sequences.filter((s) => d.sql.includes(s.name)).map((s) => objectId('sequence', s));
}

/** `routine:schema.name`, plus the argument list when the name is overloaded. */
export function routineId(r: Routine, all: Routine[]): string {
  const overloaded = all.filter((o) => o.schema === r.schema && o.name === r.name).length > 1;
  return overloaded ? objectId('routine', r, routineSignatureKey(r.definition)) : objectId('routine', r);
}

/** Overloaded routines share a name: the argument list (from the definition) keeps their ids apart. */
function routineSignatureKey(definition: string): string | undefined {
  const m = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|AGGREGATE)\s+(?:"(?:[^"]|"")*"|[^\s(.]+)(?:\.(?:"(?:[^"]|"")*"|[^\s(]+))?\(([^)]*)\)/i.exec(definition);
  const args = m?.[1]?.replace(/\s+/g, ' ').trim();
  return args ? `(${args})` : undefined;
}

function integerText(v: string): string {
  const s = String(v).trim();
  if (!/^-?\d+$/.test(s)) throw new FerryError('INTERNAL', `a sequence or identity value is not an integer: ${s}`);
  return s;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
