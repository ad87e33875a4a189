// What a rule set receives: options, the identifier map, and a place to put Warnings.
import type { Schema } from '../model';
import type { ConversionOptions, ConvertedSchema, IdentifierMap, Warning } from './types';

export interface ConversionContext {
  options: ConversionOptions;
  ids: IdentifierMap;
  warn(warning: Warning): void;
}

/** A direction's rule set: source schema in, target schema (neutral model, target type texts) out. */
export type RuleSet = (source: Schema, ctx: ConversionContext) => ConvertedSchema;
