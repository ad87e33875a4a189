// Full load under stress: a concurrent writer does not leak into the snapshot; kill -9 and resume copies each finished chunk once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TaskEvents } from '../../src/engine/events';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, pgAdmin } from '../helpers/db';
import { fullLoadJob } from './fullload-child';
import { cloneMysqlTables, clonePgTables, mysqlDigest, pgDigest } from './fullload-helpers';

const ROWS = 20_000;
// An awkward table name and a reserved-word column: identifiers are quoted on every path.
const TABLE = 'item list';

async function seedMysql(): Promise<string> {
  const db = await createMysqlDb('fl_fault');
  const c = await mysqlAdmin(db);
  try {
    await c.query(`CREATE TABLE \`${TABLE}\` (id INT PRIMARY KEY, \`select\` VARCHAR(300) NOT NULL, marker VARCHAR(10) NOT NULL, note TEXT NULL) ENGINE=InnoDB`);
    await c.query(`INSERT INTO \`${TABLE}\` SELECT seq, CONCAT(REPEAT('x', 180), seq, '\\t\\\\N'), 'orig', IF(seq % 7 = 0, NULL, 'N') FROM seq_1_to_${ROWS}`);
  } finally { await c.end(); }
  return db;
}

async function seedPg(): Promise<string> {
  const db = await createPgDb('fl_fault');
  const c = await pgAdmin(db);
  try {
    await c.query(`CREATE TABLE "${TABLE}" (id int PRIMARY KEY, "select" varchar(300) NOT NULL, marker varchar(10) NOT NULL, note text NULL)`);
    await c.query(`INSERT INTO "${TABLE}" SELECT g, repeat('x', 180) || g || E'\\t\\\\N', 'orig', CASE WHEN g % 7 = 0 THEN NULL ELSE 'N' END FROM generate_series(1, ${ROWS}) g`);
  } finally { await c.end(); }
  return db;
}

/** Runs writes (update, insert, delete; each its own transaction) until stopped; returns how many committed. */
function startWriter(engine: 'mysql' | 'postgres', db: string): { stop: () => Promise<number> } {
  let running = true;
  let done = 0;
  const loop = (async () => {
    const m = engine === 'mysql' ? await mysqlAdmin(db) : undefined;
    const p = engine === 'postgres' ? await pgAdmin(db) : undefined;
    const run = async (sql: string) => { if (m) await m.query(sql.replace(/"/g, '`')); else await p?.query(sql); };
    try {
      for (let i = 1; running; i++) {
        const id = 1 + ((i * 7919) % ROWS);
        await run(`UPDATE "${TABLE}" SET marker = 'post', "select" = 'changed' WHERE id = ${id}`);
        await run(`INSERT INTO "${TABLE}" (id, "select", marker) VALUES (${ROWS + i}, 'new', 'post')`);
        await run(`DELETE FROM "${TABLE}" WHERE id = ${1 + ((i * 104729) % ROWS)}`);
        done += 3;
      }
    } finally {
      await m?.end();
      await p?.end();
    }
  })();
  return { stop: async () => { running = false; await loop; return done; } };
}

for (const engine of ['mysql', 'postgres'] as const) {
  test(`keeps concurrent writes out of the snapshot copy (${engine} -> ${engine})`, async (t) => {
    const src = engine === 'mysql' ? await seedMysql() : await seedPg();
    const dst = engine === 'mysql' ? await createMysqlDb('fl_faultdst') : await createPgDb('fl_faultdst');
    t.after(async () => { if (engine === 'mysql') { await dropMysqlDb(src); await dropMysqlDb(dst); } else { await dropPgDb(src); await dropPgDb(dst); } });
    if (engine === 'mysql') await cloneMysqlTables(src, dst); else clonePgTables(src, dst);
    const digest = (db: string) => (engine === 'mysql' ? mysqlDigest(db, TABLE) : pgDigest(db, TABLE));
    const before = digest(src);
    assert.equal(before.rows, ROWS);

    const events = new TaskEvents(`cw_${src}`);
    let writer: { stop: () => Promise<number> } | undefined;
    events.onType('checkpoint', (e) => { if (!writer && /snapshot taken/.test(e.detail ?? '')) writer = startWriter(engine, src); });
    await fullLoadJob({ engine, src, dst, task: `cw_${src}`, chunkRows: 200, parallelism: 2 }, events);
    const writes = await writer?.stop();
    assert.ok(writes !== undefined && writes > 0, 'the writer committed changes while the load ran');

    assert.notDeepEqual(digest(src), before, 'the source changed during the load');
    assert.deepEqual(digest(dst), before, 'the target holds exactly the rows as of the snapshot');
  });

  test(`resumes after kill -9 without copying finished chunks twice (${engine} -> ${engine})`, async (t) => {
    const src = engine === 'mysql' ? await seedMysql() : await seedPg();
    const dst = engine === 'mysql' ? await createMysqlDb('fl_killdst') : await createPgDb('fl_killdst');
    const task = `kill_${src}`;
    // MySQL's ferry_meta is server-wide: rows are keyed by task and target database (meta.ts metaKey).
    const key = engine === 'mysql' ? `${task}@${dst}` : task;
    const metaQuery = async (): Promise<{ id: number; done: boolean; attempts: number }[]> => {
      if (engine === 'mysql') {
        const c = await mysqlAdmin();
        try {
          const [rows] = await c.query('SELECT chunk_id AS id, done, attempts FROM ferry_meta.chunk WHERE task = ? ORDER BY chunk_id', [key]);
          return (rows as { id: number; done: number; attempts: number }[]).map((r) => ({ id: Number(r.id), done: Number(r.done) === 1, attempts: Number(r.attempts) }));
        } catch { return []; } finally { await c.end(); }
      }
      const c = await pgAdmin(dst);
      try {
        const r = await c.query('SELECT chunk_id AS id, done, attempts FROM ferry_meta.chunk WHERE task = $1 ORDER BY chunk_id', [task]);
        return r.rows.map((x) => ({ id: Number(x.id), done: x.done === true, attempts: Number(x.attempts) }));
      } catch { return []; } finally { await c.end(); }
    };
    t.after(async () => {
      if (engine === 'mysql') {
        await dropMysqlDb(src); await dropMysqlDb(dst);
        const c = await mysqlAdmin();
        await c.query('DELETE FROM ferry_meta.chunk WHERE task = ?', [key]).catch(() => undefined);
        await c.query('DELETE FROM ferry_meta.task WHERE name = ?', [key]).catch(() => undefined);
        await c.end();
      } else { await dropPgDb(src); await dropPgDb(dst); }
    });
    if (engine === 'mysql') await cloneMysqlTables(src, dst); else clonePgTables(src, dst);
    const expected = engine === 'mysql' ? mysqlDigest(src, TABLE) : pgDigest(src, TABLE);

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fullload-child.ts')], {
      env: { ...process.env, FERRY_FULLLOAD_JOB: JSON.stringify({ engine, src, dst, task, chunkRows: 100, parallelism: 2 }) }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let killedAt: { id: number; done: boolean; attempts: number }[] = [];
    for (;;) {
      const chunks = await metaQuery();
      if (chunks.filter((c) => c.done).length >= 5) { child.kill('SIGKILL'); break; }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await exited;
    killedAt = await metaQuery();
    const doneBefore = killedAt.filter((c) => c.done);
    assert.ok(doneBefore.length >= 5, 'some chunks were committed before the kill');
    assert.ok(doneBefore.length < killedAt.length, 'the kill left chunks unfinished');

    await fullLoadJob({ engine, src, dst, task, chunkRows: 100, parallelism: 2 });
    const after = await metaQuery();
    assert.ok(after.every((c) => c.done), 'every chunk is done after the resume');
    for (const c of doneBefore) {
      assert.equal(after.find((a) => a.id === c.id)?.attempts, 1, `chunk ${c.id} finished before the kill was not copied again`);
    }
    assert.deepEqual(engine === 'mysql' ? mysqlDigest(dst, TABLE) : pgDigest(dst, TABLE), expected);
  });
}
