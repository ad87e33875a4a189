import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TaskError } from '../../src/engine/errors';
import { loadTask, objectFilter, serializeTask, validateTask } from '../../src/engine/task';

const base = { name: 'sakila-to-pg', source: 'mysql://root@127.0.0.1:3306/sakila', target: 'postgres://postgres@127.0.0.1:5432/sakila' };

function errorOf(fn: () => unknown): TaskError {
  try { fn(); } catch (e) { assert.ok(e instanceof TaskError, `expected TaskError, got ${String(e)}`); return e; }
  assert.fail('expected an error');
}

test('fills defaults for a minimal task', () => {
  const t = validateTask(base);
  assert.deepEqual(t.phases, ['schema', 'full', 'incremental']);
  assert.deepEqual(t.objects, { include: ['*'], exclude: [] });
  assert.equal(t.parallelism, 4);
  assert.deepEqual(t.schemaOverrides, {});
  assert.equal(t.options.lossless, true);
});

test('rejects an unknown field and names it', () => {
  const e = errorOf(() => validateTask({ ...base, paralelism: 4 }));
  assert.match(e.message, /unknown field "paralelism"/);
  assert.match(e.fix ?? '', /parallelism/);
});

test('rejects an unknown engine in a URL with the fix', () => {
  const e = errorOf(() => validateTask({ ...base, source: 'oracle://scott@db/orcl' }));
  assert.match(e.message, /unknown engine "oracle"/);
  assert.match(e.fix ?? '', /mysql:\/\//);
});

test('rejects a URL without a database', () => {
  const e = errorOf(() => validateTask({ ...base, target: 'postgres://postgres@127.0.0.1:5432' }));
  assert.match(e.message, /names no database/);
});

test('rejects a malformed URL', () => {
  const e = errorOf(() => validateTask({ ...base, source: 'not a url' }));
  assert.match(e.message, /not a valid URL/);
});

test('rejects unknown phases, bad parallelism and bad override keys', () => {
  assert.match(errorOf(() => validateTask({ ...base, phases: ['schema', 'copy'] })).message, /unknown phase "copy"/);
  assert.match(errorOf(() => validateTask({ ...base, parallelism: 0 })).message, /parallelism/);
  assert.match(errorOf(() => validateTask({ ...base, schemaOverrides: { film: 'CREATE TABLE x()' } })).message, /not an object id/);
  assert.match(errorOf(() => validateTask({ ...base, options: { lossy: true } })).message, /unknown field "options.lossy"/);
});

test('keeps phases in execution order whatever order the file lists them in', () => {
  assert.deepEqual(validateTask({ ...base, phases: ['incremental', 'schema'] }).phases, ['schema', 'incremental']);
});

test('reports invalid JSON with the file name and the parser message', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-task-'));
  const file = path.join(dir, 'broken.json');
  writeFileSync(file, '{"name": "x",, }');
  const e = errorOf(() => loadTask(file));
  assert.match(e.message, /broken\.json is not valid JSON/);
});

test('reports a missing task file', () => {
  assert.match(errorOf(() => loadTask('/nonexistent/ferry/task.json')).message, /no such file/);
});

test('never writes a password from a URL into the task file', () => {
  const t = validateTask({ ...base, source: 'mysql://root:s3cret-pw@127.0.0.1:3306/sakila' });
  const text = serializeTask(t);
  assert.ok(!text.includes('s3cret-pw'));
  assert.match(text, /mysql:\/\/root@127\.0\.0\.1:3306\/sakila/);
});

test('the object filter matches names and schema-qualified names with wildcards', () => {
  const f = objectFilter({ include: ['*'], exclude: ['film_text', 'legacy.*'] });
  assert.equal(f('sakila', 'film'), true);
  assert.equal(f('sakila', 'film_text'), false);
  assert.equal(f('legacy', 'anything'), false);
  const g = objectFilter({ include: ['public.pay*'], exclude: [] });
  assert.equal(g('public', 'payment'), true);
  assert.equal(g('public', 'film'), false);
});
