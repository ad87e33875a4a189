// A value that cannot be converted or that the target rejects stops the load naming table, key and value;
// nothing half-written is left, and no committed row is left without its checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unsignedBigintToBigint } from '../../src/engine/convert/mysql-to-postgres-values';
import type { TableMapping } from '../../src/engine/convert/types';
import { TaskEvents } from '../../src/engine/events';
import { runFullLoad } from '../../src/engine/fullload';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { connectMysql } from '../../src/engine/mysql/connect';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, mysqlUrl, pgUrl, psql } from '../helpers/db';
import { makeTask, mysqlConn, pgConn } from './fullload-helpers';

async function setup(t: import('node:test').TestContext, badRow: string) {
  const src = await createMysqlDb('fl_err');
  const dst = await createPgDb('fl_errdst');
  t.after(async () => { await dropMysqlDb(src); await dropPgDb(dst); });
  const c = await mysqlAdmin(src);
  await c.query('CREATE TABLE big (id INT PRIMARY KEY, v BIGINT UNSIGNED NOT NULL, small INT NOT NULL)');
  await c.query('INSERT INTO big SELECT seq, seq * 10, seq FROM seq_1_to_3000');
  await c.query(badRow);
  await c.end();
  psql(dst, 'CREATE TABLE public.big (id integer PRIMARY KEY, v bigint NOT NULL, small smallint NOT NULL)');
  const conn = await connectMysql(mysqlConn(src));
  const schema = await introspectMysql(conn, src);
  await conn.end();
  const table = schema.tables[0];
  const mapping: TableMapping = {
    source: table, target: { ...table, schema: 'public' }, key: ['id'],
    columns: table.columns.map((col) => ({ source: col, target: col,
      convert: col.name === 'v' ? unsignedBigintToBigint({ column: 'big.v', lossless: false }) : undefined })),
  };
  const task = makeTask(`err_${src}`, mysqlUrl(src), pgUrl(dst));
  return { src, dst, mapping, task };
}

function assertNothingUnmarked(dst: string): void {
  const [doneRows, targetRows, undone] = psql(dst, `SELECT (SELECT coalesce(sum(rows), 0) FROM ferry_meta.chunk WHERE done),
    (SELECT count(*) FROM public.big), (SELECT count(*) FROM ferry_meta.chunk WHERE NOT done)`).trim().split('|').map(Number);
  assert.equal(targetRows, doneRows, 'every row on the target belongs to a chunk marked done');
  assert.ok(undone >= 1, 'the failing chunk is not marked done');
}

test('stops on a value the converter refuses, naming table, key and value', async (t) => {
  const { dst, mapping, task } = await setup(t, 'UPDATE big SET v = 18446744073709551615 WHERE id = 2345');
  await assert.rejects(
    runFullLoad({ task, source: mysqlConn(mapping.source.schema), target: pgConn(dst), tables: [mapping], events: new TaskEvents(task.name),
      signal: new AbortController().signal, parallelism: 2, chunkRows: 500 }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'VALUE_CONVERSION');
      assert.match(err.message, /big/);
      assert.match(err.message, /id="2345"/);
      assert.match(err.message, /18446744073709551615/);
      return true;
    });
  assertNothingUnmarked(dst);
  assert.equal(psql(dst, 'SELECT count(*) FROM public.big WHERE id = 2345').trim(), '0');
});

test('stops on a value the target rejects, naming table, key and value', async (t) => {
  const { dst, mapping, task } = await setup(t, 'UPDATE big SET small = 100000 WHERE id = 1777');
  await assert.rejects(
    runFullLoad({ task, source: mysqlConn(mapping.source.schema), target: pgConn(dst), tables: [mapping], events: new TaskEvents(task.name),
      signal: new AbortController().signal, parallelism: 2, chunkRows: 500 }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TARGET_REJECTED_ROW');
      assert.match(err.message, /big/);
      assert.match(err.message, /id="1777"/);
      assert.match(err.message, /100000/);
      return true;
    });
  assertNothingUnmarked(dst);
  const meta = psql(dst, `SELECT state, last_error FROM ferry_meta.task WHERE name = '${task.name}'`);
  assert.match(meta, /^failed\|.*1777/);
});

test('refuses to copy into a non-empty target table that no checkpoint covers', async (t) => {
  const { dst, mapping, task } = await setup(t, 'DO 0');
  psql(dst, 'INSERT INTO public.big VALUES (1, 1, 1), (2, 2, 2)');
  await assert.rejects(
    runFullLoad({ task, source: mysqlConn(mapping.source.schema), target: pgConn(dst), tables: [mapping], events: new TaskEvents(task.name),
      signal: new AbortController().signal, parallelism: 2, chunkRows: 500 }),
    /target table public\.big already holds 2 rows/);
  assert.equal(psql(dst, 'SELECT count(*) FROM public.big').trim(), '2');
});
