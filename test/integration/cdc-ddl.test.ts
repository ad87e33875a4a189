// Source DDL while replicating (issue 5, item 7), all four engine pairs through `ferry run`. A column added (with
// a constant default) and a column dropped: same engine, the DDL is applied in order; across engines it is
// converted by the schema rules; either way the rows written before and after it arrive. A column renamed: the
// log cannot tell a rename from a drop and an add, so (except MySQL -> MySQL, which replays the statement) only
// that table pauses with an error saying what to do, the other tables keep replicating, and once the change is
// made by hand on the target the next run catches the paused table up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnFerry } from '../helpers/faults';
import { ferryPasswords, startLiveRun } from '../helpers/live-run';

const PAIRS = [['mysql', 'mysql'], ['postgres', 'postgres'], ['mysql', 'postgres'], ['postgres', 'mysql']] as const;

/** a (id, v) and b (id, n, note), two rows and one row. */
const SETUP = [
  'CREATE TABLE a (id int PRIMARY KEY, v varchar(20) NOT NULL)',
  'CREATE TABLE b (id int PRIMARY KEY, n int NOT NULL, note varchar(20))',
  "INSERT INTO a VALUES (1, 'one'), (2, 'two')",
  "INSERT INTO b VALUES (1, 10, 'x')",
];

for (const [src, dst] of PAIRS) {
  test(`${src} -> ${dst}: a column added and a column dropped on the source while replicating are ${src === dst ? 'applied' : 'converted'} in order, and every row arrives`, { timeout: 240_000 }, async (t) => {
    const { source, run, targetShows, stop } = await startLiveRun(t, src, dst, `ddl-add-${src}-${dst}`, SETUP);
    await source.sql(["INSERT INTO a VALUES (3, 'before ddl')", "INSERT INTO b VALUES (2, 20, 'y')"]);
    await source.sql(["ALTER TABLE a ADD COLUMN extra varchar(10) DEFAULT 'dflt'", 'ALTER TABLE b DROP COLUMN note']);
    await source.sql(["INSERT INTO a (id, v, extra) VALUES (4, 'after ddl', 'e4')", "UPDATE a SET extra = 'e1' WHERE id = 1", 'INSERT INTO b VALUES (3, 30)', 'UPDATE b SET n = 11 WHERE id = 1']);
    await targetShows('a with its new column', 'SELECT id, v, extra FROM a ORDER BY id',
      [['1', 'one', 'e1'], ['2', 'two', 'dflt'], ['3', 'before ddl', 'dflt'], ['4', 'after ddl', 'e4']]);
    await targetShows('b without its dropped column', 'SELECT * FROM b ORDER BY id', [['1', '11'], ['2', '20'], ['3', '30']]);
    assert.deepEqual(run.events.filter((e) => e.type === 'error'), [], 'no error, nothing paused');
    await stop();
  });
}

for (const [src, dst] of PAIRS.filter(([s, d]) => !(s === 'mysql' && d === 'mysql'))) {
  test(`${src} -> ${dst}: a column renamed on the source pauses only that table with what to do; after the change by hand the next run catches it up`, { timeout: 240_000 }, async (t) => {
    const { source, target, task, run, targetShows, stop } = await startLiveRun(t, src, dst, `ddl-ren-${src}-${dst}`, SETUP);
    await source.sql(["INSERT INTO a VALUES (3, 'before ddl')", 'ALTER TABLE a RENAME COLUMN v TO label', "INSERT INTO a VALUES (4, 'after ddl')", "UPDATE a SET label = 'uno' WHERE id = 1"]);
    await source.sql(["INSERT INTO b VALUES (2, 20, 'y')"]);
    const paused = await run.waitForEvent((e) => e.type === 'error' && e.code === 'CDC_TABLE_PAUSED', 60_000);
    assert.ok(paused.type === 'error' && /\ba\b/.test(paused.message) && /\bv\b/.test(paused.message) && /\blabel\b/.test(paused.message), paused.type === 'error' ? paused.message : '');
    assert.match(paused.type === 'error' ? paused.fix ?? '' : '', /by hand/);
    // The other table keeps replicating; `a` has what came before the rename and nothing after it.
    await targetShows('b row 2', 'SELECT id, n FROM b ORDER BY id', [['1', '10'], ['2', '20']]);
    await targetShows('a as before the rename', 'SELECT id, v FROM a ORDER BY id', [['1', 'one'], ['2', 'two'], ['3', 'before ddl']]);
    await stop();
    // The DBA renames the column on the target too; the next run catches `a` up.
    await target.sql(['ALTER TABLE a RENAME COLUMN v TO label']);
    const again = spawnFerry(['run', task, '--json', '--until', 'caught-up'], ferryPasswords(src, dst));
    const r = await again.exited;
    assert.equal(r.code, 0, again.stderr().slice(-2000));
    assert.deepEqual(await target.rows('SELECT id, label FROM a ORDER BY id'), [['1', 'uno'], ['2', 'two'], ['3', 'before ddl'], ['4', 'after ddl']]);
  });
}

for (const [src, dst] of PAIRS) {
  test(`${src} -> ${dst}: a TRUNCATE on the source empties the target table in its place in the log`, { timeout: 240_000 }, async (t) => {
    const { source, targetShows, stop } = await startLiveRun(t, src, dst, `ddl-trunc-${src}-${dst}`, SETUP);
    await source.sql(["INSERT INTO b VALUES (2, 20, 'y')", 'TRUNCATE TABLE b', "INSERT INTO b VALUES (3, 30, 'z')", "INSERT INTO a VALUES (3, 'three')"]);
    await targetShows('b with only the row after the TRUNCATE', 'SELECT id, n FROM b ORDER BY id', [['3', '30']]);
    await targetShows('a untouched', 'SELECT id, v FROM a ORDER BY id', [['1', 'one'], ['2', 'two'], ['3', 'three']]);
    await stop();
  });
}
