// PostgreSQL -> PostgreSQL rule set: a same-engine copy. Types, defaults, identity/serial positions, partitions,
// routines and triggers are carried as they are; names go through ctx.ids (kept unless it changes them).
import { renameForeignKey, renameIndex } from './identifiers';
import type { Column, ForeignKey, Index, QualifiedName, Schema, Sequence, Table, Trigger, UserType, View } from '../model';
import type { RuleSet } from './context';
import { namespaceMapper } from './identifiers';
import { rowKey } from './mysql-to-mysql';
import type { ColumnMapping, ConvertedSchema, TableMapping, Warning } from './types';
import { objectId } from './types';

export const postgresToPostgres: RuleSet = (source: Schema, ctx) => {
  const { ids } = ctx;
  const warnings: Warning[] = [];
  const renamed: string[] = [];
  const rel = (q: QualifiedName): QualifiedName => {
    const t = ids.table(q);
    if (t.schema !== q.schema || t.name !== q.name) renamed.push(`${q.schema}.${q.name} -> ${t.schema}.${t.name}`);
    return t;
  };
  const tables: Table[] = [];
  const mappings: TableMapping[] = [];

  for (const t of source.tables) {
    const q: QualifiedName = { schema: t.schema, name: t.name };
    const target = rel(q);
    const col = (name: string): string => {
      const n = ids.column(q, name);
      if (n !== name) renamed.push(`${t.schema}.${t.name}.${name} -> ${n}`);
      return n;
    };
    const columns: ColumnMapping[] = t.columns.map((c) => {
      const out: Column = structuredClone(c);
      out.name = col(c.name);
      if (out.identity?.sequence) out.identity.sequence = ids.table(out.identity.sequence);
      return { source: c, target: out };
    });
    const indexes: Index[] = t.indexes.map((i) => renameIndex(i, q, ids));
    const foreignKeys: ForeignKey[] = t.foreignKeys.map((f) => renameForeignKey(f, q, ids));
    const table: Table = {
      ...structuredClone(t),
      schema: target.schema,
      name: target.name,
      columns: columns.map((m) => m.target),
      primaryKey: t.primaryKey.map(col),
      primaryKeyName: t.primaryKeyName === undefined ? undefined : ids.constraint(q, t.primaryKeyName),
      indexes,
      foreignKeys,
      checks: t.checks.map((c) => ({ name: ids.constraint(q, c.name), expression: c.expression })),
      partitionOf: t.partitionOf ? ids.table(t.partitionOf) : undefined,
      partitioning: t.partitioning && {
        ...structuredClone(t.partitioning),
        columns: t.partitioning.columns.map(col),
        partitions: t.partitioning.partitions.map((p) => ({ ...p, name: p.table ? ids.table(p.table).name : p.name, table: p.table ? ids.table(p.table) : undefined })),
      },
      definition: undefined,
    };
    tables.push(table);
    // A partition's rows travel through its parent (reading the parent reads every partition).
    if (!t.partitionOf) mappings.push({ source: t, target: table, columns, key: rowKey(t) });
  }

  const views: View[] = source.views.map((v) => ({ ...structuredClone(v), ...rel(v), columns: v.columns.map((c) => ids.column(v, c)), definition: undefined }));
  const sequences: Sequence[] = source.sequences.map((s) => ({
    ...structuredClone(s), ...rel(s),
    ownedBy: s.ownedBy ? { table: ids.table(s.ownedBy.table), column: ids.column(s.ownedBy.table, s.ownedBy.column) } : undefined,
  }));
  const types: UserType[] = source.types.map((t) => ({ ...structuredClone(t), ...rel(t) }));
  const triggers: Trigger[] = source.triggers.map((tr) => ({ ...structuredClone(tr), schema: ids.table(tr.table).schema, table: ids.table(tr.table) }));
  const routines = source.routines.map((r) => structuredClone(r));
  for (const r of routines) {
    warnings.push({ code: 'ROUTINE_COPIED', object: objectId('routine', r), level: 'info', message: `${r.kind} ${r.schema}.${r.name} is copied with its original definition (same engine)`, fix: 'check that the extensions and roles it uses exist on the target' });
  }
  if (renamed.length > 0) {
    warnings.push({
      code: 'RENAMED_IN_SQL_TEXT', object: objectId('table', { schema: source.namespaces[0] ?? 'public', name: '*' }), level: 'warn',
      message: `names changed on the target (${renamed.slice(0, 5).join(', ')}${renamed.length > 5 ? ', …' : ''}); view, default, check, trigger and routine texts still use the source names`,
      fix: "set identifierCase to 'preserve' for a same-engine copy, or edit the affected objects' DDL",
    });
  }
  const toNamespace = namespaceMapper(source, 'postgres', ctx.options);
  const namespaces = [...new Set(source.namespaces.map(toNamespace))];
  const out: ConvertedSchema = {
    target: {
      ...structuredClone(source),
      database: ctx.options.targetDatabase,
      namespaces,
      tables, views, sequences, types, routines, triggers,
    },
    tables: mappings,
    warnings,
    manual: [],
  };
  return out;
};
