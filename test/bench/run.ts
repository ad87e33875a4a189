// `npm run bench [-- --scale 0.1] [--part full|incremental|all]`: Ferry against its peers on the same
// servers in the same run; prints a table of ratios and writes bench/results/*.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MYSQL_PASSWORD, MYSQL_PORT, PG_PORT, ROOT, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlUrl, pgUrl, psql,
} from '../helpers/db';
import { createMariadbDataset, createPostgresDataset, sizeFor } from './dataset';
import { runIncrementalBench } from './incremental';
import { BENCH_ENV, FERRY, ferryEnv, writeTask } from './common';
import { type Measured, measure } from './measure';

export interface Run {
  pair: string;
  tool: string;
  seconds: number;
  rows: number;
  peakRssMb: number;
  mb?: number;
  note?: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function check(m: Measured, what: string): Measured {
  if (m.exitCode !== 0) throw new Error(`${what} failed (exit ${m.exitCode}):\n${m.stderrTail}`);
  return m;
}

/**
 * A peer tool's run, tried again (up to three times) when it fails on its own (myloader 0.10 has no retry of a
 * deadlocked chunk): the comparison is with the peer's successful run; the failed attempts are noted.
 */
async function measurePeer(script: string, what: string): Promise<{ m: Measured; note: string }> {
  const failures: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const m = await measure(script, BENCH_ENV);
    if (m.exitCode === 0) return { m, note: failures.length ? `; ${failures.length} earlier attempt(s) failed: ${failures.join(' | ')}` : '' };
    const reason = m.stderrTail.split('\n').find((l) => /error|critical/i.test(l))?.trim().slice(0, 160) ?? `exit ${m.exitCode}`;
    failures.push(reason);
    process.stderr.write(`[bench] ${what} attempt ${attempt} failed: ${reason}\n`);
    if (attempt === 3) return { m: check(m, what), note: '' };
  }
}

function tableBytes(db: string, tables: string[]): number {
  const list = tables.map((t) => `'${t}'`).join(',');
  return Number(mariadb(db, `SELECT COALESCE(SUM(DATA_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' AND TABLE_NAME IN (${list})`).trim());
}

async function fullLoadBench(scale: number, work: string): Promise<{ runs: Run[] }> {
  const size = sizeFor(scale);
  const runs: Run[] = [];
  const sb = Array.from({ length: size.sbtestTables }, (_, i) => `sbtest${i + 1}`);
  const sbRows = size.sbtestTables * size.sbtestRows;
  const src = 'bench_src';
  process.stderr.write(`[bench] generating ${size.sbtestTables} x ${size.sbtestRows} sbtest rows + wide ${size.wideRows} + nokey ${size.nokeyRows} in MariaDB\n`);
  createMariadbDataset(src, size, true);
  const sbMb = tableBytes(src, sb) / 1e6;
  process.stderr.write(`[bench] sbtest tables: ${sbMb.toFixed(0)} MB in MariaDB\n`);

  // --- MariaDB -> PostgreSQL: Ferry, pgloader (tuned), raw pipes --------------------------------------------
  const record = (pair: string, tool: string, m: Measured, rows: number, mb?: number, note?: string) => {
    runs.push({ pair, tool, seconds: round(m.seconds), rows, peakRssMb: m.peakRssMb, mb: mb === undefined ? undefined : round(mb), note });
    process.stderr.write(`[bench] ${pair} ${tool}: ${m.seconds.toFixed(1)} s, peak RSS ${m.peakRssMb} MB\n`);
  };

  {
    const target = await createPgDb('bench_ferry_pg');
    const task = writeTask(work, 'bench-my-pg', mysqlUrl(src), pgUrl(target), ['schema', 'full'], ['sbtest*']);
    record('mysql->postgres', 'ferry', check(await measure(`${FERRY} run ${task} --until full`, ferryEnv('mysql', 'postgres')), 'ferry mysql->postgres'), sbRows, sbMb);
    assertCopied(sbRows, sb.map((t) => Number(psql(target, `SELECT count(*) FROM public.${t}`).trim())), 'ferry mysql->postgres');
    await dropPgDb(target);
  }
  {
    const target = await createPgDb('bench_pgloader');
    const load = path.join(work, 'pgloader.load');
    // pgloader reads the passwords from the environment through its {{VAR}} templating; nothing is stored.
    writeFileSync(load, `LOAD DATABASE
  FROM mysql://root:{{MYSQL_PASSWORD}}@127.0.0.1:${MYSQL_PORT}/${src}
  INTO postgresql://postgres:{{PG_PASSWORD}}@127.0.0.1:${PG_PORT}/${target}
  WITH include drop, create tables, create indexes, reset sequences, workers = 4, concurrency = 1,
       prefetch rows = 10000, batch rows = 10000
  INCLUDING ONLY TABLE NAMES MATCHING ~/^sbtest/
  ALTER SCHEMA '${src}' RENAME TO 'public';
`);
    record('mysql->postgres', 'pgloader', check(await measure(`pgloader --no-ssl-cert-verification ${load}`, BENCH_ENV), 'pgloader'), sbRows, sbMb, 'workers=4 concurrency=1 prefetch/batch rows=10000');
    assertCopied(sbRows, sb.map((t) => Number(psql(target, `SELECT count(*) FROM public.${t}`).trim())), 'pgloader');
    await dropPgDb(target);
  }
  {
    const target = await createPgDb('bench_raw');
    const ddl = sb.map((t) => `CREATE TABLE ${t} (id integer NOT NULL, k integer NOT NULL DEFAULT 0, c character(120) NOT NULL DEFAULT '', pad character(60) NOT NULL DEFAULT '')`).join(';');
    psql(target, ddl);
    const my = `mariadb -h127.0.0.1 -P${MYSQL_PORT} -uroot -B -N --quick ${src}`;
    const pg = `psql -h 127.0.0.1 -p ${PG_PORT} -U postgres -d ${target} -q -v ON_ERROR_STOP=1`;
    const pipes = sb.map((t) => `(${my} -e "SELECT id, k, c, pad FROM ${t}" | ${pg} -c "\\copy ${t} FROM STDIN") &`).join('\n');
    const indexes = sb.map((t, i) => `(${pg} -c "ALTER TABLE ${t} ADD PRIMARY KEY (id); CREATE INDEX k_${i + 1} ON ${t} (k)") &`).join('\n');
    const script = `${pipes}\nwait\n${indexes}\nwait`;
    record('mysql->postgres', 'raw', check(await measure(script, BENCH_ENV), 'raw pipes'), sbRows, sbMb, '4 parallel mariadb -B | psql \\copy + index builds');
    assertCopied(sbRows, sb.map((t) => Number(psql(target, `SELECT count(*) FROM public.${t}`).trim())), 'raw');
    await dropPgDb(target);
  }
  {
    // The whole dataset (wide types, a table without a key), Ferry only: no peer copies it losslessly.
    const target = await createPgDb('bench_ferry_all');
    const task = writeTask(work, 'bench-my-pg-all', mysqlUrl(src), pgUrl(target), ['schema', 'full'], ['*']);
    record('mysql->postgres', 'ferry-all-tables', check(await measure(`${FERRY} run ${task} --until full`, ferryEnv('mysql', 'postgres')), 'ferry all tables'),
      sbRows + size.wideRows + size.nokeyRows, undefined, 'sbtest + wide (unsigned, decimal, datetime(6), utf8mb4, text, enum, json) + nokey');
    await dropPgDb(target);
  }

  // --- MariaDB -> MariaDB: Ferry vs mydumper/myloader --------------------------------------------------------
  {
    const target = `bench_ferry_my_${process.pid}`;
    mariadb('mysql', `CREATE DATABASE ${target} CHARACTER SET utf8mb4`);
    const task = writeTask(work, 'bench-my-my', mysqlUrl(src), mysqlUrl(target), ['schema', 'full'], ['sbtest*']);
    record('mysql->mysql', 'ferry', check(await measure(`${FERRY} run ${task} --until full`, ferryEnv('mysql', 'mysql')), 'ferry mysql->mysql'), sbRows, sbMb);
    assertCopied(sbRows, sb.map((t) => Number(mariadb(target, `SELECT count(*) FROM ${t}`).trim())), 'ferry mysql->mysql');
    await dropMysqlDb(target);
  }
  {
    const target = `bench_myloader_${process.pid}`;
    const dump = path.join(work, 'mydumper');
    const cnf = path.join(work, 'my.cnf');
    writeFileSync(cnf, `[client]\nuser=root\npassword=${MYSQL_PASSWORD}\nhost=127.0.0.1\nport=${MYSQL_PORT}\n[mydumper]\nuser=root\npassword=${MYSQL_PASSWORD}\nhost=127.0.0.1\nport=${MYSQL_PORT}\n[myloader]\nuser=root\npassword=${MYSQL_PASSWORD}\nhost=127.0.0.1\nport=${MYSQL_PORT}\n`, { mode: 0o600 });
    // mydumper 0.10 ignores -T with -B here; the regex selects exactly the sbtest tables.
    const script = `rm -rf ${dump} && mydumper --defaults-file=${cnf} -h 127.0.0.1 -P ${MYSQL_PORT} -u root --regex '^${src}\\.sbtest' -o ${dump} -t 4 -r 100000 \
&& myloader --defaults-file=${cnf} -h 127.0.0.1 -P ${MYSQL_PORT} -u root -d ${dump} -B ${target} -t 4 -o -e`;
    const peer = await measurePeer(script, 'mydumper/myloader');
    // -e: myloader writes the target's binlog as Ferry does (by default it turns it off for its sessions); the
    // same durability and replication duties on both sides.
    record('mysql->mysql', 'mydumper/myloader', peer.m, sbRows, sbMb, `-t 4, 100000-row chunks, -e (target binlog on, as Ferry keeps it)${peer.note}`);
    assertCopied(sbRows, sb.map((t) => Number(mariadb(target, `SELECT count(*) FROM ${t}`).trim())), 'mydumper/myloader');
    rmSync(cnf, { force: true });
    rmSync(dump, { recursive: true, force: true });
    await dropMysqlDb(target);
  }

  // --- PostgreSQL -> PostgreSQL: Ferry vs pg_dump -Fd -j | pg_restore -j ----------------------------------------
  const pgSrc = await createPgDb('bench_pg_src');
  try {
    createPostgresDataset(pgSrc, size);
    const pgMb = Number(psql(pgSrc, `SELECT sum(pg_table_size(c.oid)) FROM pg_class c WHERE relname LIKE 'sbtest%' AND relkind = 'r'`).trim()) / 1e6;
    {
      const target = await createPgDb('bench_ferry_pgpg');
      const task = writeTask(work, 'bench-pg-pg', pgUrl(pgSrc), pgUrl(target), ['schema', 'full'], ['sbtest*']);
      record('postgres->postgres', 'ferry', check(await measure(`${FERRY} run ${task} --until full`, ferryEnv('postgres', 'postgres')), 'ferry postgres->postgres'), sbRows, pgMb);
    assertCopied(sbRows, sb.map((t) => Number(psql(target, `SELECT count(*) FROM public.${t}`).trim())), 'ferry postgres->postgres');
      await dropPgDb(target);
      // The full load leaves the replication slot for CDC; the benchmark has no CDC here.
      psql(pgSrc, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()`);
    }
    {
      const target = await createPgDb('bench_pgrestore');
      const dump = path.join(work, 'pgdump');
      const conn = `-h 127.0.0.1 -p ${PG_PORT} -U postgres`;
      const script = `rm -rf ${dump} && pg_dump ${conn} -Fd -j 4 -f ${dump} ${pgSrc} && pg_restore ${conn} -j 4 -d ${target} ${dump}`;
      record('postgres->postgres', 'pg_dump/pg_restore', check(await measure(script, BENCH_ENV), 'pg_dump/pg_restore'), sbRows, pgMb, '-Fd -j 4');
    assertCopied(sbRows, sb.map((t) => Number(psql(target, `SELECT count(*) FROM public.${t}`).trim())), 'pg_dump/pg_restore');
      rmSync(dump, { recursive: true, force: true });
      await dropPgDb(target);
    }
  } finally {
    await dropPgDb(pgSrc);
  }
  return { runs };
}

/** A peer that exits 0 without copying would make any ratio meaningless: every run's rows are counted. */
function assertCopied(expected: number, counts: number[], tool: string): void {
  const got = counts.reduce((a, b) => a + b, 0);
  if (got !== expected) throw new Error(`${tool} copied ${got} rows, expected ${expected}`);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function printTable(runs: Run[]): void {
  const peerOf: Record<string, string[]> = {
    'mysql->postgres': ['pgloader', 'raw'],
    'mysql->mysql': ['mydumper/myloader'],
    'postgres->postgres': ['pg_dump/pg_restore'],
  };
  const rows = runs.map((r) => {
    const ferry = runs.find((x) => x.pair === r.pair && x.tool === 'ferry');
    const ratios = r.tool === 'ferry' ? (peerOf[r.pair] ?? []).map((p) => {
      const peer = runs.find((x) => x.pair === r.pair && x.tool === p);
      return peer ? `${(r.seconds / peer.seconds).toFixed(2)}x ${p}` : '';
    }).filter(Boolean).join(', ') : ferry && r.tool !== 'ferry-all-tables' ? `ferry/${r.tool} ${(ferry.seconds / r.seconds).toFixed(2)}x` : '';
    return [r.pair, r.tool, r.seconds.toFixed(1), Math.round(r.rows / r.seconds).toString(), r.mb ? (r.mb / r.seconds).toFixed(1) : '', String(r.peakRssMb), ratios];
  });
  const head = ['pair', 'tool', 'seconds', 'rows/s', 'MB/s', 'peak RSS MB', 'Ferry/peer'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(line(head) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n' + rows.map(line).join('\n') + '\n');
}

export function machine(): Record<string, unknown> {
  return {
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version,
    mariadb: mariadb('mysql', 'SELECT VERSION()').trim(), postgres: psql('postgres', 'SHOW server_version').trim(),
  };
}

async function main(): Promise<void> {
  const scale = Number(arg('--scale', '1'));
  const part = arg('--part', 'all');
  if (!(scale > 0 && scale <= 10)) throw new Error('--scale takes a number in (0, 10]');
  const work = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
  const outDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  try {
    if (part === 'full' || part === 'all') {
      const { runs } = await fullLoadBench(scale, work);
      writeFileSync(path.join(outDir, 'full-load.json'), JSON.stringify({ machine: machine(), scale, runs }, null, 2) + '\n');
      printTable(runs);
    }
    if (part === 'incremental' || part === 'all') {
      const result = await runIncrementalBench(scale, work);
      writeFileSync(path.join(outDir, 'incremental.json'), JSON.stringify({ machine: machine(), scale, ...result }, null, 2) + '\n');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
