// The demo: Sakila (MariaDB) -> PostgreSQL, live, through the real `ferry` CLI, with a writer on the source.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  MYSQL_PASSWORD, PG_PASSWORD, ROOT, createPgDb, dropMysqlDb, dropPgDb, loadSakila, mysqlAdmin, mysqlUrl, pgUrl,
} from '../test/helpers/db';

function ferry(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ferry.js'), ...args], { stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function banner(text: string): void {
  process.stdout.write(`\n\x1b[1m=== ${text} ===\x1b[0m\n`);
}

/** Random inserts, updates and deletes on the source, as a shop would make them, until stopped. */
async function startWriter(db: string): Promise<{ stop: () => Promise<number> }> {
  const conn = await mysqlAdmin(db);
  let running = true;
  let transactions = 0;
  const loop = (async () => {
    while (running) {
      await conn.beginTransaction();
      const customer = 1 + Math.floor(Math.random() * 599);
      const film = 1 + Math.floor(Math.random() * 1000);
      await conn.query(`INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (?, 1, NULL, ?, NOW())`,
        [customer, (Math.random() * 10).toFixed(2)]);
      await conn.query(`UPDATE film SET rental_rate = rental_rate + 0.01 WHERE film_id = ?`, [film]);
      if (Math.random() < 0.2) await conn.query(`DELETE FROM payment WHERE customer_id = ? AND rental_id IS NULL ORDER BY payment_id LIMIT 1`, [customer]);
      await conn.commit();
      transactions++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await conn.end();
      return transactions;
    },
  };
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  banner('loading Sakila into the private MariaDB');
  const source = await loadSakila('demo_sakila');
  const target = await createPgDb('demo_sakila_pg');
  process.stdout.write(`source ${mysqlUrl(source)}\ntarget ${pgUrl(target)}\n`);

  const dir = path.join(tmpdir(), `ferry-demo-${process.pid}`, '.ferry');
  mkdirSync(dir, { recursive: true });
  const taskFile = path.join(dir, 'sakila-to-pg.json');
  writeFileSync(taskFile, JSON.stringify({
    name: 'sakila-to-pg', source: mysqlUrl(source), target: pgUrl(target),
    phases: ['schema', 'full', 'incremental'], objects: { include: ['*'], exclude: [] }, parallelism: 4, schemaOverrides: {},
  }, null, 2));
  process.stdout.write(`task file ${taskFile} (no password in it)\n`);
  const env = { ...process.env, FERRY_SOURCE_PASSWORD: MYSQL_PASSWORD, FERRY_TARGET_PASSWORD: PG_PASSWORD };

  let code = 0;
  const writer = await startWriter(source);
  try {
    banner('ferry check');
    await ferry(['check', taskFile], env);
    banner('ferry schema (converted DDL and warnings)');
    code = await ferry(['schema', taskFile], env);
    if (code !== 0) throw new Error('schema conversion failed');
    banner('ferry run --until caught-up (writes keep going on the source)');
    code = await ferry(['run', taskFile, '--until', 'caught-up'], env);
    if (code !== 0) throw new Error('run failed');
  } finally {
    const n = await writer.stop();
    process.stdout.write(`\nwriter stopped after ${n} transactions on the source\n`);
  }
  banner('ferry cutover (drain, sync sequences, final verify, stop replication)');
  code = await ferry(['cutover', taskFile], env);
  banner('ferry status');
  await ferry(['status', taskFile], env);
  if (!keep) {
    await dropMysqlDb(source);
    await dropPgDb(target);
  } else {
    process.stdout.write(`\nkept: MariaDB database ${source}, PostgreSQL database ${target}\n`);
  }
  process.exitCode = code;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
