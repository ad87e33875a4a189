// Passwords stay out of every artefact of a run: task file, stdout/stderr of every command (also --json events
// and FERRY_DEBUG stack traces of failing runs), error messages and the ferry_meta state on the target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runCli, writeTaskFile } from '../helpers/cli';
import { MYSQL_PORT, PG_PORT, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, pgAdmin } from '../helpers/db';

const tag = randomBytes(4).toString('hex');
const MY_USER = `sec_my_${tag}`;
const PG_USER = `sec_pg_${tag}`;
// Distinctive passwords: any occurrence in an artefact is a leak, not a coincidence.
const MY_PASSWORD = `Quokka-${tag}-Mysql!pw`;
const PG_PASSWORD_SECRET = `Narwhal-${tag}-Pg!pw`;
const WRONG_PASSWORD = `Wombat-${tag}-wrong!pw`;
const SECRETS = [MY_PASSWORD, PG_PASSWORD_SECRET, WRONG_PASSWORD];

const myUrl = (db: string) => `mysql://${MY_USER}@127.0.0.1:${MYSQL_PORT}/${db}`;
const pgUrl = (db: string) => `postgres://${PG_USER}@127.0.0.1:${PG_PORT}/${db}`;

const artefacts: { what: string; text: string }[] = [];
const tasks: string[] = [];
const dbs = { my: [] as string[], pg: [] as string[] };

before(async () => {
  const m = await mysqlAdmin();
  try {
    await m.query(`CREATE USER '${MY_USER}'@'127.0.0.1' IDENTIFIED BY '${MY_PASSWORD}'`);
    await m.query(`GRANT ALL PRIVILEGES ON *.* TO '${MY_USER}'@'127.0.0.1'`);
  } finally { await m.end(); }
  const p = await pgAdmin();
  try { await p.query(`CREATE ROLE ${PG_USER} LOGIN SUPERUSER PASSWORD '${PG_PASSWORD_SECRET}'`); } finally { await p.end(); }
});

after(async () => {
  for (const d of dbs.my) await dropMysqlDb(d);
  for (const d of dbs.pg) await dropPgDb(d);
  const m = await mysqlAdmin();
  try {
    for (const t of tasks) {
      const [tables] = await m.query("SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ferry_meta' AND ((TABLE_NAME = 'task' AND COLUMN_NAME = 'name') OR COLUMN_NAME = 'task')");
      for (const r of tables as { t: string; c: string }[]) await m.query(`DELETE FROM ferry_meta.\`${r.t}\` WHERE \`${r.c}\` = ? OR \`${r.c}\` LIKE ?`, [t, `${t}@%`]).catch(() => undefined);
    }
    await m.query(`DROP USER IF EXISTS '${MY_USER}'@'127.0.0.1'`);
  } finally { await m.end(); }
  const p = await pgAdmin();
  try {
    await p.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [PG_USER]);
    await p.query(`DROP ROLE IF EXISTS ${PG_USER}`);
  } finally { await p.end(); }
});

async function cli(what: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCli(args, { FERRY_DEBUG: '1', ...env });
  artefacts.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
  return r;
}

/** Every row of ferry_meta that concerns the task, as text. */
async function metaDump(engine: 'mysql' | 'postgres', db: string, task: string): Promise<string> {
  if (engine === 'postgres') {
    const c = await pgAdmin(db);
    try {
      const tables = (await c.query(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'ferry_meta'`)).rows.map((r) => String(r.t));
      let out = '';
      for (const t of tables) out += JSON.stringify((await c.query(`SELECT row_to_json(x)::text AS j FROM ferry_meta."${t}" x`)).rows);
      assert.ok(tables.length >= 2, 'ferry_meta holds the task state');
      return out;
    } finally { await c.end(); }
  }
  const c = await mysqlAdmin();
  try {
    const [cols] = await c.query("SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ferry_meta' AND ((TABLE_NAME = 'task' AND COLUMN_NAME = 'name') OR COLUMN_NAME = 'task')");
    let out = '';
    // MySQL's server-wide ferry_meta keys a task's rows `task@database` (meta.ts metaKey).
    for (const r of cols as { t: string; c: string }[]) out += JSON.stringify((await c.query(`SELECT * FROM ferry_meta.\`${r.t}\` WHERE \`${r.c}\` = ? OR \`${r.c}\` LIKE ?`, [task, `${task}@%`]))[0]);
    assert.match(out, new RegExp(task), 'ferry_meta holds the task state');
    return out;
  } finally { await c.end(); }
}

for (const dir of ['mysql->postgres', 'postgres->mysql'] as const) {
  test(`${dir}: no password appears in the task file, command output, events, errors, debug stacks or ferry_meta`, async () => {
    const fromMy = dir === 'mysql->postgres';
    const src = fromMy ? await createMysqlDb('sec_src') : await createPgDb('sec_src');
    const dst = fromMy ? await createPgDb('sec_dst') : await createMysqlDb('sec_dst');
    (fromMy ? dbs.my : dbs.pg).push(src);
    (fromMy ? dbs.pg : dbs.my).push(dst);
    if (fromMy) {
      const m = await mysqlAdmin(src);
      try {
        await m.query('CREATE TABLE vault (id INT PRIMARY KEY, note VARCHAR(50) NOT NULL)');
        await m.query("INSERT INTO vault SELECT seq, CONCAT('n', seq) FROM seq_1_to_200");
      } finally { await m.end(); }
    } else {
      const p = await pgAdmin(src);
      try {
        await p.query('CREATE TABLE vault (id int PRIMARY KEY, note varchar(50) NOT NULL)');
        await p.query("INSERT INTO vault SELECT g, 'n' || g FROM generate_series(1, 200) g");
      } finally { await p.end(); }
    }
    const name = `sec-${dir.replace('->', '-to-')}-${tag}`;
    tasks.push(name, `${name}-broken`, `${name}-urlpw`);
    const file = writeTaskFile({ name, source: fromMy ? myUrl(src) : pgUrl(src), target: fromMy ? pgUrl(dst) : myUrl(dst), phases: ['schema', 'full', 'incremental'] });
    const env = { FERRY_SOURCE_PASSWORD: fromMy ? MY_PASSWORD : PG_PASSWORD_SECRET, FERRY_TARGET_PASSWORD: fromMy ? PG_PASSWORD_SECRET : MY_PASSWORD };

    assert.equal((await cli('check', ['check', file, '--json'], env)).code, 0);
    assert.equal((await cli('schema', ['schema', file], env)).code, 0);
    const run = await cli('run', ['run', file, '--json', '--until', 'caught-up'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"type":"phase"/, 'the --json events are part of the artefacts');
    assert.equal((await cli('verify', ['verify', file], env)).code, 0);
    assert.equal((await cli('status', ['status', file, '--json'], env)).code, 0);

    // Failing runs: a wrong password, a missing database (with FERRY_DEBUG stacks), a password in the URL.
    const wrong = await cli('run with a wrong password', ['run', file, '--json'], { ...env, FERRY_TARGET_PASSWORD: WRONG_PASSWORD });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /AUTH_FAILED|password|access denied/i);
    const brokenFile = writeTaskFile({ name: `${name}-broken`, source: fromMy ? myUrl(src) : pgUrl(src), target: fromMy ? pgUrl(`${dst}_missing`) : myUrl(`${dst}_missing`), phases: ['schema', 'full'] });
    const broken = await cli('run against a missing database', ['run', brokenFile, '--force'], env);
    assert.notEqual(broken.code, 0);
    const srcSecret = fromMy ? MY_PASSWORD : PG_PASSWORD_SECRET;
    const inUrl = (fromMy ? myUrl(src) : pgUrl(src)).replace(fromMy ? MY_USER : PG_USER, `${fromMy ? MY_USER : PG_USER}:${encodeURIComponent(srcSecret)}`);
    const urlFile = writeTaskFile({ name: `${name}-urlpw`, source: inUrl, target: fromMy ? pgUrl(`${dst}_missing`) : myUrl(`${dst}_missing`), phases: ['schema', 'full'] });
    const urlRun = await cli('run with the password in the source URL', ['run', urlFile, '--force'], { FERRY_TARGET_PASSWORD: env.FERRY_TARGET_PASSWORD });
    assert.notEqual(urlRun.code, 0);
    const urlCheck = await cli('check with the password in the source URL', ['check', urlFile, '--json'], { FERRY_TARGET_PASSWORD: env.FERRY_TARGET_PASSWORD });
    assert.notEqual(urlCheck.stdout, '');

    artefacts.push({ what: 'task file', text: readFileSync(file, 'utf8') });
    artefacts.push({ what: 'ferry_meta', text: await metaDump(fromMy ? 'postgres' : 'mysql', dst, name) });
    const leaks = artefacts.flatMap((a) => SECRETS.filter((s) => a.text.includes(s) || a.text.includes(encodeURIComponent(s))).map((s) => `${a.what} contains ${s}`));
    assert.deepEqual(leaks, []);
    assert.ok(artefacts.some((a) => a.text.includes(fromMy ? MY_USER : PG_USER)), 'the artefacts do name the user (so the grep looks at real output)');
  });
}
