// TLS to both databases: tls=require encrypts, tls=verify with the right CA works, with a wrong CA it fails with
// TLS_FAILED and a fix naming the CA file — through testConnection() and through the `ferry` command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testConnection } from '../../src/engine/api';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { FerryError } from '../../src/engine/errors';
import { withSession } from '../../src/engine/sql-session';
import { runCli, writeTaskFile } from '../helpers/cli';
import {
  CA_FILE, MYSQL_PASSWORD, OTHER_CA_FILE, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mysqlAdmin, mysqlUrl, pgAdmin, pgUrl,
  uniqueName,
} from '../helpers/db';

/** ferry_meta on a MariaDB target is server-wide: forget a finished test task there. */
async function forgetMysqlTask(task: string): Promise<void> {
  const c = await mysqlAdmin();
  try {
    const [tables] = await c.query("SELECT TABLE_NAME AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'ferry_meta' AND COLUMN_NAME IN ('task', 'name')");
    for (const { t } of tables as { t: string }[]) {
      const col = t === 'task' ? 'name' : 'task';
      await c.query(`DELETE FROM ferry_meta.\`${t}\` WHERE \`${col}\` = ?`, [task]).catch(() => undefined);
    }
  } finally { await c.end(); }
}

type Engine = 'mysql' | 'postgres';
const url = (engine: Engine, db: string, query: string) => `${engine === 'mysql' ? mysqlUrl(db) : pgUrl(db)}?${query}`;
const password = (engine: Engine) => (engine === 'mysql' ? MYSQL_PASSWORD : PG_PASSWORD);
const cfg = (engine: Engine, db: string, query: string) => withPassword(parseConnectionUrl(url(engine, db, query)), password(engine));

/** The cipher of the session Ferry opened ('' when the session is in the clear). */
async function sessionCipher(engine: Engine, db: string, query: string): Promise<string> {
  return withSession(cfg(engine, db, query), async (s) => {
    const rows = engine === 'mysql'
      ? await s.query("SELECT VARIABLE_VALUE AS c FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER'")
      : await s.query('SELECT coalesce(cipher, \'\') AS c FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return String(rows[0]?.c ?? '');
  });
}

for (const engine of ['mysql', 'postgres'] as const) {
  const db = engine === 'mysql' ? 'mysql' : 'postgres';

  test(`${engine}: tls=require connects encrypted and tls=off does not`, async () => {
    const info = await testConnection(cfg(engine, db, 'tls=require'));
    assert.equal(info.engine, engine);
    assert.notEqual(await sessionCipher(engine, db, 'tls=require'), '', 'the session is encrypted');
    assert.equal(await sessionCipher(engine, db, 'tls=off'), '', 'tls=off stays in the clear');
  });

  test(`${engine}: tls=verify with the server's CA connects encrypted`, async () => {
    const info = await testConnection(cfg(engine, db, `tls=verify&ca=${encodeURIComponent(CA_FILE)}`));
    assert.equal(info.engine, engine);
    assert.notEqual(await sessionCipher(engine, db, `tls=verify&ca=${encodeURIComponent(CA_FILE)}`), '');
  });

  test(`${engine}: tls=verify with a wrong CA fails with TLS_FAILED and a fix naming the CA file`, async () => {
    await assert.rejects(testConnection(cfg(engine, db, `tls=verify&ca=${encodeURIComponent(OTHER_CA_FILE)}`)), (err: unknown) => {
      assert.ok(err instanceof FerryError, String(err));
      assert.equal(err.code, 'TLS_FAILED', err.message);
      assert.match(err.message, /certificate/i);
      assert.ok(err.fix?.includes(OTHER_CA_FILE), `the fix names the CA file: ${err.fix}`);
      assert.equal(err.retryable, false, 'a wrong CA is not fixed by retrying');
      return true;
    });
  });

  test(`${engine}: tls=verify with a CA file that does not exist says so`, async () => {
    await assert.rejects(testConnection(cfg(engine, db, 'tls=verify&ca=/nonexistent/ca.pem')), (err: unknown) => {
      assert.ok(err instanceof FerryError);
      assert.match(err.message, /\/nonexistent\/ca\.pem/);
      return true;
    });
  });
}

test('ferry check reports the wrong CA on the source as a failed connection check with the CA in the fix', async () => {
  const src = await createMysqlDb('tls_src');
  const dst = await createPgDb('tls_dst');
  try {
    const file = writeTaskFile({
      name: 'tls-wrong-ca', source: url('mysql', src, `tls=verify&ca=${encodeURIComponent(OTHER_CA_FILE)}`),
      target: url('postgres', dst, `tls=verify&ca=${encodeURIComponent(CA_FILE)}`),
    });
    const r = await runCli(['check', file, '--json'], { FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD });
    assert.equal(r.code, 1, r.stderr);
    const { results } = JSON.parse(r.stdout) as { results: { id: string; level: string; message: string; fix?: string }[] };
    const failed = results.filter((x) => x.level === 'fail');
    assert.ok(failed.some((x) => /TLS/.test(x.message) && (x.fix ?? '').includes(OTHER_CA_FILE)), JSON.stringify(failed, null, 1));
    assert.ok(!failed.some((x) => x.id.startsWith('target.connect')), 'the target, verified with the right CA, connects');
  } finally {
    await dropMysqlDb(src);
    await dropPgDb(dst);
  }
});

test('ferry run migrates over verified TLS on both sides (MariaDB -> PostgreSQL and back) and verify is equal', async () => {
  const src = await createMysqlDb('tls_run');
  const mid = await createPgDb('tls_run');
  const back = await createMysqlDb('tls_back');
  const backTask = uniqueName('tls-back');
  try {
    const m = await mysqlAdmin(src);
    try {
      await m.query('CREATE TABLE secret_notes (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, blobby BLOB NULL)');
      await m.query("INSERT INTO secret_notes SELECT seq, CONCAT('über geheim ', seq), UNHEX(MD5(seq)) FROM seq_1_to_500");
    } finally { await m.end(); }
    const verify = `tls=verify&ca=${encodeURIComponent(CA_FILE)}`;
    const env = (s: Engine, t: Engine) => ({ FERRY_SOURCE_PASSWORD: password(s), FERRY_TARGET_PASSWORD: password(t) });
    const there = writeTaskFile({ name: uniqueName('tls-there'), source: url('mysql', src, verify), target: url('postgres', mid, 'tls=require'), phases: ['schema', 'full'] });
    const r1 = await runCli(['run', there, '--until', 'full'], env('mysql', 'postgres'));
    assert.equal(r1.code, 0, r1.stderr);
    const v1 = await runCli(['verify', there], env('mysql', 'postgres'));
    assert.equal(v1.code, 0, v1.stdout + v1.stderr);
    assert.match(v1.stdout, /equal: 1 tables, 500 rows compared/);

    const home = writeTaskFile({ name: backTask, source: url('postgres', mid, verify), target: url('mysql', back, 'tls=require'), phases: ['schema', 'full'] });
    const r2 = await runCli(['run', home, '--until', 'full'], env('postgres', 'mysql'));
    assert.equal(r2.code, 0, r2.stderr);
    const v2 = await runCli(['verify', home], env('postgres', 'mysql'));
    assert.equal(v2.code, 0, v2.stdout + v2.stderr);

    const p = await pgAdmin(mid);
    try {
      const r = await p.query('SELECT count(*)::int AS n FROM public.secret_notes');
      assert.equal(r.rows[0].n, 500);
    } finally { await p.end(); }
    const b = await mysqlAdmin(back);
    try {
      const [rows] = await b.query('SELECT COUNT(*) AS n, SUM(CRC32(body)) AS c FROM secret_notes');
      const [orig] = await b.query(`SELECT COUNT(*) AS n, SUM(CRC32(body)) AS c FROM \`${src}\`.secret_notes`);
      assert.deepEqual(rows, orig, 'the round trip over TLS brought back every row unchanged');
    } finally { await b.end(); }
  } finally {
    await dropMysqlDb(src);
    await dropPgDb(mid);
    await dropMysqlDb(back);
    await forgetMysqlTask(backTask);
  }
});
