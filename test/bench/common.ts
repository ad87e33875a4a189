// Shared pieces of the benchmark: how Ferry is started, task files, the passwords' environment.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MYSQL_PASSWORD, PG_PASSWORD, ROOT } from '../helpers/db';

export const FERRY = `node ${JSON.stringify(path.join(ROOT, 'bin', 'ferry.js'))}`;
export const BENCH_ENV = {
  ...process.env,
  FERRY_SOURCE_PASSWORD: '', FERRY_TARGET_PASSWORD: '',
  MYSQL_PWD: MYSQL_PASSWORD, PGPASSWORD: PG_PASSWORD,
  MYSQL_PASSWORD, PG_PASSWORD,
};

/** Writes a task file for a pair and returns its path. */
export function writeTask(dir: string, name: string, source: string, target: string, phases: string[], include: string[], parallelism = 4): string {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, source, target, phases, objects: { include, exclude: [] }, parallelism, schemaOverrides: {} }, null, 2));
  return file;
}

/** Environment giving the CLI the passwords of a source/target pair. */
export function ferryEnv(sourceEngine: 'mysql' | 'postgres', targetEngine: 'mysql' | 'postgres'): NodeJS.ProcessEnv {
  return {
    ...BENCH_ENV,
    FERRY_SOURCE_PASSWORD: sourceEngine === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD,
    FERRY_TARGET_PASSWORD: targetEngine === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD,
  };
}
