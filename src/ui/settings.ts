// The one typed accessor for Ferry's settings (contributes.configuration in package.json).
import type { TaskOptions } from '../engine/task';

export type LogLevelSetting = 'trace' | 'debug' | 'info' | 'warning' | 'error';
export type ResumeOnStartup = 'ask' | 'always' | 'never';

export interface FerrySettings {
  defaultParallelism: number;
  chunkRows: number;
  losslessConversion: boolean;
  identifierCase: TaskOptions['identifierCase'];
  /** MySQL -> PostgreSQL: the target schema new tasks use ('' = the engine's default, public). */
  targetSchema: string;
  logLevel: LogLevelSetting;
  progressLogIntervalSeconds: number;
  resumeOnStartup: ResumeOnStartup;
}

export const DEFAULT_SETTINGS: FerrySettings = {
  defaultParallelism: 4,
  chunkRows: 50_000,
  losslessConversion: true,
  identifierCase: 'lower',
  targetSchema: '',
  logLevel: 'info',
  progressLogIntervalSeconds: 10,
  resumeOnStartup: 'ask',
};

/** The part of vscode.WorkspaceConfiguration this reads (so tests can pass a plain object). */
export interface ConfigurationReader {
  get<T>(section: string): T | undefined;
}

function intIn(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], fallback: T): T {
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

/**
 * Reads the `ferry.*` section. A value a user typed by hand outside the schema (settings.json accepts
 * anything) is clamped or replaced by the default rather than reaching the engine.
 */
export function readSettings(config: ConfigurationReader): FerrySettings {
  const d = DEFAULT_SETTINGS;
  return {
    defaultParallelism: intIn(config.get('defaultParallelism'), 1, 64, d.defaultParallelism),
    chunkRows: intIn(config.get('chunkRows'), 100, 10_000_000, d.chunkRows),
    losslessConversion: typeof config.get('losslessConversion') === 'boolean' ? config.get<boolean>('losslessConversion') as boolean : d.losslessConversion,
    identifierCase: oneOf(config.get('identifierCase'), ['lower', 'preserve'] as const, d.identifierCase),
    targetSchema: typeof config.get('targetSchema') === 'string' ? (config.get<string>('targetSchema') as string).trim() : d.targetSchema,
    logLevel: oneOf(config.get('logLevel'), ['trace', 'debug', 'info', 'warning', 'error'] as const, d.logLevel),
    progressLogIntervalSeconds: intIn(config.get('progressLogIntervalSeconds'), 1, 3600, d.progressLogIntervalSeconds),
    resumeOnStartup: oneOf(config.get('resumeOnStartup'), ['ask', 'always', 'never'] as const, d.resumeOnStartup),
  };
}

/** The task options a new task gets from the settings. */
export function taskOptionsFrom(s: FerrySettings): TaskOptions {
  const options: TaskOptions = { chunkRows: s.chunkRows, lossless: s.losslessConversion, identifierCase: s.identifierCase };
  if (s.targetSchema !== '') options.targetSchema = s.targetSchema;
  return options;
}
