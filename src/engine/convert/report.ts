// The conversion report: per object the source DDL, the generated target DDL, the override that
// replaces it, and its Warnings — what `ferry schema` prints and the diff view shows.
import type { EngineKind, QualifiedName, Schema } from '../model';
import { mysqlDdl } from '../mysql/ddl';
import { postgresDdl } from '../postgres/ddl';
import type { Conversion } from './index';
import type { ConversionReport, ConvertedObject, DdlObject, DdlRenderer, ObjectKind, Warning } from './types';
import { objectId } from './types';
import { joinStatements } from '../sql-split';

export const RENDERERS: Record<EngineKind, DdlRenderer> = { mysql: mysqlDdl, postgres: postgresDdl };

const SUB_KINDS: ObjectKind[] = ['index', 'constraint', 'foreign_key', 'trigger'];

/** Maps each target object id to the source object id it came from. */
function sourceIds(conversion: Conversion): Map<string, string> {
  const { source, ids } = conversion;
  const map = new Map<string, string>();
  const add = (kinds: ObjectKind[], from: QualifiedName, to: QualifiedName, sub?: [string, string]) => {
    for (const k of kinds) map.set(objectId(k, to, sub?.[1]), objectId(k, from, sub?.[0]));
  };
  for (const t of source.tables) {
    const q = { schema: t.schema, name: t.name };
    const tq = ids.table(q);
    add(['table'], q, tq);
    const subs = [...(t.primaryKeyName ? [t.primaryKeyName] : []), ...t.indexes.map((i) => i.name),
      ...t.foreignKeys.map((f) => f.name), ...t.checks.map((c) => c.name)];
    for (const s of subs) add(SUB_KINDS, q, tq, [s, ids.constraint(q, s)]);
  }
  for (const v of source.views) add(['view'], v, ids.table(v));
  for (const s of source.sequences) add(['sequence'], s, ids.table(s));
  for (const t of source.types) add(['type'], t, ids.table(t));
  for (const r of source.routines) add(['routine'], r, ids.table(r));
  for (const tr of source.triggers) {
    add(['trigger'], tr, ids.table(tr));
    // PostgreSQL trigger names are unique per table only, so the renderers id them under their table.
    map.set(objectId('trigger', ids.table(tr.table), ids.constraint(tr.table, tr.name)), objectId('trigger', tr.table, tr.name));
  }
  return map;
}


/** Source-side text of every source object, by source id: the source dialect's rendering, else the catalog text. */
function sourceTexts(source: Schema): Map<string, string> {
  const texts = new Map<string, string>();
  for (const o of RENDERERS[source.engine].renderSchema(source)) {
    texts.set(o.id, texts.has(o.id) ? `${texts.get(o.id)}\n\n${joinStatements(o.statements, source.engine)}` : joinStatements(o.statements, source.engine));
  }
  // Prefer the server's own definition text for tables, views, routines and triggers when it has one.
  for (const t of source.tables) if (t.definition) texts.set(objectId('table', t), t.definition);
  for (const v of source.views) if (v.definition) texts.set(objectId('view', v), v.definition);
  for (const r of source.routines) texts.set(objectId('routine', r), r.definition);
  for (const tr of source.triggers) {
    texts.set(objectId('trigger', tr), tr.definition);
    texts.set(objectId('trigger', tr.table, tr.name), tr.definition);
  }
  return texts;
}

function warningsFor(id: string, sourceId: string | undefined, warnings: Warning[]): Warning[] {
  const matches = (object: string, oid: string) => object === oid || object.startsWith(`${oid}.`);
  return warnings.filter((w) => matches(w.object, id) || (sourceId !== undefined && matches(w.object, sourceId)));
}

/**
 * Builds the report: the target renderer's objects merged by id (an object may be rendered in several
 * phases, e.g. a table and its identity restart), the manual items, and the overrides by object id.
 */
export function buildReport(conversion: Conversion, overrides: Record<string, string> = {}): ConversionReport {
  const targetEngine = conversion.target.engine;
  const rendered = RENDERERS[targetEngine].renderSchema(conversion.target);
  const toSource = sourceIds(conversion);
  const texts = sourceTexts(conversion.source);
  const objects: ConvertedObject[] = [];
  const byKey = new Map<string, ConvertedObject>();

  const phaseOf = new Map<string, string>();
  const push = (rendered: DdlObject) => {
    // An object rendered in several phases (a table and its identity restart) gets one id per phase, so an
    // override of the table never swallows the restart that must run after the data load.
    const first = phaseOf.get(rendered.id);
    if (first === undefined) phaseOf.set(rendered.id, rendered.phase);
    const o = first === undefined || first === rendered.phase ? rendered : { ...rendered, id: `${rendered.id}@${rendered.phase}` };
    const key = `${o.id}\u0000${o.phase}`;
    const existing = byKey.get(key);
    if (existing) {
      existing.generatedDdl = `${existing.generatedDdl}\n\n${joinStatements(o.statements, targetEngine)}`;
      existing.targetDdl = existing.generatedDdl;
      return;
    }
    const sid = toSource.get(rendered.id);
    const generated = joinStatements(o.statements, targetEngine);
    const obj: ConvertedObject = {
      id: o.id, kind: o.kind, phase: o.phase,
      sourceDdl: (sid && texts.get(sid)) ?? '',
      generatedDdl: generated, targetDdl: generated, overridden: false, manual: false,
      warnings: warningsFor(o.id, sid, conversion.warnings), dependsOn: o.dependsOn,
    };
    byKey.set(key, obj);
    objects.push(obj);
  };
  rendered.forEach(push);

  for (const m of conversion.manual) {
    const targetName = m.kind === 'trigger' || m.kind === 'routine' || m.kind === 'view' ? conversion.ids.table(m.source) : m.source;
    const id = m.id || objectId(m.kind, targetName);
    const sid = toSource.get(id) ?? objectId(m.kind, m.source);
    objects.push({
      id, kind: m.kind, phase: 'post-data', sourceDdl: m.definition, generatedDdl: '', targetDdl: '', overridden: false,
      manual: true, warnings: warningsFor(id, sid, conversion.warnings), dependsOn: [],
    });
  }

  const reportWarnings = [...conversion.warnings];
  const known = new Set(objects.map((o) => o.id));
  for (const [id, ddl] of Object.entries(overrides)) {
    if (!known.has(id)) {
      reportWarnings.push({ code: 'OVERRIDE_UNKNOWN_OBJECT', object: id, level: 'warn',
        message: `schemaOverrides has an entry for "${id}", which the conversion does not produce`,
        fix: 'remove the entry, or fix its id (run `ferry schema` to list the ids)' });
      continue;
    }
    for (const o of objects.filter((x) => x.id === id)) {
      o.overridden = true;
      o.targetDdl = ddl;
    }
  }
  return { sourceEngine: conversion.source.engine, targetEngine, objects, warnings: reportWarnings };
}

/** The report as text for the CLI: per object, warnings and the DDL that will be applied. */
export function formatReport(report: ConversionReport): string {
  const lines: string[] = [];
  lines.push(`-- Ferry schema conversion ${report.sourceEngine} -> ${report.targetEngine}: ${report.objects.length} objects, ${report.warnings.length} warnings`);
  for (const phase of ['pre-data', 'post-data', 'finalize'] as const) {
    const objs = report.objects.filter((o) => o.phase === phase);
    if (objs.length === 0) continue;
    lines.push('', `-- ===== ${phase} =====`);
    for (const o of objs) {
      lines.push('', `-- ${o.id}${o.overridden ? ' (override from the task file)' : ''}${o.manual ? ' (needs manual conversion)' : ''}`);
      for (const w of o.warnings) lines.push(`--   ${w.level.toUpperCase()} ${w.code}: ${w.message}${w.fix ? ` (fix: ${w.fix})` : ''}`);
      if (o.targetDdl) lines.push(o.targetDdl);
      else if (o.manual) lines.push(...o.sourceDdl.split('\n').map((l) => `-- | ${l}`));
    }
  }
  const attached = new Set(report.objects.flatMap((o) => o.warnings));
  const loose = report.warnings.filter((w) => !attached.has(w));
  if (loose.length > 0) {
    lines.push('', '-- ===== other warnings =====');
    for (const w of loose) lines.push(`--   ${w.level.toUpperCase()} ${w.code} ${w.object}: ${w.message}${w.fix ? ` (fix: ${w.fix})` : ''}`);
  }
  return lines.join('\n') + '\n';
}
