// A value that cannot be converted or that the target rejects stops the load naming table, key and value;
// nothing half-written is left, and no committed row is left without its checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unsignedBigintToBigint } from '../../src/engine/convert/mysql-to-postgres-values';
import type { TableMapping } from '../../src/engine/convert/types';
import { TaskEvents } from '../../src/engine/events';
import { metaKey } from '../../src/engine/meta';
import { copyTableOnce, runFullLoad } from '../../src/engine/fullload';
import { buildCopySpec } from '../../src/engine/fullload/copy-spec';
import { openReadSession, openTarget } from '../../src/engine/fullload/endpoints';
import type { ConnectionConfig } from '../../src/engine/connection';
import { convertSchema } from '../../src/engine/convert/index';
import { buildReport } from '../../src/engine/convert/report';
import { applyPhases, introspectSource } from '../../src/engine/schema';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { connectMysql } from '../../src/engine/mysql/connect';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlAdmin, mysqlUrl, pgUrl, psql } from '../helpers/db';
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

// Regression: a converter that throws while rows stream into LOAD DATA LOCAL INFILE (MariaDB target) left the
// query waiting forever for the rest of the file. Both targets: the error surfaces at once, naming table, key and
// value; the chunk rolls back; the same target session then loads the corrected rows.
interface ConvertedCopy { mapping: TableMapping; source: ConnectionConfig; target: ConnectionConfig; fix: () => void; count: () => number }

async function convertedCopy(t: import('node:test').TestContext, direction: 'pg-to-mysql' | 'mysql-to-pg', rows: number, badId: number, padding: number): Promise<ConvertedCopy> {
  if (direction === 'pg-to-mysql') {
    const s = await createPgDb('hang_src');
    const d = await createMysqlDb('hang_dst');
    t.after(async () => { await dropPgDb(s); await dropMysqlDb(d); });
    psql(s, `CREATE TABLE special (id int PRIMARY KEY, n numeric(10,2), pad text);
      INSERT INTO special SELECT g, g, repeat('p', ${padding}) FROM generate_series(1, ${rows}) g WHERE g <> ${badId};
      INSERT INTO special VALUES (${badId}, 'NaN', 'bad')`);
    const source = pgConn(s);
    const target = mysqlConn(d);
    const conv = convertSchema(await introspectSource(source, { objects: { include: ['*'], exclude: [] } }), 'mysql', { lossless: true, identifierCase: 'lower', targetDatabase: d });
    await applyPhases(target, buildReport(conv), ['pre-data']);
    return { mapping: conv.tables[0], source, target,
      fix: () => { psql(s, `UPDATE special SET n = 0 WHERE id = ${badId}`); },
      count: () => Number(mariadb(d, 'SELECT COUNT(*) FROM special').trim()) };
  }
  const s = await createMysqlDb('hang_src');
  const d = await createPgDb('hang_dst');
  t.after(async () => { await dropMysqlDb(s); await dropPgDb(d); });
  mariadb(s, `CREATE TABLE special (id INT PRIMARY KEY, v BIGINT UNSIGNED NOT NULL, pad VARCHAR(250));
    INSERT INTO special SELECT seq, seq, REPEAT('p', ${padding}) FROM seq_1_to_${rows} WHERE seq <> ${badId};
    INSERT INTO special VALUES (${badId}, 18446744073709551615, 'bad')`);
  const source = mysqlConn(s);
  const target = pgConn(d);
  const schema = await introspectSource(source, { objects: { include: ['*'], exclude: [] } });
  // lossless: false keeps BIGINT UNSIGNED as bigint, so the out-of-range value fails in the converter.
  const conv = convertSchema(schema, 'postgres', { lossless: false, identifierCase: 'lower', targetDatabase: d });
  await applyPhases(target, buildReport(conv), ['pre-data']);
  return { mapping: conv.tables[0], source, target,
    fix: () => { mariadb(s, `UPDATE special SET v = 0 WHERE id = ${badId}`); },
    count: () => Number(psql(d, 'SELECT count(*) FROM public.special').trim()) };
}

for (const direction of ['pg-to-mysql', 'mysql-to-pg'] as const) {
  // The small table fits the encoder's buffer: it failed before the server asked for the file (the original hang).
  for (const [where, rows, badId, padding] of [['on the last row of a small table', 5000, 5000, 0], ['on the first row', 20000, 1, 40],
    ['after the stream is under way', 20000, 19000, 40]] as const) {
    test(`${direction}: a value the converter refuses ${where} fails the copy at once, rolls back, and leaves the target session usable`, { timeout: 60_000 }, async (t) => {
      const c = await convertedCopy(t, direction, rows, badId, padding);
      const started = Date.now();
      await assert.rejects(copyTableOnce(c.source, c.target, c.mapping), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'VALUE_CONVERSION');
        assert.match(err.message, /special/);
        assert.match(err.message, new RegExp(`id="${badId}"`));
        assert.match(err.message, direction === 'pg-to-mysql' ? /NaN/ : /18446744073709551615/);
        return true;
      });
      assert.ok(Date.now() - started < 15_000, `the error surfaced after ${Date.now() - started} ms`);
      assert.equal(c.count(), 0, 'the failed chunk left no rows');

      // The same target session: the failing write rolls back, then the corrected rows load through it.
      const spec = buildCopySpec(c.mapping);
      const chunk = { id: 1, lower: null, upper: null, estimatedRows: 0 };
      const writer = await openTarget(c.target);
      try {
        const before = await openReadSession(c.source);
        try {
          await assert.rejects(writer.writeChunk(spec, before.readChunk(spec, chunk), null), /cannot be converted/);
        } finally {
          await before.close();
        }
        assert.equal(await writer.countRows(c.mapping.target), 0);
        c.fix();
        // A new read session: the first one's snapshot predates the fix.
        const after = await openReadSession(c.source);
        try {
          const r = await writer.writeChunk(spec, after.readChunk(spec, chunk), null);
          assert.equal(r.rows, rows);
        } finally {
          await after.close();
        }
        assert.equal(await writer.countRows(c.mapping.target), rows);
      } finally {
        await writer.close();
      }
      assert.equal(c.count(), rows);
    });
  }
}

test('pg-to-mysql: a full load stopped by a converter error leaves no row on the MariaDB target without its chunk mark', { timeout: 120_000 }, async (t) => {
  const c = await convertedCopy(t, 'pg-to-mysql', 4000, 2345, 10);
  const task = makeTask(`err_${c.target.database}`, pgUrl(c.source.database ?? ''), mysqlUrl(c.target.database ?? ''));
  const key = metaKey(c.target, task.name);
  t.after(() => { mariadb('ferry_meta', `DELETE FROM chunk WHERE task = '${key}'; DELETE FROM task WHERE name = '${key}'`); });
  await assert.rejects(
    runFullLoad({ task, source: c.source, target: c.target, tables: [c.mapping], events: new TaskEvents(task.name),
      signal: new AbortController().signal, parallelism: 2, chunkRows: 500 }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'VALUE_CONVERSION');
      assert.match(err.message, /id="2345"/);
      return true;
    });
  const [doneRows, undone] = mariadb('ferry_meta', `SELECT COALESCE(SUM(\`rows\`), 0), SUM(NOT done) FROM chunk WHERE task = '${key}'`).trim().split('\t').map(Number);
  assert.equal(c.count(), doneRows, 'every row on the target belongs to a chunk marked done');
  assert.ok(undone >= 1, 'the failing chunk is not marked done');
  assert.equal(Number(mariadb(c.target.database ?? '', 'SELECT COUNT(*) FROM special WHERE id = 2345').trim()), 0);
});

// Regression: a cancel (another worker failed, or the user stopped the run) that arrived before the MariaDB
// server asked for the LOAD DATA stream was an unhandled 'error' event that crashed the process.
for (const when of ['before the target asks for the rows', 'while the rows stream']) {
  test(`pg-to-mysql: a cancel ${when} rolls the chunk back and leaves the target session usable`, { timeout: 60_000 }, async (t) => {
    const c = await convertedCopy(t, 'pg-to-mysql', 20000, 1, 40);
    c.fix();
    const spec = buildCopySpec(c.mapping);
    const chunk = { id: 1, lower: null, upper: null, estimatedRows: 0 };
    const writer = await openTarget(c.target);
    try {
      const cancel = new AbortController();
      const reader = await openReadSession(c.source);
      try {
        const writing = writer.writeChunk(spec, reader.readChunk(spec, chunk), null, cancel.signal,
          when === 'while the rows stream' ? () => cancel.abort() : undefined);
        if (when === 'before the target asks for the rows') cancel.abort();
        await assert.rejects(writing, (err: Error & { code?: string }) => { assert.equal(err.code, 'CANCELLED'); return true; });
      } finally {
        await reader.close();
      }
      assert.equal(await writer.countRows(c.mapping.target), 0);
      const again = await openReadSession(c.source);
      try {
        assert.equal((await writer.writeChunk(spec, again.readChunk(spec, chunk), null)).rows, 20000);
      } finally {
        await again.close();
      }
    } finally {
      await writer.close();
    }
    assert.equal(c.count(), 20000);
  });
}

// Regression: a PostgreSQL source session whose chunk was abandoned mid-COPY (the chunk failed or was cancelled)
// hung forever when closed, and so did the full load that closed its snapshot.
for (const direction of ['pg-to-mysql', 'mysql-to-pg'] as const) {
  test(`${direction}: a source session whose chunk read was abandoned midway closes at once`, { timeout: 60_000 }, async (t) => {
    const c = await convertedCopy(t, direction, 20000, 20000, 200);
    const spec = buildCopySpec(c.mapping);
    for (const when of ['before the first row', 'after the first row']) {
      const reader = await openReadSession(c.source);
      const rows = reader.readChunk(spec, { id: 1, lower: null, upper: null, estimatedRows: 0 });
      if (when === 'before the first row') rows.destroy();
      else await new Promise<void>((resolve) => rows.once('data', () => { rows.destroy(); resolve(); }));
      const started = Date.now();
      await reader.close();
      assert.ok(Date.now() - started < 5000, `${when}: closed after ${Date.now() - started} ms`);
    }
  });
}
