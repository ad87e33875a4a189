// kill -9 of `ferry run` while it applies to a MySQL/MariaDB target (batches sent as one text of statements),
// then a restart: the target equals the source and no source transaction was applied twice (a journal without a
// key gains one row per source transaction, so a replayed transaction would show as a duplicate row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineKind } from '../../src/engine/model';
import { spawnFerry } from '../helpers/faults';
import { type Db, ferryPasswords, startLiveRun, until } from '../helpers/live-run';

/** One source transaction: the counter goes up, the journal gets a row with the new count, an item changes (its key every 7th time). */
function transaction(src: EngineKind, i: number): string[] {
  const begin = src === 'mysql' ? 'START TRANSACTION' : 'BEGIN';
  const item = i % 20;
  const upsert = src === 'mysql'
    // Default sql_mode on the test's own session: a backslash is written doubled there.
    ? `INSERT INTO items (id, v, b) VALUES (${item}, 'v''${i}\\\\', X'00${(i % 256).toString(16).padStart(2, '0')}') ON DUPLICATE KEY UPDATE v = VALUES(v), b = VALUES(b)`
    : `INSERT INTO items (id, v, b) VALUES (${item}, 'v''${i}\\', '\\x00${(i % 256).toString(16).padStart(2, '0')}') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v, b = EXCLUDED.b`;
  return [
    begin,
    'UPDATE counter SET n = n + 1 WHERE id = 1',
    "INSERT INTO journal (tx, label) SELECT n, 'w' FROM counter WHERE id = 1",
    upsert,
    // A key change: the applier waits for this UPDATE's answer in the middle of a batch.
    ...(i % 7 === 0 ? [`UPDATE items SET id = id + 1000 WHERE id = ${item}`, `UPDATE items SET id = id - 1000 WHERE id = ${item + 1000}`] : []),
    ...(i % 11 === 0 ? [`DELETE FROM items WHERE id = ${(item + 3) % 20}`] : []),
    'COMMIT',
  ];
}

async function write(source: Db, src: EngineKind, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) await source.sql(transaction(src, i));
}

for (const src of ['mysql', 'postgres'] as const) {
  test(`${src} -> mysql: kill -9 while batches are applied, then a restart: the target is equal and no transaction was applied twice`, { timeout: 240_000 }, async (t) => {
    const blob = src === 'mysql' ? 'varbinary(10)' : 'bytea';
    const live = await startLiveRun(t, src, 'mysql', `kill-mysql-target-${src}`, [
      'CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)',
      'INSERT INTO counter VALUES (1, 0)',
      'CREATE TABLE journal (tx int NOT NULL, label varchar(10))',
      `CREATE TABLE items (id int PRIMARY KEY, v varchar(20), b ${blob})`,
      ...(src === 'postgres' ? ['ALTER TABLE journal REPLICA IDENTITY FULL'] : []),
    ]);
    const { source, target, task } = live;
    const writing = write(source, src, 1, 401);
    // Killed in the middle of applying: some transactions are on the target, more keep coming.
    await until('the first applied transactions on the target', async () => {
      const [[c]] = await target.rows('SELECT count(*) FROM journal');
      return Number(c) >= 40 ? true : undefined;
    }, 120_000);
    live.run.kill('SIGKILL');
    await live.run.exited;
    const [[atKill]] = await target.rows('SELECT count(*) FROM journal');
    await writing;
    assert.ok(Number(atKill) < 400, 'the run was killed before it had applied everything');
    const rerun = spawnFerry(['run', task, '--json', '--until', 'caught-up'], ferryPasswords(src, 'mysql'));
    const done = await rerun.exited;
    assert.equal(done.code, 0, rerun.stderr().slice(-2000));
    const [[n]] = await source.rows('SELECT n FROM counter WHERE id = 1');
    assert.equal(n, '400');
    assert.deepEqual(await target.rows('SELECT tx, count(*) FROM journal GROUP BY tx HAVING count(*) > 1'), [], 'a source transaction was applied twice');
    assert.deepEqual(await target.rows('SELECT count(*), min(tx), max(tx) FROM journal'), [['400', '1', '400']]);
    assert.deepEqual(await target.rows('SELECT n FROM counter'), [['400']]);
    const items = src === 'mysql' ? 'SELECT id, v, hex(b) FROM items ORDER BY id' : "SELECT id, v, upper(encode(b, 'hex')) FROM items ORDER BY id";
    assert.deepEqual(await target.rows('SELECT id, v, hex(b) FROM items ORDER BY id'), await source.rows(items));
  });
}
