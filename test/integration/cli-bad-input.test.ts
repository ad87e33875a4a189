// Bad input gets a one-line error naming the problem and the fix, a non-zero exit code, and nothing on the target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { MYSQL_PASSWORD, PG_PASSWORD, createPgDb, dropMysqlDb, dropPgDb, loadSakila, mysqlUrl, pgUrl, psql } from '../helpers/db';
import { runCli, writeTaskFile } from '../helpers/cli';

let source = '';
let target = '';

before(async () => {
  source = await loadSakila('badinput_src');
  target = await createPgDb('badinput_dst');
});

after(async () => {
  await dropMysqlDb(source);
  await dropPgDb(target);
});

function task(over: Record<string, unknown> = {}): string {
  return writeTaskFile({ name: 'bad-input', source: mysqlUrl(source), target: pgUrl(target), phases: ['schema', 'full'], ...over });
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0], /^ferry: /);
  assert.match(lines[0], pattern);
  assert.match(lines[0], / — /, 'the line carries a fix after the dash');
}

function targetIsEmpty(): void {
  const count = psql(target, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`);
  assert.equal(count.trim(), '0', 'nothing may be created on the target');
}

test('a wrong source password names the user and how to supply the password', async () => {
  const r = await runCli(['schema', task(), '--apply'], { FERRY_SOURCE_PASSWORD: 'not-the-password', FERRY_TARGET_PASSWORD: PG_PASSWORD });
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /access denied for user "root".*FERRY_SOURCE_PASSWORD/);
  assert.ok(!r.stderr.includes('not-the-password'), 'the password is never printed');
  targetIsEmpty();
});

test('a wrong target password fails before anything is created', async () => {
  const r = await runCli(['schema', task(), '--apply'], { FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: 'wrong-pg-password' });
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /password authentication failed for user "postgres"/);
  assert.ok(!r.stderr.includes('wrong-pg-password'));
  targetIsEmpty();
});

test('an unreachable port says no server listens there', async () => {
  const r = await runCli(['schema', task({ source: 'mysql://root@127.0.0.1:1/sakila' }), '--apply'], { FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD });
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /connection refused — no server listens on 127\.0\.0\.1:1/);
  targetIsEmpty();
});

test('a nonexistent database says how to create it', async () => {
  const r = await runCli(['schema', task({ target: pgUrl('no_such_db_ferry') }), '--apply'], { FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD });
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /database "no_such_db_ferry" does not exist.*CREATE DATABASE/);
});

test('a malformed task file points at the JSON error', async () => {
  const file = task();
  writeFileSync(file, '{ "name": "bad-input", "source": ');
  const r = await runCli(['schema', file, '--apply'], { FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD });
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /is not valid JSON/);
  targetIsEmpty();
});

test('an unknown field in the task file is named', async () => {
  const r = await runCli(['check', task({ paralellism: 3 })], {});
  assert.notEqual(r.code, 0);
  assertOneLineError(r.stderr, /unknown field "paralellism"/);
});
