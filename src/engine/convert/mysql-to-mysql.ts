// MySQL/MariaDB -> MySQL/MariaDB: a same-engine copy. Types, zero dates, unsigned, charsets and collations
// stay exactly as they are; only names move (the source database becomes the target database).
import { renameForeignKey, renameIndex } from './identifiers';
import type { Column, ForeignKey, Index, QualifiedName, Routine, Schema, Table, Trigger, View } from '../model';
import type { ConversionContext, RuleSet } from './context';
import type { ColumnMapping, ConvertedSchema, TableMapping } from './types';
import { quoteMysqlIdent } from '../mysql/connect';

/**
 * Replaces the qualifier `src`. (and bare src.) with `dst`. outside string literals and comments, so that
 * views, triggers and routines that name their own database point at the target database.
 */
export function requalifyMysqlSql(sql: string, from: string, to: string): string {
  if (from === to) return sql;
  const quotedFrom = quoteMysqlIdent(from);
  const bare = /^[A-Za-z0-9_$]+$/.test(from) && !/^\d+$/.test(from) ? from : undefined;
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\') { j += 2; continue; }
        if (sql[j] === ch) { if (sql[j + 1] === ch) { j += 2; continue; } break; }
        j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '-' && sql[i + 1] === '-' || ch === '#') {
      const j = sql.indexOf('\n', i);
      const end = j < 0 ? sql.length : j;
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const j = sql.indexOf('*/', i + 2);
      const end = j < 0 ? sql.length : j + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '`') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '`' && sql[j + 1] !== '`')) j += sql[j] === '`' ? 2 : 1;
      const token = sql.slice(i, j + 1);
      out += token === quotedFrom && sql[j + 1] === '.' ? quoteMysqlIdent(to) : token;
      i = j + 1;
    } else if (bare && /[A-Za-z0-9_$]/.test(ch) && !/[A-Za-z0-9_$.`]/.test(sql[i - 1] ?? ' ')) {
      let j = i;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j])) j++;
      const word = sql.slice(i, j);
      out += word.toLowerCase() === bare.toLowerCase() && sql[j] === '.' ? quoteMysqlIdent(to) : word;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Removes `DEFINER=user@host` from a CREATE text: the target's applying user becomes the definer. */
export function stripDefiner(definition: string): string {
  return definition.replace(/\bDEFINER\s*=\s*(?:CURRENT_USER(?:\(\))?|(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\s@]+)(?:@(?:`(?:[^`]|``)*`|'(?:[^']|'')*'|\S+))?)\s+/i, '');
}

/** A table's row identity: the primary key, else the first unique index over NOT NULL plain columns. */
export function rowKey(t: Table): string[] {
  if (t.primaryKey.length > 0) return [...t.primaryKey];
  const notNull = new Set(t.columns.filter((c) => !c.nullable).map((c) => c.name));
  const u = t.indexes.find((i) => i.unique && i.parts.every((p) => p.column !== undefined && !p.prefixLength && notNull.has(p.column)));
  return u ? u.parts.map((p) => p.column!) : [];
}

export const mysqlToMysql: RuleSet = (source: Schema, ctx: ConversionContext): ConvertedSchema => {
  const { ids } = ctx;
  const database = ctx.options.targetDatabase;
  const sql = (text: string) => requalifyMysqlSql(text, source.database, database);
  const tables: Table[] = [];
  const mappings: TableMapping[] = [];

  for (const t of source.tables) {
    const q: QualifiedName = { schema: t.schema, name: t.name };
    const target = ids.table(q);
    const col = (name: string) => ids.column(q, name);
    const columns: ColumnMapping[] = t.columns.map((c): ColumnMapping => {
      const copy: Column = structuredClone(c);
      copy.name = col(c.name);
      if (copy.generated) copy.generated.expression = sql(copy.generated.expression);
      if (copy.default?.kind === 'expression') copy.default.sql = sql(copy.default.sql);
      return { source: c, target: copy };
    });
    const indexes: Index[] = t.indexes.map((i) => renameIndex(i, q, ids, sql));
    const foreignKeys: ForeignKey[] = t.foreignKeys.map((f) => renameForeignKey(f, q, ids));
    const table: Table = {
      ...structuredClone(t),
      schema: target.schema,
      name: target.name,
      columns: columns.map((m) => m.target),
      primaryKey: t.primaryKey.map(col),
      indexes,
      foreignKeys,
      checks: t.checks.map((c) => ({ name: ids.constraint(q, c.name), expression: sql(c.expression) })),
      partitioning: t.partitioning && {
        ...structuredClone(t.partitioning),
        columns: t.partitioning.columns.map(col),
        key: t.partitioning.columns.length > 0 && t.partitioning.key === t.partitioning.columns.map(quoteMysqlIdent).join(',')
          ? t.partitioning.columns.map((c) => quoteMysqlIdent(col(c))).join(',') : t.partitioning.key,
      },
    };
    tables.push(table);
    mappings.push({ source: t, target: table, columns, key: rowKey(t) });
  }

  const views: View[] = source.views.map((v) => ({ ...structuredClone(v), ...ids.table(v), query: sql(v.query) }));
  const triggers: Trigger[] = source.triggers.map((tr) => ({
    ...structuredClone(tr), ...ids.table(tr), table: ids.table(tr.table), definition: sql(stripDefiner(tr.definition)),
  }));
  const routines: Routine[] = source.routines.map((r) => ({ ...structuredClone(r), ...ids.table(r), definition: sql(stripDefiner(r.definition)) }));
  const sequences = source.sequences.map((s) => ({ ...structuredClone(s), ...ids.table(s) }));

  return {
    target: {
      engine: 'mysql',
      serverVersion: source.serverVersion,
      database,
      namespaces: [database],
      tables, views, sequences, types: [], routines, triggers,
      settings: { ...source.settings },
    },
    tables: mappings,
    warnings: [],
    manual: [],
  };
};
