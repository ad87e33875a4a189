// Full load MariaDB->MariaDB (Sakila) and PostgreSQL->PostgreSQL (Pagila): every table's rows and content equal.
import { replicationName } from '../../src/engine/postgres/snapshot';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskEvents, type FerryEvent } from '../../src/engine/events';
import { openMetaStore } from '../../src/engine/meta';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { introspectPostgres } from '../../src/engine/postgres/introspect';
import { connectMysql } from '../../src/engine/mysql/connect';
import { connectPostgres } from '../../src/engine/postgres/connect';
import { runFullLoad } from '../../src/engine/fullload';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, loadPagila, loadSakila, mysqlUrl, pgUrl } from '../helpers/db';
import { cloneMysqlTables, clonePgTables, identityMappings, makeTask, mysqlConn, mysqlDigest, pgConn, pgDigest } from './fullload-helpers';

test('copies every Sakila table MariaDB -> MariaDB in chunks with equal rows and content', async (t) => {
  const src = await loadSakila('fl_sak');
  const dst = await createMysqlDb('fl_sakdst');
  t.after(async () => { await dropMysqlDb(src); await dropMysqlDb(dst); });
  await cloneMysqlTables(src, dst);
  const conn = await connectMysql(mysqlConn(src));
  const schema = await introspectMysql(conn, src);
  await conn.end();
  const tables = identityMappings(schema, () => dst);
  const task = makeTask(`sak_${src}`, mysqlUrl(src), mysqlUrl(dst));
  const events = new TaskEvents(task.name);
  const seen: FerryEvent[] = [];
  events.on((e) => seen.push(e));
  const result = await runFullLoad({ task, source: mysqlConn(src), target: mysqlConn(dst), tables, events,
    signal: new AbortController().signal, parallelism: 3, chunkRows: 1000 });

  for (const m of tables) {
    assert.deepEqual(mysqlDigest(dst, m.source.name), mysqlDigest(src, m.source.name), `table ${m.source.name}`);
  }
  const expectedRows = tables.reduce((s, m) => s + mysqlDigest(src, m.source.name).rows, 0);
  assert.equal(result.rows, expectedRows);
  assert.equal(result.position.engine, 'mysql');
  assert.ok(result.position.engine === 'mysql' && /\.\d+$/.test(result.position.file), 'binlog file recorded');

  const meta = await openMetaStore(mysqlConn(dst), task.name);
  t.after(() => meta.close());
  const progress = await meta.chunkProgress();
  const rental = progress.find((p) => p.table === `${src}.rental`);
  assert.ok(rental && rental.chunksTotal >= 10, 'rental (16044 rows) is split into chunks of about 1000');
  assert.ok(progress.every((p) => p.done && p.chunksDone === p.chunksTotal));
  assert.equal(progress.reduce((s, p) => s + p.rowsCopied, 0), expectedRows);
  assert.deepEqual((await meta.loadTask())?.snapshot, result.position);
  assert.ok(seen.some((e) => e.type === 'progress' && e.table === undefined && e.rows === expectedRows), 'overall progress reaches the total');
  assert.ok(seen.filter((e) => e.type === 'checkpoint').length >= progress.reduce((s, p) => s + p.chunksTotal, 0));
});

test('copies every Pagila table PostgreSQL -> PostgreSQL, partitioned payment included, with equal content', async (t) => {
  const src = await loadPagila('fl_pag');
  const dst = await createPgDb('fl_pagdst');
  t.after(async () => { await dropPgDb(src); await dropPgDb(dst); });
  clonePgTables(src, dst);
  const client = await connectPostgres(pgConn(src));
  const schema = await introspectPostgres(client);
  await client.end();
  const tables = identityMappings(schema, (tb) => tb.schema);
  assert.ok(tables.length >= 15);
  const task = makeTask(`pag_${src}`, pgUrl(src), pgUrl(dst), ['full', 'incremental']);
  const result = await runFullLoad({ task, source: pgConn(src), target: pgConn(dst), tables, events: new TaskEvents(task.name),
    signal: new AbortController().signal, parallelism: 3, chunkRows: 2000 });
  for (const m of tables) {
    assert.deepEqual(pgDigest(dst, m.target.name, m.target.schema), pgDigest(src, m.source.name, m.source.schema), `table ${m.source.name}`);
  }
  assert.ok(result.position.engine === 'postgres' && result.position.slot === replicationName(task) && /^[0-9A-F]+\/[0-9A-F]+$/.test(result.position.lsn));
  // The slot and publication are left for CDC; the publication covers the migrated tables.
  const admin = await connectPostgres(pgConn(src));
  t.after(() => admin.end());
  const slot = await admin.query('SELECT plugin, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [replicationName(task)]);
  assert.equal(slot.rows[0]?.plugin, 'pgoutput');
  const pub = await admin.query('SELECT count(*)::int AS n, bool_and(p.pubviaroot) AS root FROM pg_publication_tables pt JOIN pg_publication p USING (pubname) WHERE pubname = $1', [replicationName(task)]);
  assert.ok(pub.rows[0].n >= tables.length - 1);
});
