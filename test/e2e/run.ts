// The e2e runner: packages Ferry, installs the .vsix into one private code-server for the whole suite,
// drives it with Chromium through the scenarios in order, prints a line per scenario and "N passed, N failed".
//   npm run test:e2e [-- --headed] [-- --only <words>] [-- --keep] [-- --vsix FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createPgDb, dropMysqlDb, dropPgDb, loadSakila, MYSQL_PASSWORD, MYSQL_PORT, PG_PASSWORD, PG_PORT } from '../helpers/db';
import { electronTestsAvailable, runElectronTests } from './lib/electron';
import { codeServerDirs, installExtension, packageExtension, startCodeServer, type CodeServer } from './lib/code-server';
import { ROOT, SCREENSHOTS, WORK } from './lib/paths';
import type { E2EContext, Scenario } from './lib/scenario';
import { launchBrowser, Workbench } from './lib/workbench';
import { scenarios } from './scenarios';

const args = process.argv.slice(2);
// `npm run test:e2e --headed` reaches us as npm_config_headed; `npm run test:e2e -- --headed` as an argument.
const headed = args.includes('--headed') || process.env.npm_config_headed === 'true';
const keep = args.includes('--keep');
const onlyAt = args.indexOf('--only');
// --only a,b: the scenarios whose name or folder contains any of the words (later ones need earlier ones' work).
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').toLowerCase().split(',').filter(Boolean) : undefined;
// --vsix FILE installs a given package instead of running `npm run package` (debugging a build).
const vsixAt = args.indexOf('--vsix');
const givenVsix = vsixAt >= 0 ? path.resolve(args[vsixAt + 1] ?? '') : undefined;

const t0 = Date.now();
const elapsed = (from = t0) => `${((Date.now() - from) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stdout.write(`${line}\n`);
const note = (line: string) => process.stderr.write(`[e2e +${elapsed()}] ${line}\n`);

let server: CodeServer | undefined;
let browser: Browser | undefined;
const databases: { mysql: string[]; pg: string[] } = { mysql: [], pg: [] };

/** Runs on every way out: normal end, failure, Ctrl-C, SIGTERM from CI. */
async function cleanUp(): Promise<void> {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (!keep) {
    for (const db of databases.mysql) await dropMysqlDb(db).catch((e) => note(`could not drop MariaDB database ${db}: ${e}`));
    for (const db of databases.pg) await dropPgDb(db).catch((e) => note(`could not drop PostgreSQL database ${db}: ${e}`));
  }
}
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    note(`${sig}: stopping code-server and Chromium`);
    void cleanUp().finally(() => process.exit(130));
  });
}
// Last resort when the process dies without running the async clean-up: never leave a server behind.
process.on('exit', () => server?.stopNow());

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms); });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  const selected: Scenario[] = only ? scenarios.filter((s) => only.some((w) => s.name.toLowerCase().includes(w) || s.dir.includes(w))) : scenarios;
  if (selected.length === 0) { say(`no scenario matches "${only?.join(',')}"`); return 1; }

  note('test databases');
  execFileSync('bash', [path.join(ROOT, 'test', 'db', 'start.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const sourceDb = await loadSakila('e2e_sakila');
  databases.mysql.push(sourceDb);
  const targetDb = await createPgDb('e2e_sakila_pg');
  databases.pg.push(targetDb);
  note(`Sakila loaded into MariaDB ${sourceDb}; target PostgreSQL database ${targetDb}`);

  note(givenVsix ? `using ${givenVsix}` : 'npm run package');
  const vsix = givenVsix ?? packageExtension();
  const runDir = path.join(WORK, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  // Earlier runs' scratch dirs go; anything else under .work (e.g. a throwaway extension) stays.
  for (const old of existsSync(WORK) ? readdirSync(WORK) : []) if (old.startsWith('run-')) rmSync(path.join(WORK, old), { recursive: true, force: true });
  const dirs = codeServerDirs(runDir);
  const workspace = path.join(runDir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  note(`install ${path.relative(ROOT, vsix)}: ${installExtension(vsix, dirs).split('\n').pop()}`);

  const mysqlServer = { host: '127.0.0.1', port: MYSQL_PORT, user: 'root', password: MYSQL_PASSWORD };
  const pgServer = { host: '127.0.0.1', port: PG_PORT, user: 'postgres', password: PG_PASSWORD };
  server = await startCodeServer({
    dirs, workspace,
    // The extension host inherits these: where the test databases are (never used as stored passwords).
    env: {
      FERRY_E2E: '1', FERRY_MYSQL_PORT: String(MYSQL_PORT), FERRY_PG_PORT: String(PG_PORT),
      FERRY_E2E_SOURCE_DB: sourceDb, FERRY_E2E_TARGET_DB: targetDb,
    },
  });
  note(`code-server (pid ${server.pid}) on port ${server.port}, log ${path.relative(ROOT, dirs.logFile)}`);
  browser = await launchBrowser(headed);
  const wb = await Workbench.open(browser, server.url, SCREENSHOTS);
  // Contributed commands reach the palette once the extension host has scanned the extension.
  await wb.activityItem('Ferry').waitFor({ timeout: 60_000 }).catch(() => note('the Ferry activity-bar item did not appear'));
  note('workbench ready');

  const ctx: E2EContext = {
    wb, server, workspace, mysql: mysqlServer, pg: pgServer, sourceDb, targetDb,
    names: { mysqlConnection: 'E2E MariaDB', pgConnection: 'E2E PostgreSQL', task: 'sakila-to-pg' },
    notes: new Map(),
  };
  let passed = 0;
  let failed = 0;
  for (const s of selected) {
    if (interrupted) break;
    const started = Date.now();
    wb.startScenario(s.dir);
    try {
      await withTimeout(s.run(ctx), s.timeoutMs, `"${s.name}"`);
      passed++;
      say(`ok - ${s.name} (${elapsed(started)})`);
    } catch (e) {
      failed++;
      await wb.screenshot('failure').catch(() => undefined);
      const msg = e instanceof Error ? e.message : String(e);
      say(`not ok - ${s.name} (${elapsed(started)}): ${msg.split('\n')[0]}`);
      if (msg.includes('\n')) process.stderr.write(`${msg}\n`);
      // Leave the workbench usable for the next scenario: no half-answered input, no open menu.
      await wb.closeQuickInput().catch(() => undefined);
      await wb.page.keyboard.press('Escape').catch(() => undefined);
    }
  }
  if (!only && !interrupted && electronTestsAvailable()) {
    const started = Date.now();
    const name = `extension-host tests in the local VS Code at ${process.env.VSCODE_EXECUTABLE_PATH}`;
    try {
      const code = await runElectronTests({ FERRY_MYSQL_PORT: String(MYSQL_PORT), FERRY_PG_PORT: String(PG_PORT) });
      if (code === 0) { passed++; say(`ok - ${name} (${elapsed(started)})`); } else { failed++; say(`not ok - ${name}: exit code ${code}`); }
    } catch (e) {
      failed++;
      say(`not ok - ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  say(`screenshots: ${path.relative(ROOT, SCREENSHOTS)}/ — total ${elapsed()}`);
  say(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main()
  .then(async (code) => { await cleanUp(); process.exit(code); })
  .catch(async (e) => {
    say(`not ok - e2e setup: ${e instanceof Error ? e.message : String(e)}`);
    say('0 passed, 1 failed');
    await cleanUp();
    process.exit(1);
  });
