// Deterministic mapping of source identifiers to target identifiers: namespaces, case folding,
// collisions, and shortening to the target's length limit.
import { createHash } from 'node:crypto';
import type { EngineKind, ForeignKey, Index, QualifiedName, Schema } from '../model';
import type { ConversionOptions, IdentifierMap, Warning } from './types';

/** PostgreSQL: NAMEDATALEN-1 bytes. MySQL/MariaDB: 64 characters. */
export const MAX_IDENTIFIER: Record<EngineKind, { length: number; unit: 'bytes' | 'chars' }> = {
  postgres: { length: 63, unit: 'bytes' },
  mysql: { length: 64, unit: 'chars' },
};

function identifierLength(name: string, target: EngineKind): number {
  return MAX_IDENTIFIER[target].unit === 'bytes' ? Buffer.byteLength(name, 'utf8') : [...name].length;
}

/**
 * Shortens a name that exceeds the target's limit: keeps a prefix and appends `_` + 8 hex digits of the
 * full name's SHA-1, so the same long name always maps to the same short one and distinct names stay distinct.
 */
export function shortenIdentifier(name: string, target: EngineKind): string {
  const max = MAX_IDENTIFIER[target].length;
  if (identifierLength(name, target) <= max) return name;
  const suffix = '_' + createHash('sha1').update(name, 'utf8').digest('hex').slice(0, 8);
  let prefix = '';
  for (const ch of name) {
    if (identifierLength(prefix + ch + suffix, target) > max) break;
    prefix += ch;
  }
  return prefix + suffix;
}

/**
 * Replaces what the target cannot hold in a name: NUL anywhere; on MySQL/MariaDB also characters beyond
 * the Basic Multilingual Plane (emoji: identifiers are utf8mb3) and trailing spaces. Each becomes `_`
 * (emoji as `u<hex>`), so the result stays readable and deterministic.
 */
export function legalIdentifier(name: string, target: EngineKind): string {
  let out = name.replace(/\u0000/g, '_');
  if (target === 'mysql') {
    out = [...out].map((ch) => ((ch.codePointAt(0) ?? 0) > 0xffff ? `u${(ch.codePointAt(0) ?? 0).toString(16)}` : ch)).join('');
    out = out.replace(/ +$/, (m) => '_'.repeat(m.length));
  }
  return out;
}

/**
 * One target namespace: the names already taken, compared the way the target compares them
 * (MySQL: case-insensitively, to be safe under any lower_case_table_names and because column names are
 * case-insensitive; PostgreSQL: exactly).
 */
class NameSpace {
  private readonly taken = new Set<string>();

  constructor(private readonly caseInsensitive: boolean) {}

  private key(name: string): string {
    return this.caseInsensitive ? name.toLowerCase() : name;
  }

  has(name: string): boolean {
    return this.taken.has(this.key(name));
  }

  take(name: string): void {
    this.taken.add(this.key(name));
  }
}

export interface IdentifierMapResult extends IdentifierMap {
  /** Renames the map made (folding that caused collisions, shortening, suffixes), as Warnings. */
  warnings(): Warning[];
}

/**
 * Builds the identifier map for converting `source` to `target`. All source names are allocated up front in
 * a stable order (tables and views sorted, then columns and constraints in catalog order), so the result does
 * not depend on the order the rule sets ask in.
 */
export function createIdentifierMap(source: Schema, target: EngineKind, options: ConversionOptions): IdentifierMapResult {
  const caseInsensitive = target === 'mysql';
  const fold = target === 'postgres' && options.identifierCase === 'lower';
  const warnings: Warning[] = [];
  const namespaceOf = namespaceMapper(source, target, options);

  const relationSpaces = new Map<string, NameSpace>();
  const constraintSpaces = new Map<string, NameSpace>();
  const columnSpaces = new Map<string, NameSpace>();
  const relationNames = new Map<string, string>();
  const columnNames = new Map<string, string>();
  const constraintNames = new Map<string, string>();

  const spaceOf = (spaces: Map<string, NameSpace>, key: string) => {
    let s = spaces.get(key);
    if (!s) { s = new NameSpace(caseInsensitive); spaces.set(key, s); }
    return s;
  };

  /** Picks the target spelling of `name` inside `space`, recording a Warning when it had to change it. */
  const allocate = (space: NameSpace, sourceName: string, object: string, preferFold: boolean): string => {
    const name = legalIdentifier(sourceName, target);
    let candidate = name;
    if (preferFold && fold) candidate = name.toLowerCase();
    candidate = shortenIdentifier(candidate, target);
    if (space.has(candidate) && candidate !== name && !space.has(shortenIdentifier(name, target))) {
      candidate = shortenIdentifier(name, target);
    }
    let n = 2;
    const base = candidate;
    while (space.has(candidate)) {
      const suffix = `_${n++}`;
      candidate = shortenIdentifier(base, target);
      const max = MAX_IDENTIFIER[target].length;
      while (identifierLength(candidate + suffix, target) > max) candidate = [...candidate].slice(0, -1).join('');
      candidate += suffix;
    }
    space.take(candidate);
    const folded = fold && candidate === name.toLowerCase();
    if (candidate !== sourceName && !(folded && name === sourceName)) {
      const engineName = target === 'postgres' ? 'PostgreSQL' : 'MySQL';
      const [code, why] = name !== sourceName
        ? ['IDENTIFIER_RENAMED', `has characters ${engineName} does not allow in names${target === 'mysql' ? ' (beyond the Basic Multilingual Plane, e.g. emoji, or a trailing space)' : ' (NUL)'}`]
        : identifierLength(name, target) > MAX_IDENTIFIER[target].length
          ? ['IDENTIFIER_SHORTENED', `is longer than ${engineName} allows (${MAX_IDENTIFIER[target].length} ${MAX_IDENTIFIER[target].unit})`]
          : ['IDENTIFIER_RENAMED', `collides with another name on the target${caseInsensitive ? ' (MySQL compares these names case-insensitively)' : ' after case folding'}`];
      warnings.push({ code, object, level: 'warn', message: `"${sourceName}" ${why}; it becomes "${candidate}"`,
        fix: 'keep the new name, or rename the object on the source before migrating, or edit the converted DDL' });
    }
    return candidate;
  };

  // Names that fold onto each other must not be folded: per namespace, a lower-case spelling used more than
  // once keeps the exact case of each name (the one already lower-case keeps its name).
  const relationEntries: { q: QualifiedName; kind: string }[] = [
    ...source.types.map((t) => ({ q: { schema: t.schema, name: t.name }, kind: 'type' })),
    ...source.sequences.map((s) => ({ q: { schema: s.schema, name: s.name }, kind: 'sequence' })),
    ...source.tables.map((t) => ({ q: { schema: t.schema, name: t.name }, kind: 'table' })),
    ...source.views.map((v) => ({ q: { schema: v.schema, name: v.name }, kind: 'view' })),
    ...source.routines.map((r) => ({ q: { schema: r.schema, name: r.name }, kind: 'routine' })),
  ].sort((a, b) => cmp(a.q.schema, b.q.schema) || cmp(a.q.name, b.q.name) || cmp(a.kind, b.kind));

  const lowerCount = new Map<string, number>();
  for (const { q } of relationEntries) {
    const k = `${namespaceOf(q.schema)}\u0000${q.name.toLowerCase()}`;
    lowerCount.set(k, (lowerCount.get(k) ?? 0) + 1);
  }

  const relationKey = (q: QualifiedName) => `${q.schema}\u0000${q.name}`;
  // Exact-lower-case names first, so "users" keeps "users" and "Users" is the one that keeps its case.
  const ordered = [...relationEntries].sort((a, b) => Number(a.q.name !== a.q.name.toLowerCase()) - Number(b.q.name !== b.q.name.toLowerCase()));
  for (const { q, kind } of ordered) {
    if (relationNames.has(relationKey(q))) continue;
    const ns = namespaceOf(q.schema);
    const collides = (lowerCount.get(`${ns}\u0000${q.name.toLowerCase()}`) ?? 0) > 1;
    const name = allocate(spaceOf(relationSpaces, ns), q.name, `${kind}:${q.schema}.${q.name}`, !collides);
    relationNames.set(relationKey(q), name);
  }

  // Columns per table.
  for (const t of [...source.tables].sort((a, b) => cmp(a.schema, b.schema) || cmp(a.name, b.name))) {
    const space = spaceOf(columnSpaces, relationKey(t));
    const lower = new Map<string, number>();
    for (const c of t.columns) lower.set(c.name.toLowerCase(), (lower.get(c.name.toLowerCase()) ?? 0) + 1);
    const cols = [...t.columns].sort((a, b) => Number(a.name !== a.name.toLowerCase()) - Number(b.name !== b.name.toLowerCase()));
    for (const c of cols) {
      const collides = (lower.get(c.name.toLowerCase()) ?? 0) > 1;
      columnNames.set(`${relationKey(t)}\u0000${c.name}`, allocate(space, c.name, `table:${t.schema}.${t.name}.${c.name}`, !collides));
    }
  }

  // Constraints and indexes. PostgreSQL: unique per schema (indexes are relations). MySQL: index names are
  // per table, FK and CHECK names per database.
  const indexSpaces = new Map<string, NameSpace>();
  for (const t of [...source.tables].sort((a, b) => cmp(a.schema, b.schema) || cmp(a.name, b.name))) {
    const schemaSpace = spaceOf(constraintSpaces, namespaceOf(t.schema));
    const indexNames = new Set([...(t.primaryKeyName ? [t.primaryKeyName] : []), ...t.indexes.map((i) => i.name)]);
    const names = [...indexNames, ...t.foreignKeys.map((f) => f.name), ...t.checks.map((c) => c.name)];
    for (const n of names) {
      const key = `${relationKey(t)}\u0000${n}`;
      if (constraintNames.has(key)) continue;
      const space = target === 'mysql' && indexNames.has(n) ? spaceOf(indexSpaces, relationKey(t)) : schemaSpace;
      constraintNames.set(key, allocateConstraint(space, t, n));
    }
  }

  function allocateConstraint(space: NameSpace, table: QualifiedName, name: string): string {
    // A constraint name used by several tables (Sakila's idx_fk_film_id) is prefixed with its table's name.
    const wanted = fold ? name.toLowerCase() : name;
    const relationSpace = spaceOf(relationSpaces, namespaceOf(table.schema));
    if (!space.has(shortenIdentifier(wanted, target)) && !(target === 'postgres' && relationSpace.has(shortenIdentifier(wanted, target)))) {
      const n = shortenIdentifier(wanted, target);
      space.take(n);
      return n;
    }
    const tableName = relationNames.get(relationKey(table)) ?? table.name;
    return allocate(space, `${tableName}_${wanted}`, `constraint:${table.schema}.${table.name}.${name}`, true);
  }

  return {
    namespace: namespaceOf,
    table(q: QualifiedName): QualifiedName {
      const ns = namespaceOf(q.schema);
      let name = relationNames.get(relationKey(q));
      if (name === undefined) {
        name = allocate(spaceOf(relationSpaces, ns), q.name, `table:${q.schema}.${q.name}`, true);
        relationNames.set(relationKey(q), name);
      }
      return { schema: ns, name };
    },
    column(table: QualifiedName, column: string): string {
      const key = `${relationKey(table)}\u0000${column}`;
      let name = columnNames.get(key);
      if (name === undefined) {
        name = allocate(spaceOf(columnSpaces, relationKey(table)), column, `table:${table.schema}.${table.name}.${column}`, true);
        columnNames.set(key, name);
      }
      return name;
    },
    constraint(table: QualifiedName, name: string): string {
      const key = `${relationKey(table)}\u0000${name}`;
      let out = constraintNames.get(key);
      if (out === undefined) {
        out = allocateConstraint(spaceOf(constraintSpaces, namespaceOf(table.schema)), table, name);
        constraintNames.set(key, out);
      }
      return out;
    },
    warnings: () => [...warnings],
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where each source namespace lands on the target (see ConversionOptions.targetSchema). */
export function namespaceMapper(source: Schema, target: EngineKind, options: ConversionOptions): (schema: string) => string {
  if (source.engine === 'mysql' && target === 'postgres') {
    const ns = options.targetSchema ?? 'public';
    return () => ns;
  }
  if (source.engine === 'mysql' && target === 'mysql') {
    return () => options.targetDatabase;
  }
  if (source.engine === 'postgres' && target === 'mysql') {
    const main = source.namespaces.includes('public') || source.namespaces.length !== 1 ? 'public' : source.namespaces[0];
    // Other schemas land in databases named after the target database and the schema, so they stay together
    // and cannot meet an unrelated database of the same name on the server.
    return (schema) => (schema === main ? options.targetDatabase : shortenIdentifier(`${options.targetDatabase}_${schema}`, 'mysql'));
  }
  return (schema) => schema;
}

/** A foreign key under its target names: its own, its columns, the referenced table and columns. */
export function renameForeignKey(f: ForeignKey, table: QualifiedName, ids: IdentifierMap): ForeignKey {
  return {
    ...structuredClone(f),
    name: ids.constraint(table, f.name),
    columns: f.columns.map((c) => ids.column(table, c)),
    references: ids.table(f.references),
    referencedColumns: f.referencedColumns.map((c) => ids.column(f.references, c)),
  };
}

/**
 * An index under its target names (same engine): its own name, its columns and INCLUDE columns; expression
 * parts go through `rewriteExpression` when the expression text has to follow renamed identifiers.
 */
export function renameIndex(i: Index, table: QualifiedName, ids: IdentifierMap, rewriteExpression?: (sql: string) => string): Index {
  return {
    ...structuredClone(i),
    name: ids.constraint(table, i.name),
    parts: i.parts.map((p) => (p.column !== undefined ? { ...p, column: ids.column(table, p.column) }
      : { ...p, expression: p.expression && rewriteExpression ? rewriteExpression(p.expression) : p.expression })),
    ...(i.include ? { include: i.include.map((c) => ids.column(table, c)) } : {}),
  };
}
