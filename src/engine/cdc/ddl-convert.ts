// Source DDL during replication, converted by the schema rules: the altered tables are read from the source as
// they are now, converted like the schema phase converts them, and compared with what the target was given.
// Added and dropped columns become ALTER TABLE statements; anything the comparison cannot prove safe (a rename,
// a changed type, a column added with a computed default) pauses the table with what to do.
import type { ConnectionConfig } from '../connection';
import { convertSchema } from '../convert';
import type { ColumnMapping, TableMapping } from '../convert/types';
import { type Column, type QualifiedName, qualifiedKey } from '../model';
import { quoteMysqlIdent } from '../mysql/connect';
import { quoteMysqlQualified, renderColumn as renderMysqlColumn } from '../mysql/ddl';
import { quotePgIdent } from '../postgres/connect';
import { renderColumn as renderPgColumn } from '../postgres/ddl';
import { introspectSource } from '../schema';
import type { Task } from '../task';

export type ConvertedDdl =
  | { statements: string[]; mappings: TableMapping[] }
  | { reason: string; fix: string };

const FIX_BY_HAND = 'make the equivalent change on the target by hand, then run the task again (ferry run): the paused table catches up from where it stopped';

/** A column's source definition, for telling a changed column from an unchanged one. */
function sourceShape(c: Column): string {
  return JSON.stringify([c.native, c.nullable, c.generated?.expression ?? null]);
}

/**
 * The target statements for a DDL that changed `tables` on the source, and the table mappings to use from here
 * on (the old ones with the added columns in source order, without the dropped ones), or why the change has to
 * be made by hand. `current` holds the mappings replication used so far (hand-edited types stay as they are);
 * `imageOrder` the column order in which the reader gives the rows after the change (by `schema.name`).
 */
export async function convertSourceDdl(task: Task, source: ConnectionConfig, target: ConnectionConfig,
  tables: QualifiedName[], current: TableMapping[], imageOrder: Record<string, string[]> = {}): Promise<ConvertedDdl> {
  const wanted = new Set(tables.map(qualifiedKey));
  const schema = await introspectSource(source, { objects: { include: tables.map((t) => `${t.schema}.${t.name}`), exclude: [] } });
  schema.tables = schema.tables.filter((t) => wanted.has(qualifiedKey(t)));
  const converted = convertSchema(schema, target.engine, {
    lossless: task.options.lossless, identifierCase: task.options.identifierCase,
    targetSchema: task.options.targetSchema, targetDatabase: target.database,
  });
  const statements: string[] = [];
  const mappings: TableMapping[] = [];
  for (const t of tables) {
    const key = qualifiedKey(t);
    const before = current.find((m) => qualifiedKey(m.source) === key);
    const now = converted.tables.find((m) => qualifiedKey(m.source) === key);
    if (!before) continue;
    if (!now) return { reason: `${key} is no longer on the source (dropped or renamed)`, fix: FIX_BY_HAND };
    const oldCols = new Map(before.columns.map((c) => [c.source.name, c]));
    const newNames = new Set(now.columns.map((c) => c.source.name));
    const added = now.columns.filter((c) => !oldCols.has(c.source.name));
    const dropped = before.columns.filter((c) => !newNames.has(c.source.name));
    if (added.length > 0 && dropped.length > 0) {
      return { reason: `${key}: columns ${dropped.map((c) => c.source.name).join(', ')} went and ${added.map((c) => c.source.name).join(', ')} came in one change (a rename would lose the column's values if replayed as drop and add)`, fix: FIX_BY_HAND };
    }
    for (const c of now.columns) {
      const old = oldCols.get(c.source.name);
      if (old && sourceShape(old.source) !== sourceShape(c.source)) {
        return { reason: `${key}: column ${c.source.name} changed from ${old.source.native} to ${c.source.native}`, fix: FIX_BY_HAND };
      }
    }
    if (before.source.primaryKey.join('\u0000') !== now.source.primaryKey.join('\u0000')) {
      return { reason: `${key}: the primary key changed (${before.source.primaryKey.join(', ') || 'none'} -> ${now.source.primaryKey.join(', ') || 'none'})`, fix: FIX_BY_HAND };
    }
    for (const c of added) {
      const d = c.source.default;
      // Existing rows got the default on the source when the column came; only a constant gives the target the same values.
      if (d && d.kind !== 'literal') {
        return { reason: `${key}: column ${c.source.name} was added with the computed default ${d.kind === 'expression' ? d.sql : 'CURRENT_TIMESTAMP'}, whose values for the existing rows the target cannot reproduce`, fix: FIX_BY_HAND };
      }
      if (c.source.generated) {
        return { reason: `${key}: generated column ${c.source.name} was added`, fix: FIX_BY_HAND };
      }
    }
    const table = target.engine === 'mysql' ? quoteMysqlQualified(before.target) : `${quotePgIdent(before.target.schema)}.${quotePgIdent(before.target.name)}`;
    for (const c of dropped) statements.push(`ALTER TABLE ${table} DROP COLUMN ${target.engine === 'mysql' ? quoteMysqlIdent(c.target.name) : quotePgIdent(c.target.name)}`);
    for (const c of added) statements.push(`ALTER TABLE ${table} ADD COLUMN ${target.engine === 'mysql' ? renderMysqlColumn(c.target) : renderPgColumn(c.target)}`);
    // The mapping follows the reader's image order (the source's column order after the change).
    const order = imageOrder[key] ?? now.source.columns.map((c) => c.name);
    const rank = (name: string) => { const i = order.indexOf(name); return i < 0 ? order.length : i; };
    const columns: ColumnMapping[] = now.columns.map((c) => oldCols.get(c.source.name) ?? c)
      .sort((a, b) => rank(a.source.name) - rank(b.source.name));
    mappings.push({
      ...before,
      source: { ...before.source, columns: [...now.source.columns].sort((a, b) => rank(a.name) - rank(b.name)) },
      target: { ...before.target, columns: columns.map((c) => c.target) },
      columns,
    });
  }
  return { statements, mappings };
}
