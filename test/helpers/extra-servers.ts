// Throw-away, deliberately misconfigured database servers for pre-check tests: a MariaDB or a PostgreSQL
// cluster in a temp directory on a free loopback port, started in the test and stopped in after().
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export const EXTRA_PASSWORD = 'ferry-extra-pw';

export interface ExtraServer {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s`);
}

/** A fresh MariaDB data directory in a temp dir on a free port: my.cnf (common lines + `settings`) written, system tables installed. */
export async function initMariadb(prefix: string, settings: string[]): Promise<{ dir: string; port: number; cnf: string; sock: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const port = await freePort();
  const sock = path.join(dir, 'mysqld.sock');
  const cnf = path.join(dir, 'my.cnf');
  writeFileSync(cnf, [
    '[mariadbd]', 'user=root', `datadir=${dir}/data`, `socket=${sock}`, `pid-file=${dir}/mysqld.pid`, `port=${port}`,
    'bind-address=127.0.0.1', 'skip-name-resolve', `log-error=${dir}/error.log`, 'performance_schema=OFF',
    'character-set-server=utf8mb4', ...settings, '',
  ].join('\n'));
  execFileSync('mariadb-install-db', [`--defaults-file=${cnf}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
  return { dir, port, cnf, sock };
}

export const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A fresh PostgreSQL 15 cluster in a temp dir on a free port, owned by the postgres OS user when running as
 * root: the superuser `postgres` has `password`, postgresql.conf gets the common lines plus `settings`.
 * `run` runs a server program as the cluster's owner.
 */
export async function initPostgres(prefix: string, password: string, settings: string[]): Promise<{ dir: string; port: number; data: string; run: (cmd: string, args: string[]) => void }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const port = await freePort();
  const asPostgres = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    if (asPostgres) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore' });
    else execFileSync(cmd, args, { stdio: 'ignore' });
  };
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  if (asPostgres) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const data = path.join(dir, 'data');
  run(`${PG_BIN}/initdb`, ['-D', data, '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  rmSync(pwfile);
  const conf = [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'fsync = off', ...settings, ''].join('\n');
  // The data directory belongs to postgres (mode 0700): append through the owner when running as root.
  if (asPostgres) run('sh', ['-c', `cat >> '${data}/postgresql.conf' <<'EOF'\n${conf}EOF`]);
  else appendFileSync(path.join(data, 'postgresql.conf'), conf);
  return { dir, port, data, run };
}

/**
 * A MariaDB server with the given my.cnf lines (e.g. `binlog_format=STATEMENT`, or no log-bin at all);
 * root@127.0.0.1 has password EXTRA_PASSWORD.
 */
export async function startMariadb(settings: string[]): Promise<ExtraServer> {
  const { dir, port, cnf, sock } = await initMariadb('ferry-extra-my-', ['innodb_buffer_pool_size=16M', 'innodb_log_file_size=8M', ...settings]);
  const child: ChildProcess = spawn('mariadbd', [`--defaults-file=${cnf}`], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => { exited = true; });
  try {
    await waitFor('MariaDB', async () => {
      if (exited) throw new Error('mariadbd exited');
      const c = await mysql.createConnection({ socketPath: sock, user: 'root' });
      await c.query(`CREATE OR REPLACE USER 'root'@'127.0.0.1' IDENTIFIED BY '${EXTRA_PASSWORD}'`);
      await c.query(`GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION`);
      await c.end();
      return true;
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    dir,
    async stop() {
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
        if (!exited) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A PostgreSQL 15 cluster with the given postgresql.conf lines (e.g. `wal_level = replica`), run as the postgres OS user. */
export async function startPostgres(settings: string[]): Promise<ExtraServer> {
  const { dir, port, data, run } = await initPostgres('ferry-extra-pg-', EXTRA_PASSWORD, ['shared_buffers = 16MB', 'max_connections = 30', ...settings]);
  run(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  await waitFor('PostgreSQL', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: EXTRA_PASSWORD, database: 'postgres' });
    await c.connect();
    await c.end();
    return true;
  });
  return {
    port,
    dir,
    async stop() {
      try {
        run(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
