// End-to-end incremental replication for all four engine pairs: a writer changes the source (inserts,
// updates, deletes, key changes, multi-row transactions, rollbacks, NULLs) while runIncremental applies
// it, is stopped, resumes and catches up; the target then equals the source and no transaction ran twice.
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import type pg from 'pg';
import { createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlUrl, pgUrl, MYSQL_PASSWORD, PG_PASSWORD } from '../helpers/db';
import { type ConnectionConfig, parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { connectMysql } from '../../src/engine/mysql/connect';
import { connectPostgres } from '../../src/engine/postgres/connect';
import { MYSQL_SESSION_SQL, PG_SESSION_SQL } from '../../src/engine/sessions';
import type { Column, EngineKind, Table } from '../../src/engine/model';
import type { TableMapping } from '../../src/engine/convert/types';
import type { SourcePosition } from '../../src/engine/position';
import { TaskEvents } from '../../src/engine/events';
import { validateTask } from '../../src/engine/task';
import { runIncremental } from '../../src/engine/cdc/replicator';

/** One side of a test: a database and a way to run SQL with `?` placeholders. */
interface Side {
  engine: EngineKind;
  db: string;
  schema: string;
  cfg: ConnectionConfig;
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
  drop(): Promise<void>;
}

async function openSide(engine: EngineKind, prefix: string): Promise<Side> {
  if (engine === 'mysql') {
    const db = await createMysqlDb(prefix);
    const cfg = withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD);
    const c: Connection = await connectMysql(cfg);
    for (const s of MYSQL_SESSION_SQL) await c.query(s);
    return {
      engine, db, schema: db, cfg,
      exec: async (sql, params = []) => (params.length > 0 ? (await c.execute(sql, params as never[]))[0] : (await c.query(sql))[0]) as Record<string, unknown>[],
      close: () => c.end(), drop: () => dropMysqlDb(db),
    };
  }
  const db = await createPgDb(prefix);
  const cfg = withPassword(parseConnectionUrl(pgUrl(db)), PG_PASSWORD);
  const c: pg.Client = await connectPostgres(cfg);
  for (const s of PG_SESSION_SQL) await c.query(s);
  return {
    engine, db, schema: 'public', cfg,
    exec: async (sql, params = []) => { let n = 0; return (await c.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows; },
    close: () => c.end(), drop: () => dropPgDb(db),
  };
}

const ddl = (e: EngineKind) => [
  `CREATE TABLE items (id int PRIMARY KEY, code varchar(20) UNIQUE, qty int, price decimal(10,2), note text, data ${e === 'mysql' ? 'blob' : 'bytea'}, at ${e === 'mysql' ? 'datetime(6)' : 'timestamp(6)'})`,
  'CREATE TABLE journal (tx int NOT NULL, label varchar(20))',
  'CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)',
];

const col = (name: string, type: Column['type'], native: string, nullable = true): Column => ({ name, type, native, nullable });
function tables(schema: string, e: EngineKind): Table[] {
  const base = { indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0 };
  return [
    { ...base, schema, name: 'items', primaryKey: ['id'], columns: [
      col('id', { kind: 'int', bytes: 4, unsigned: false }, 'int', false), col('code', { kind: 'char', length: 20, varying: true }, 'varchar(20)'),
      col('qty', { kind: 'int', bytes: 4, unsigned: false }, 'int'), col('price', { kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'),
      col('note', { kind: 'text' }, 'text'), col('data', { kind: 'binary', varying: true, blob: true }, e === 'mysql' ? 'blob' : 'bytea'),
      col('at', { kind: 'timestamp', precision: 6, tz: false }, e === 'mysql' ? 'datetime(6)' : 'timestamp(6)')],
    indexes: [{ name: 'code', unique: true, primary: false, method: 'btree', parts: [{ column: 'code' }] }] },
    { ...base, schema, name: 'journal', primaryKey: [], columns: [col('tx', { kind: 'int', bytes: 4, unsigned: false }, 'int', false), col('label', { kind: 'char', length: 20, varying: true }, 'varchar(20)')] },
    { ...base, schema, name: 'counter', primaryKey: ['id'], columns: [col('id', { kind: 'int', bytes: 4, unsigned: false }, 'int', false), col('n', { kind: 'int', bytes: 4, unsigned: false }, 'int', false)] },
  ];
}

function mappings(src: Side, dst: Side): TableMapping[] {
  const s = tables(src.schema, src.engine);
  const t = tables(dst.schema, dst.engine);
  return s.map((table, i) => ({ source: table, target: t[i], columns: table.columns.map((c, j) => ({ source: c, target: t[i].columns[j] })), key: table.primaryKey }));
}

/** A small deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed;
  return () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
}

/** Runs `count` random transactions on the source; every committed one adds a journal row and bumps the counter. */
async function write(src: Side, from: number, count: number, seed: number): Promise<void> {
  const r = rng(seed);
  const ids = (await src.exec('SELECT id FROM items')).map((x) => Number(x.id));
  for (let tx = from; tx < from + count; tx++) {
    await src.exec(src.engine === 'mysql' ? 'START TRANSACTION' : 'BEGIN');
    const ops = 1 + Math.floor(r() * 3);
    for (let o = 0; o < ops; o++) {
      const p = r();
      if (p < 0.4 || ids.length < 5) {
        const id = 10_000 + tx * 10 + o;
        await src.exec('INSERT INTO items (id, code, qty, price, note, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          id, r() < 0.3 ? null : `c${id}`, r() < 0.2 ? null : Math.floor(r() * 1000), r() < 0.2 ? null : (r() * 1000).toFixed(2),
          r() < 0.2 ? null : `note ${tx} ‘ü’ \\ '${o}'`, r() < 0.3 ? null : Buffer.from([tx & 255, 0, 255, o]), r() < 0.2 ? null : `2024-01-0${1 + (tx % 9)} 10:00:00.${String(tx).padStart(6, '0').slice(-6)}`]);
        ids.push(id);
      } else if (p < 0.7) {
        const id = ids[Math.floor(r() * ids.length)];
        await src.exec('UPDATE items SET qty = ?, note = ?, price = ? WHERE id = ?', [r() < 0.3 ? null : tx, r() < 0.5 ? null : `upd ${tx}`, (r() * 100).toFixed(2), id]);
      } else if (p < 0.85) {
        const at = Math.floor(r() * ids.length);
        const id = ids[at];
        const next = 500_000 + tx * 10 + o;
        await src.exec('UPDATE items SET id = ? WHERE id = ?', [next, id]);
        ids[at] = next;
      } else {
        const at = Math.floor(r() * ids.length);
        await src.exec('DELETE FROM items WHERE id = ?', [ids[at]]);
        ids.splice(at, 1);
      }
    }
    // A multi-row statement now and then.
    if (r() < 0.2) await src.exec('UPDATE items SET qty = coalesce(qty, 0) + 1 WHERE id < 10050');
    await src.exec('INSERT INTO journal (tx, label) VALUES (?, ?)', [tx, r() < 0.3 ? null : `t${tx}`]);
    await src.exec('UPDATE counter SET n = n + 1 WHERE id = 1');
    if (r() < 0.1) {
      await src.exec('ROLLBACK');
      // The rolled-back transaction's ids did not survive.
      const live = new Set((await src.exec('SELECT id FROM items')).map((x) => Number(x.id)));
      ids.splice(0, ids.length, ...[...live]);
    } else {
      await src.exec('COMMIT');
    }
  }
}

async function snapshotRows(side: Side, table: string, order: string): Promise<string[]> {
  const rows = await side.exec(`SELECT * FROM ${table} ORDER BY ${order}`);
  // MySQL DATETIME(6) prints every fraction digit, PostgreSQL trims trailing zeros: compare the instant.
  const norm = (v: string) => (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$/.test(v) ? v.replace(/\.?0+$/, '') : v);
  return rows.map((row) => JSON.stringify(Object.values(row).map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString('hex') : norm(String(v))))));
}

/** Loads the seed rows on both sides and returns the source position after them (the "snapshot"). */
async function seed(src: Side, dst: Side, task: string): Promise<SourcePosition> {
  for (const s of ddl(src.engine)) await src.exec(s);
  for (const s of ddl(dst.engine)) await dst.exec(s);
  const rows: unknown[][] = [];
  for (let i = 1; i <= 40; i++) rows.push([i, i % 3 === 0 ? null : `s${i}`, i, `${i}.50`, `seed ${i}`, Buffer.from([i]), '2023-05-06 07:08:09.123456']);
  for (const side of [src, dst]) {
    for (const r of rows) await side.exec('INSERT INTO items (id, code, qty, price, note, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)', r);
    await side.exec('INSERT INTO counter (id, n) VALUES (1, 0)');
  }
  if (src.engine === 'mysql') {
    const [st] = await src.exec('SHOW MASTER STATUS');
    return { engine: 'mysql', file: String(st.File), pos: Number(st.Position) };
  }
  const pub = `ferry_${task}`;
  await src.exec(`CREATE PUBLICATION "${pub}" FOR TABLE items, journal, counter`);
  await src.exec('ALTER TABLE journal REPLICA IDENTITY FULL');
  const [slot] = await src.exec("SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot(?, 'pgoutput')", [pub]);
  return { engine: 'postgres', lsn: String(slot.lsn), slot: pub, publication: pub };
}

for (const [from, to] of [['mysql', 'mysql'], ['postgres', 'postgres'], ['mysql', 'postgres'], ['postgres', 'mysql']] as [EngineKind, EngineKind][]) {
  test(`replicates ${from} to ${to}: writer during and after a stopped run, then caught up and equal, each transaction once`, async (t) => {
    const src = await openSide(from, `cdc_src_${from}`);
    const dst = await openSide(to, `cdc_dst_${to}`);
    const taskName = `t_${src.db}`;
    t.after(async () => {
      await src.close(); await dst.close();
      await src.drop(); await dst.drop();
      if (to === 'mysql') await forgetMysqlTask(taskName);
    });
    const start = await seed(src, dst, taskName);
    const task = validateTask({ name: taskName, source: from === 'mysql' ? mysqlUrl(src.db) : pgUrl(src.db), target: to === 'mysql' ? mysqlUrl(dst.db) : pgUrl(dst.db), parallelism: 4 });
    const events = new TaskEvents(taskName);
    const lags: number[] = [];
    events.onType('lag', (e) => lags.push(e.secondsBehind));
    const base = { task, source: src.cfg, target: dst.cfg, tables: mappings(src, dst), start, events, parallelism: 4 };

    // First run: replicate while the writer runs, then stop it (clean stop, position saved).
    const stop = new AbortController();
    const first = runIncremental({ ...base, signal: stop.signal }).catch((e: Error) => e);
    await write(src, 0, 60, 7);
    await new Promise((r) => setTimeout(r, 1500));
    stop.abort();
    const firstResult = await first;
    assert.ok(firstResult instanceof Error && /stopped/.test(firstResult.message), `first run ended with ${String(firstResult)}`);
    // More changes while nothing replicates; the second run resumes at the saved position.
    await write(src, 60, 60, 11);
    const result = await runIncremental({ ...base, signal: new AbortController().signal, until: 'caught-up' });
    assert.equal(result.caughtUp, true);
    assert.ok(lags.length > 0);

    for (const [table, order] of [['items', 'id'], ['journal', 'tx, label'], ['counter', 'id']]) {
      assert.deepEqual(await snapshotRows(dst, table, order), await snapshotRows(src, table, order), `${table} differs`);
    }
    const [{ n }] = await src.exec('SELECT n FROM counter WHERE id = 1');
    const [{ c }] = await dst.exec('SELECT count(*) AS c FROM journal');
    assert.equal(Number(c), Number(n), 'the journal (no key) has exactly one row per committed transaction');
  });
}

test('kill -9 during apply, then restart: the target is equal and no transaction was applied twice', async (t) => {
  const src = await openSide('mysql', 'cdc_kill_src');
  const dst = await openSide('postgres', 'cdc_kill_dst');
  const taskName = `t_${src.db}`;
  t.after(async () => { await src.close(); await dst.close(); await src.drop(); await dst.drop(); });
  const start = await seed(src, dst, taskName);
  const taskJson = { name: taskName, source: mysqlUrl(src.db), target: pgUrl(dst.db), parallelism: 4 };
  const tables = mappings(src, dst);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cdc-kill-child.ts'), JSON.stringify({ task: taskJson, tables, start })],
    { env: { ...process.env, FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
  let checkpoints = 0;
  child.stdout.on('data', (d: Buffer) => { checkpoints += d.toString().split('checkpoint').length - 1; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Writes keep coming while the child applies; it is killed in the middle of that.
  const writing = write(src, 0, 150, 23);
  const deadline = Date.now() + 30_000;
  while (checkpoints < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const [{ c: appliedBefore }] = await dst.exec('SELECT count(*) AS c FROM journal');
  child.kill('SIGKILL');
  await exited;
  await writing;
  assert.ok(checkpoints >= 2, 'the child process applied and checkpointed before it was killed');
  assert.ok(Number(appliedBefore) > 0, 'some transactions were applied before the kill');
  const task = validateTask(taskJson);
  const result = await runIncremental({ task, source: src.cfg, target: dst.cfg, tables, start, events: new TaskEvents(taskName),
    signal: new AbortController().signal, parallelism: 4, until: 'caught-up' });
  assert.equal(result.caughtUp, true);
  for (const [table, order] of [['items', 'id'], ['journal', 'tx, label'], ['counter', 'id']]) {
    assert.deepEqual(await snapshotRows(dst, table, order), await snapshotRows(src, table, order), `${table} differs`);
  }
  const [{ n }] = await src.exec('SELECT n FROM counter WHERE id = 1');
  const dup = await dst.exec('SELECT tx, count(*) AS c FROM journal GROUP BY tx HAVING count(*) > 1');
  assert.deepEqual(dup, [], 'a source transaction was applied twice');
  const [{ c }] = await dst.exec('SELECT count(*) AS c FROM journal');
  assert.equal(Number(c), Number(n));
});

/** MySQL's ferry_meta is a server-wide database: remove this task's rows (PostgreSQL's goes with the database). */
async function forgetMysqlTask(task: string): Promise<void> {
  const c = await connectMysql(withPassword(parseConnectionUrl(mysqlUrl('mysql')), MYSQL_PASSWORD));
  try { for (const tbl of ['cdc_applied', 'cdc_state']) await c.execute(`DELETE FROM ferry_meta.${tbl} WHERE task = ?`, [task]); } finally { await c.end(); }
}
