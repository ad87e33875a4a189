// Full load across engines with the real introspection and conversion rules: Sakila MariaDB -> PostgreSQL,
// Pagila PostgreSQL -> MariaDB; every table's row count equal and its content checksum equal (verify).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/engine/convert/report';
import { TaskEvents } from '../../src/engine/events';
import { runFullLoad } from '../../src/engine/fullload';
import { applyPhases, convertTaskSchema } from '../../src/engine/schema';
import { verifyTables } from '../../src/engine/verify';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, loadPagila, loadSakila, mysqlUrl, pgUrl } from '../helpers/db';
import { makeTask, mysqlConn, pgConn } from './fullload-helpers';
import type { Task } from '../../src/engine/task';
import type { ConnectionConfig } from '../../src/engine/connection';

async function migrate(task: Task, source: ConnectionConfig, target: ConnectionConfig) {
  const conversion = await convertTaskSchema(task, source, target);
  const report = buildReport(conversion, {});
  const pre = await applyPhases(target, report, ['pre-data']);
  assert.deepEqual(pre.filter((r) => !r.ok && !/^(view|routine|trigger):/.test(r.id)).map((r) => `${r.id}: ${r.error}`), []);
  const events = new TaskEvents(task.name);
  const result = await runFullLoad({ task, source, target, tables: conversion.tables, events, signal: new AbortController().signal,
    parallelism: 3, chunkRows: 1000 });
  await applyPhases(target, report, ['post-data', 'finalize']);
  const verify = await verifyTables({ source, target, tables: conversion.tables, chunkRows: 2000, rechecks: 0 });
  return { conversion, result, verify };
}

test('migrates Sakila MariaDB -> PostgreSQL with every table row count and checksum equal', async (t) => {
  const src = await loadSakila('fl_xsak');
  const dst = await createPgDb('fl_xsakdst');
  t.after(async () => { await dropMysqlDb(src); await dropPgDb(dst); });
  const task = makeTask(`x_${src}`, mysqlUrl(src), pgUrl(dst));
  const { conversion, result, verify } = await migrate(task, mysqlConn(src), pgConn(dst));
  assert.ok(conversion.tables.length >= 16);
  assert.equal(result.rows, verify.tables.reduce((s, v) => s + v.sourceRows, 0));
  for (const v of verify.tables) {
    assert.equal(v.targetRows, v.sourceRows, `${v.table} row count`);
    assert.equal(v.mismatchedChunks, 0, `${v.table} checksum ${JSON.stringify(v.differences.slice(0, 3))}`);
  }
  assert.ok(verify.equal);
});

test('migrates Pagila PostgreSQL -> MariaDB with every table row count and checksum equal', async (t) => {
  const src = await loadPagila('fl_xpag');
  const dst = await createMysqlDb('fl_xpagdst');
  t.after(async () => { await dropPgDb(src); await dropMysqlDb(dst); });
  const task = makeTask(`x_${src}`, pgUrl(src), mysqlUrl(dst));
  const { conversion, result, verify } = await migrate(task, pgConn(src), mysqlConn(dst));
  assert.ok(conversion.tables.length >= 15);
  assert.equal(result.rows, verify.tables.reduce((s, v) => s + v.sourceRows, 0));
  for (const v of verify.tables) {
    assert.equal(v.targetRows, v.sourceRows, `${v.table} row count`);
    assert.equal(v.mismatchedChunks, 0, `${v.table} checksum ${JSON.stringify(v.differences.slice(0, 3))}`);
  }
  assert.ok(verify.equal);
});
