// Pre-check against real servers: the test databases pass; misconfigured servers started here (binlog off,
// STATEMENT format, wal_level=replica), low-privilege users, wrong passwords and occupied targets fail
// with the fix a DBA can apply.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResult } from '../../src/engine/api';
import type { ConvertedSchema } from '../../src/engine/convert/types';
import { checksToJson, failingChecks, runPrecheck } from '../../src/engine/precheck';
import { convertTaskSchema } from '../../src/engine/schema';
import { taskConnections, validateTask } from '../../src/engine/task';
import {
  MYSQL_PASSWORD, MYSQL_PORT, PG_PASSWORD, PG_PORT, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlUrl,
  pgUrl, psql, uniqueName,
} from '../helpers/db';
import { EXTRA_PASSWORD, type ExtraServer, startMariadb, startPostgres } from '../helpers/extra-servers';
import mysql from 'mysql2/promise';
import pg from 'pg';

async function precheck(source: string, target: string, passwords: { source: string; target: string }, phases?: string[],
  edit?: (c: ConvertedSchema) => void): Promise<CheckResult[]> {
  const task = validateTask({ name: uniqueName('pc'), source, target, ...(phases ? { phases } : {}) });
  const c = taskConnections(task, passwords);
  let conversion: ConvertedSchema | undefined;
  try {
    conversion = await convertTaskSchema(task, c.source, c.target);
  } catch {
    conversion = undefined;
  }
  if (conversion && edit) edit(conversion);
  return runPrecheck({ task, ...c, conversion });
}

function find(results: CheckResult[], id: string): CheckResult {
  const r = results.find((x) => x.id === id);
  assert.ok(r, `no check ${id} among ${results.map((x) => x.id).join(', ')}`);
  return r;
}

const MYSQL_SCHEMA = `CREATE TABLE film (id INT PRIMARY KEY, title VARCHAR(100) NOT NULL, UNIQUE KEY uq_title (title));
  CREATE TABLE note (body TEXT);
  INSERT INTO film VALUES (1, 'Alien'), (2, 'Heat');
  INSERT INTO note VALUES ('a'), ('a');`;

describe('pre-check on the test servers', () => {
  let my = '';
  let pgdb = '';
  let mySrcPg = '';
  before(async () => {
    [my, pgdb, mySrcPg] = await Promise.all([createMysqlDb('pc_src'), createPgDb('pc_tgt'), createPgDb('pc_pgsrc')]);
    mariadb(my, MYSQL_SCHEMA);
    psql(mySrcPg, `CREATE TABLE film (id int PRIMARY KEY, title text NOT NULL UNIQUE);
      CREATE TABLE note (body text);
      ALTER TABLE note REPLICA IDENTITY FULL;
      INSERT INTO film VALUES (1, 'Alien'), (2, 'Heat');`);
  });
  after(async () => {
    await Promise.all([dropMysqlDb(my), dropPgDb(pgdb), dropPgDb(mySrcPg)]);
  });

  test('a well-configured MariaDB source and PostgreSQL target have no failing check, and the JSON form is valid', async () => {
    const results = await precheck(mysqlUrl(my), pgUrl(pgdb), { source: MYSQL_PASSWORD, target: PG_PASSWORD });
    assert.deepEqual(failingChecks(results).map((r) => `${r.id}: ${r.message}`), []);
    for (const id of ['source.connect', 'source.version', 'source.privileges', 'source.log_bin', 'source.binlog_format', 'source.binlog_row_image',
      'source.binlog_row_metadata', 'source.server_id', 'source.binlog_retention', 'source.gtid', 'target.connect', 'target.privileges', 'target.meta_privileges', 'target.existing',
      'timezone', 'target.free_space']) {
      assert.equal(find(results, id).level, 'pass', id);
    }
    const noKey = results.filter((r) => r.id === 'table.no_primary_key');
    assert.deepEqual(noKey.map((r) => [r.level, r.object]), [['warn', `table:${my}.note`]]);
    // root may do anything: the minimal grants are printed.
    assert.match(find(results, 'source.excess_privileges').fix ?? '', /GRANT REPLICATION SLAVE, BINLOG MONITOR ON \*\.\* TO 'ferry'@'%'/);
    const json = JSON.parse(checksToJson(results)) as { ok: boolean; results: CheckResult[] };
    assert.equal(json.ok, true);
    assert.deepEqual(json.results, results);
    for (const r of json.results) {
      assert.ok(['pass', 'warn', 'fail'].includes(r.level));
      assert.equal(typeof r.title, 'string');
      assert.equal(typeof r.message, 'string');
      if (r.level !== 'pass') assert.equal(typeof r.fix, 'string', `${r.id} has a fix`);
    }
  });

  test('a well-configured PostgreSQL source and MariaDB target have no failing check', async () => {
    const target = await createMysqlDb('pc_mytgt');
    try {
      const results = await precheck(pgUrl(mySrcPg), mysqlUrl(target), { source: PG_PASSWORD, target: MYSQL_PASSWORD });
      assert.deepEqual(failingChecks(results).map((r) => `${r.id}: ${r.message}`), []);
      for (const id of ['source.wal_level', 'source.replication_role', 'source.replication_connection', 'source.replication_slots',
        'source.wal_senders', 'source.publication', 'source.select', 'target.privileges', 'target.local_infile', 'target.max_allowed_packet']) {
        assert.equal(find(results, id).level, 'pass', id);
      }
      assert.equal(results.some((r) => r.id === 'source.replica_identity'), false);
    } finally {
      await dropMysqlDb(target);
    }
  });

  test('a PostgreSQL table without a key and with the default replica identity fails with ALTER TABLE … REPLICA IDENTITY FULL', async () => {
    const src = await createPgDb('pc_noident');
    const target = await createMysqlDb('pc_mytgt');
    try {
      psql(src, 'CREATE TABLE "Log Entries" (msg text); INSERT INTO "Log Entries" VALUES (\'x\')');
      const results = await precheck(pgUrl(src), mysqlUrl(target), { source: PG_PASSWORD, target: MYSQL_PASSWORD });
      const r = find(results, 'source.replica_identity');
      assert.equal(r.level, 'fail');
      assert.equal(r.fix, 'ALTER TABLE "public"."Log Entries" REPLICA IDENTITY FULL;');
      // Without incremental sync no replica identity is needed.
      const fullOnly = await precheck(pgUrl(src), mysqlUrl(target), { source: PG_PASSWORD, target: MYSQL_PASSWORD }, ['schema', 'full']);
      assert.equal(fullOnly.some((x) => x.id === 'source.replica_identity'), false);
    } finally {
      await Promise.all([dropPgDb(src), dropMysqlDb(target)]);
    }
  });

  test('different default time zones warn and say what it means for zone-aware timestamps', async () => {
    const target = await createPgDb('pc_tz');
    try {
      psql(target, `ALTER DATABASE "${target}" SET timezone = 'Europe/Berlin'`);
      const results = await precheck(mysqlUrl(my), pgUrl(target), { source: MYSQL_PASSWORD, target: PG_PASSWORD });
      const tz = find(results, 'timezone');
      assert.equal(tz.level, 'warn');
      assert.match(tz.message, /source's default time zone is UTC, the target's Europe\/Berlin/);
      assert.equal(tz.fix, `ALTER DATABASE "${target}" SET timezone = 'UTC'; (or set the applications' session time zone)`);
    } finally {
      await dropPgDb(target);
    }
  });

  test('a wrong password fails the connection check with its fix and skips the other checks of that side', async () => {
    const results = await precheck(mysqlUrl(my), pgUrl(pgdb), { source: 'not-the-password', target: PG_PASSWORD });
    const r = find(results, 'source.connect');
    assert.equal(r.level, 'fail');
    assert.match(r.message, /access denied for user "root"/);
    assert.match(r.fix ?? '', /FERRY_SOURCE_PASSWORD/);
    assert.deepEqual(results.filter((x) => x.id.startsWith('source.')).map((x) => x.id), ['source.connect']);
    assert.equal(find(results, 'target.privileges').level, 'pass');
    assert.equal(results.some((x) => x.message.includes('not-the-password')), false);
  });

  test('a target table that holds rows fails, an empty one warns', async () => {
    const target = await createPgDb('pc_busy');
    try {
      psql(target, 'CREATE TABLE film (id int); INSERT INTO film VALUES (1); CREATE TABLE note (body text);');
      const results = await precheck(mysqlUrl(my), pgUrl(target), { source: MYSQL_PASSWORD, target: PG_PASSWORD });
      const existing = results.filter((r) => r.id === 'target.existing').map((r) => [r.level, r.object]).sort();
      assert.deepEqual(existing, [['fail', 'table:public.film'], ['warn', 'table:public.note']]);
      assert.match(find(results.filter((r) => r.level === 'fail'), 'target.existing').fix ?? '', /TRUNCATE TABLE "public"\."film"/);
    } finally {
      await dropPgDb(target);
    }
  });

  test('a PostgreSQL unique key whose values differ only in case fails when an edited target gives it a case-insensitive collation', async () => {
    const src = await createPgDb('pc_coll');
    const target = await createMysqlDb('pc_colltgt');
    try {
      psql(src, `CREATE TABLE tag (id int PRIMARY KEY, label varchar(20) NOT NULL UNIQUE, code varchar(5) NOT NULL UNIQUE);
        INSERT INTO tag VALUES (1, 'Drama', 'a1'), (2, 'drama', 'b2'), (3, 'Comedy', 'c3');`);
      // The rule set picks utf8mb4_nopad_bin, which keeps the values apart: nothing to report.
      const converted = await precheck(pgUrl(src), mysqlUrl(target), { source: PG_PASSWORD, target: MYSQL_PASSWORD });
      assert.deepEqual(converted.filter((r) => r.id.startsWith('collation')).map((r) => [r.id, r.level]), [['collation', 'pass']]);
      // A hand edit that leaves the table to the database default (utf8mb4_general_ci) would merge 'Drama' and 'drama'.
      const results = await precheck(pgUrl(src), mysqlUrl(target), { source: PG_PASSWORD, target: MYSQL_PASSWORD }, undefined, (c) => {
        for (const m of c.tables) { delete m.target.collation; for (const col of m.columns) delete col.target.collation; }
      });
      const coll = results.filter((r) => r.id === 'collation.unique_key');
      assert.deepEqual(coll.map((r) => r.level).sort(), ['fail', 'pass']);
      const bad = coll.find((r) => r.level === 'fail') as CheckResult;
      assert.match(bad.message, /\(label\): 1 group\(s\)/);
      assert.match(bad.fix ?? '', /COLLATE utf8mb4_bin/);
    } finally {
      await Promise.all([dropPgDb(src), dropMysqlDb(target)]);
    }
  });

  test('low-privilege users fail the privilege checks with the GRANTs that fix them', async () => {
    const user = uniqueName('ferry_lp');
    const pw = 'lp-Secret-123';
    const myTarget = await createMysqlDb('pc_lptgt');
    mariadb(my, `CREATE USER '${user}'@'%' IDENTIFIED BY '${pw}'; GRANT SELECT ON \`${my}\`.* TO '${user}'@'%'; GRANT SELECT ON \`${myTarget}\`.* TO '${user}'@'%';`);
    const admin = new pg.Client({ host: '127.0.0.1', port: PG_PORT, user: 'postgres', password: PG_PASSWORD, database: mySrcPg });
    await admin.connect();
    await admin.query(`CREATE ROLE "${user}" LOGIN PASSWORD '${pw}'`);
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO "${user}"`);
    try {
      const lpMy = `mysql://${user}@127.0.0.1:${MYSQL_PORT}/${my}`;
      const lpPgSrc = `postgres://${user}@127.0.0.1:${PG_PORT}/${mySrcPg}`;
      const lpPgTgt = `postgres://${user}@127.0.0.1:${PG_PORT}/${pgdb}`;

      const mySource = await precheck(lpMy, pgUrl(pgdb), { source: pw, target: PG_PASSWORD });
      const priv = find(mySource, 'source.privileges');
      assert.equal(priv.level, 'fail');
      assert.equal(priv.fix, `GRANT SHOW VIEW, TRIGGER ON \`${my}\`.* TO '${user}'@'%'; GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '${user}'@'%';`);
      assert.equal(mySource.some((r) => r.id === 'source.excess_privileges'), false);

      const myTgt = await precheck(pgUrl(mySrcPg), `mysql://${user}@127.0.0.1:${MYSQL_PORT}/${myTarget}`, { source: PG_PASSWORD, target: pw });
      const tp = find(myTgt, 'target.privileges');
      assert.equal(tp.level, 'fail');
      assert.equal(tp.fix, `GRANT INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, REFERENCES, DROP ON \`${myTarget}\`.* TO '${user}'@'%';`);
      assert.equal(find(myTgt, 'target.meta_privileges').level, 'fail');

      const pgSource = await precheck(lpPgSrc, mysqlUrl(myTarget), { source: pw, target: MYSQL_PASSWORD });
      const role = find(pgSource, 'source.replication_role');
      assert.equal(role.level, 'fail');
      assert.equal(role.fix, `ALTER ROLE "${user}" REPLICATION;`);
      const pub = find(pgSource, 'source.publication');
      assert.equal(pub.level, 'fail');
      assert.match(pub.fix ?? '', new RegExp(`GRANT CREATE ON DATABASE "${mySrcPg}" TO "${user}"`));
      assert.equal(find(pgSource, 'source.select').level, 'pass');

      const pgTarget = await precheck(mysqlUrl(my), lpPgTgt, { source: MYSQL_PASSWORD, target: pw });
      const pt = find(pgTarget, 'target.privileges');
      assert.equal(pt.level, 'fail');
      assert.equal(pt.fix, `GRANT CREATE ON DATABASE "${pgdb}" TO "${user}";`);
    } finally {
      mariadb(my, `DROP USER '${user}'@'%'`);
      await admin.query(`DROP OWNED BY "${user}"`);
      await admin.query(`DROP ROLE "${user}"`);
      await admin.end();
      await dropMysqlDb(myTarget);
    }
  });
});

describe('pre-check on misconfigured servers started for the test', () => {
  let noBinlog: ExtraServer | undefined;
  let statement: ExtraServer | undefined;
  let replicaWal: ExtraServer | undefined;
  let pgdb = '';
  let myTarget = '';
  before(async () => {
    [noBinlog, statement, replicaWal, pgdb, myTarget] = await Promise.all([
      startMariadb(['server-id=1']),
      startMariadb(['server-id=7', 'log-bin=binlog', 'binlog_format=STATEMENT', 'binlog_row_image=MINIMAL', 'expire_logs_days=0',
        'max_allowed_packet=1M', 'local_infile=OFF']),
      startPostgres(['wal_level = replica']),
      createPgDb('pc_tgt'),
      createMysqlDb('pc_tgt'),
    ]);
    for (const s of [noBinlog, statement]) {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'root', password: EXTRA_PASSWORD, multipleStatements: true });
      await c.query('CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(10,2)); INSERT INTO shop.orders VALUES (1, 9.99);');
      await c.end();
    }
    const c = new pg.Client({ host: '127.0.0.1', port: replicaWal.port, user: 'postgres', password: EXTRA_PASSWORD, database: 'postgres' });
    await c.connect();
    await c.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2))');
    await c.end();
  });
  after(async () => {
    await Promise.all([noBinlog?.stop(), statement?.stop(), replicaWal?.stop(), pgdb && dropPgDb(pgdb), myTarget && dropMysqlDb(myTarget)]);
  });

  test('a MariaDB source with the binary log off fails with the my.cnf settings to add', async () => {
    const results = await precheck(`mysql://root@127.0.0.1:${noBinlog!.port}/shop`, pgUrl(pgdb), { source: EXTRA_PASSWORD, target: PG_PASSWORD });
    const r = find(results, 'source.log_bin');
    assert.equal(r.level, 'fail');
    assert.match(r.message, /log_bin=OFF/);
    assert.equal(r.fix, 'add log_bin=mysql-bin, server_id=1, binlog_format=ROW and binlog_row_image=FULL under [mariadbd] in the server\'s configuration and restart the server');
    assert.deepEqual(failingChecks(results).map((x) => x.id), ['source.log_bin']);
  });

  test('a MariaDB source logging STATEMENT events with a MINIMAL row image fails both, each with its SET GLOBAL', async () => {
    const results = await precheck(`mysql://root@127.0.0.1:${statement!.port}/shop`, pgUrl(pgdb), { source: EXTRA_PASSWORD, target: PG_PASSWORD });
    const format = find(results, 'source.binlog_format');
    assert.equal(format.level, 'fail');
    assert.match(format.message, /binlog_format is STATEMENT/);
    assert.match(format.fix ?? '', /^SET GLOBAL binlog_format = 'ROW';/);
    const image = find(results, 'source.binlog_row_image');
    assert.equal(image.level, 'fail');
    assert.match(image.fix ?? '', /^SET GLOBAL binlog_row_image = 'FULL';/);
    // MariaDB's default: no column names in the log, a warning with its SET GLOBAL.
    const metadata = find(results, 'source.binlog_row_metadata');
    assert.equal(metadata.level, 'warn');
    assert.match(metadata.message, /binlog_row_metadata is NO_LOG: .* copied again/);
    assert.match(metadata.fix ?? '', /^SET GLOBAL binlog_row_metadata = 'FULL';/);
    assert.equal(find(results, 'source.server_id').message, 'server_id is 7');
    assert.equal(find(results, 'source.binlog_retention').level, 'pass');
    assert.deepEqual(failingChecks(results).map((x) => x.id).sort(), ['source.binlog_format', 'source.binlog_row_image']);
  });

  test('a MariaDB target with LOAD DATA LOCAL off and a packet smaller than the largest source row fails both', async () => {
    const src = await createPgDb('pc_bigrow');
    try {
      psql(src, `CREATE TABLE doc (id int PRIMARY KEY, body text); INSERT INTO doc VALUES (1, repeat('x', 700000)), (2, 'small');`);
      const results = await precheck(pgUrl(src), `mysql://root@127.0.0.1:${statement!.port}/fresh`, { source: PG_PASSWORD, target: EXTRA_PASSWORD });
      const packet = find(results, 'target.max_allowed_packet');
      assert.equal(packet.level, 'fail');
      assert.match(packet.message, /largest row \(public\.doc\) is 683\.6 KiB/);
      assert.equal(packet.fix, 'SET GLOBAL max_allowed_packet = 16777216; and max_allowed_packet=16777216 in the target\'s configuration');
      assert.equal(find(results, 'target.local_infile').level, 'fail');
      // The target database does not exist yet: Ferry creates it, root may.
      assert.equal(find(results, 'target.database').level, 'warn');
    } finally {
      await dropPgDb(src);
    }
  });

  test('a PostgreSQL source with wal_level=replica fails with ALTER SYSTEM and a restart', async () => {
    const results = await precheck(`postgres://postgres@127.0.0.1:${replicaWal!.port}/postgres`, mysqlUrl(myTarget), { source: EXTRA_PASSWORD, target: MYSQL_PASSWORD });
    const r = find(results, 'source.wal_level');
    assert.equal(r.level, 'fail');
    assert.equal(r.message, 'wal_level is replica: logical decoding (pgoutput) needs wal_level=logical');
    assert.equal(r.fix, "ALTER SYSTEM SET wal_level = 'logical'; then restart PostgreSQL");
    assert.deepEqual(failingChecks(results).map((x) => x.id), ['source.wal_level']);
  });
});
