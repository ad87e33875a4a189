// Pre-checks that follow from the converted schema alone: lossy or unsupported types, identifier collisions
// after folding or shortening, and unique keys whose target collation compares more loosely.
import type { CheckResult } from './api';
import type { ConvertedSchema, TableMapping, Warning } from './convert/types';
import type { Column, EngineKind, Index, QualifiedName } from './model';
import { check } from './precheck-probe';

const IDENTIFIER_CODES = /IDENTIFIER|COLLISION|SHORTEN|RENAME/i;

/** One result per object that carries conversion warnings about types or objects (identifiers apart). */
export function typeChecks(conversion: ConvertedSchema): CheckResult[] {
  const byObject = new Map<string, Warning[]>();
  for (const w of conversion.warnings) {
    if (IDENTIFIER_CODES.test(w.code)) continue;
    const list = byObject.get(w.object) ?? [];
    list.push(w);
    byObject.set(w.object, list);
  }
  const out: CheckResult[] = [];
  for (const [object, ws] of byObject) {
    const level = ws.some((w) => w.level === 'warn' || w.level === 'manual') ? 'warn' : 'pass';
    const fixes = [...new Set(ws.map((w) => w.fix).filter((f): f is string => !!f))];
    out.push(check(`conversion.${object}`, level, ws.some((w) => w.level === 'manual') ? 'Needs manual conversion' : 'Type conversion',
      ws.map((w) => `${w.message} [${w.code}]`).join('; '), fixes.length ? fixes.join('; ') : undefined, object));
  }
  for (const m of conversion.manual) {
    if (byObject.has(m.id)) continue;
    out.push(check(`conversion.${m.id}`, 'warn', 'Needs manual conversion', `${m.id}: ${m.reason}`,
      'write the target DDL by hand in the schema diff view (it is kept as a schemaOverride)', m.id));
  }
  if (out.length === 0) out.push(check('conversion.types', 'pass', 'Type conversion', 'every column converts to an exact target type'));
  return out;
}

const MAX_IDENTIFIER_BYTES: Record<EngineKind, number> = { postgres: 63, mysql: 64 };

function identifierTooLong(name: string, engine: EngineKind): boolean {
  // PostgreSQL counts bytes (NAMEDATALEN-1), MySQL characters.
  return engine === 'postgres' ? Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES.postgres : [...name].length > MAX_IDENTIFIER_BYTES.mysql;
}

/**
 * Identifier problems in the target schema: names equal under the target's comparison (MySQL columns are
 * always case-insensitive, tables too with lower_case_table_names), names over the length limit, and the
 * renames conversion made (which applications must follow).
 */
export function identifierChecks(conversion: ConvertedSchema, engine: EngineKind, caseInsensitiveTables: boolean): CheckResult[] {
  const out: CheckResult[] = [];
  const fold = (s: string, ci: boolean) => (ci ? s.toLowerCase() : s);
  const seen = new Map<string, QualifiedName>();
  const objects: QualifiedName[] = [...conversion.target.tables, ...conversion.target.views];
  for (const t of objects) {
    const k = `${fold(t.schema, caseInsensitiveTables)}\u0000${fold(t.name, caseInsensitiveTables)}`;
    const prev = seen.get(k);
    if (prev) {
      out.push(check('identifiers.collision', 'fail', 'Identifier collision',
        `${prev.schema}.${prev.name} and ${t.schema}.${t.name} are the same name on the target${caseInsensitiveTables ? ' (lower_case_table_names is on)' : ''}`,
        `rename one of them in the schema diff view (schemaOverrides)`, `table:${t.schema}.${t.name}`));
    } else seen.set(k, t);
    if (identifierTooLong(t.name, engine)) {
      out.push(check('identifiers.length', 'fail', 'Identifier too long', `${t.schema}.${t.name} exceeds the ${engine === 'postgres' ? 'PostgreSQL 63-byte' : 'MySQL 64-character'} limit`,
        'shorten it in the schema diff view (schemaOverrides)', `table:${t.schema}.${t.name}`));
    }
  }
  for (const t of conversion.target.tables) {
    const cols = new Map<string, string>();
    for (const c of t.columns) {
      const k = fold(c.name, engine === 'mysql');
      const prev = cols.get(k);
      if (prev !== undefined) {
        out.push(check('identifiers.collision', 'fail', 'Identifier collision',
          `columns ${prev} and ${c.name} of ${t.schema}.${t.name} are the same name on the target${engine === 'mysql' ? ' (MySQL column names ignore case)' : ''}`,
          'rename one of them in the schema diff view (schemaOverrides)', `table:${t.schema}.${t.name}.${c.name}`));
      } else cols.set(k, c.name);
      if (identifierTooLong(c.name, engine)) {
        out.push(check('identifiers.length', 'fail', 'Identifier too long', `column ${c.name} of ${t.schema}.${t.name} exceeds the target's length limit`,
          'shorten it in the schema diff view (schemaOverrides)', `table:${t.schema}.${t.name}.${c.name}`));
      }
    }
  }
  for (const w of conversion.warnings) {
    if (!IDENTIFIER_CODES.test(w.code)) continue;
    out.push(check('identifiers.renamed', 'warn', 'Identifier renamed', w.message,
      w.fix ?? 'update the applications to the new name, or keep the old one with a schemaOverride', w.object));
  }
  if (out.length === 0) out.push(check('identifiers', 'pass', 'Identifiers', 'no identifier collides or is renamed beyond case folding'));
  return out;
}

/** A unique key whose target collation may merge values the source keeps apart. */
export interface CollationRisk {
  mapping: TableMapping;
  index: Index;
  /** Source column names of the key. */
  sourceColumns: string[];
  /** The loosest target collation among the key's text columns. */
  collation: string;
}

function isTextual(c: Column): boolean {
  const k = c.type.kind === 'domain' ? c.type.base.kind : c.type.kind;
  return k === 'char' || k === 'text' || k === 'enum' || k === 'set';
}

/** Case- or accent-insensitive, or PAD SPACE (trailing spaces ignored): looser than byte equality. */
export function isLooseCollation(collation: string): boolean {
  return /_ci$|_ai$|_ai_ci$|_as_ci$/.test(collation) || !/_bin$|_cs$|_nopad_bin$|^binary$/.test(collation);
}

/**
 * Unique keys (and primary keys) of text columns that land in a MySQL collation looser than the
 * source's comparison. `defaultCollation` answers for columns and tables that name none.
 */
export function collationRisks(conversion: ConvertedSchema, sourceEngine: EngineKind, targetEngine: EngineKind,
  defaultCollation: (schema: string) => string | undefined): CollationRisk[] {
  if (targetEngine !== 'mysql') return [];
  const out: CollationRisk[] = [];
  for (const m of conversion.tables) {
    const keys: Index[] = [...m.source.indexes.filter((i) => i.unique && !i.where)];
    if (m.source.primaryKey.length > 0) {
      keys.push({ name: m.source.primaryKeyName ?? 'PRIMARY', unique: true, primary: true, method: 'btree', parts: m.source.primaryKey.map((column) => ({ column })) });
    }
    for (const idx of keys) {
      if (idx.parts.some((p) => !p.column)) continue;
      const cols = idx.parts.map((p) => p.column as string);
      let loosest: string | undefined;
      for (const sc of cols) {
        const cm = m.columns.find((c) => c.source.name === sc);
        if (!cm || !isTextual(cm.target)) continue;
        const coll = cm.target.collation ?? m.target.collation ?? defaultCollation(m.target.schema);
        if (!coll || !isLooseCollation(coll)) continue;
        // Same engine and same collation: the source already enforced uniqueness the same way.
        const srcColl = cm.source.collation ?? m.source.collation;
        if (sourceEngine === 'mysql' && srcColl === coll) continue;
        loosest = coll;
      }
      if (loosest) out.push({ mapping: m, index: idx, sourceColumns: cols, collation: loosest });
    }
  }
  return out;
}
