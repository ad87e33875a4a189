// Conversion entry point: picks the rule set for a direction and builds the conversion report.
import type { EngineKind, Schema } from '../model';
import type { ConversionContext, RuleSet } from './context';
import { createIdentifierMap } from './identifiers';
import { mysqlToMysql } from './mysql-to-mysql';
import { mysqlToPostgres } from './mysql-to-postgres';
import { postgresToMysql } from './postgres-to-mysql';
import { postgresToPostgres } from './postgres-to-postgres';
import type { ConversionOptions, ConvertedSchema, IdentifierMap, Warning } from './types';

const RULE_SETS: Record<`${EngineKind}->${EngineKind}`, RuleSet> = {
  'mysql->postgres': mysqlToPostgres,
  'postgres->mysql': postgresToMysql,
  'mysql->mysql': mysqlToMysql,
  'postgres->postgres': postgresToPostgres,
};

export interface Conversion extends ConvertedSchema {
  source: Schema;
  ids: IdentifierMap;
  options: ConversionOptions;
}

/** Converts a source schema for the target engine; every lossy step and rename is a Warning. */
export function convertSchema(source: Schema, target: EngineKind, options: ConversionOptions): Conversion {
  const ids = createIdentifierMap(source, target, options);
  const collected: Warning[] = [];
  const ctx: ConversionContext = { options, ids, warn: (w) => collected.push(w) };
  const out = RULE_SETS[`${source.engine}->${target}`](source, ctx);
  return { ...out, source, ids, options, warnings: dedupeWarnings([...ids.warnings(), ...collected, ...out.warnings]) };
}

export function dedupeWarnings(warnings: Warning[]): Warning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const k = `${w.code}\u0000${w.object}\u0000${w.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
