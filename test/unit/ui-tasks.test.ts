// New Migration Task, the Tasks view and running a task from the extension's commands, against the real
// test databases; and no password anywhere the extension writes.
import './ui-fakes';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MYSQL_PASSWORD, MYSQL_PORT, PG_PASSWORD, PG_PORT, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mariadb } from '../helpers/db';
import { includePatterns, precheckChoices } from '../../src/ui/new-task-wizard';
import { suggestTaskName, writeTaskFile } from '../../src/ui/task-files';
import { TasksTreeProvider } from '../../src/ui/tasks-tree';
import { choose, choosePicked, type, until } from './ui-fakes';
import { makeHarness } from './ui-harness';

test('include patterns are * for every table, bare names for MySQL and schema.name for PostgreSQL otherwise', () => {
  const all = [{ schema: 'app', name: 'a', estimatedRows: 1 }, { schema: 'app', name: 'b.c', estimatedRows: 1 }];
  assert.deepEqual(includePatterns('mysql', all, all), ['*']);
  assert.deepEqual(includePatterns('mysql', all, [all[1]]), ['b.c']);
  assert.deepEqual(includePatterns('postgres', all, [all[1]]), ['app.b.c']);
  assert.equal(suggestTaskName('sakila', 'sakila pg', ['sakila-to-sakila_pg']), 'sakila-to-sakila_pg-2');
});

test('a failed pre-check turns "Save task" into "Save anyway" and lists failures first with their fixes', () => {
  const items = precheckChoices([
    { id: 'a', level: 'pass', title: 'Version', message: 'ok' },
    { id: 'b', level: 'fail', title: 'Binlog format', message: 'binlog_format is STATEMENT', fix: 'SET GLOBAL binlog_format=ROW' },
  ]);
  assert.deepEqual(items.map((i) => i.label), ['$(warning) Save anyway', '$(open-preview) Open the pre-check report', '$(close) Cancel', '$(error) Binlog format', '$(pass) Version']);
  assert.equal(items[3].detail, 'binlog_format is STATEMENT — fix: SET GLOBAL binlog_format=ROW');
});

test('the Tasks view lists task files with their state and shows an invalid file with its reason', (t) => {
  const h = makeHarness();
  t.after(() => h.cleanup());
  writeTaskFile(h.folder, { name: 'ok-task', source: `mysql://root@127.0.0.1:${MYSQL_PORT}/a`, target: `postgres://postgres@127.0.0.1:${PG_PORT}/b`,
    phases: ['schema', 'full'], objects: { include: ['*'], exclude: [] }, parallelism: 2, schemaOverrides: {}, options: { chunkRows: 50_000, lossless: true, identifierCase: 'lower' } });
  mkdirSync(path.join(h.folder, '.ferry'), { recursive: true });
  writeFileSync(path.join(h.folder, '.ferry', 'broken.json'), '{"name": "broken", "source": "mysql://x/db"}');
  h.index.refresh();
  const tree = new TasksTreeProvider(h.index, h.board);
  const roots = tree.getChildren();
  const items = roots.map((n) => tree.getTreeItem(n));
  assert.deepEqual(items.map((i) => [i.label, i.contextValue]), [['broken.json', 'taskInvalid'], ['ok-task', 'task:not_started']]);
  assert.match(String(items[0].tooltip), /"target" is missing/);
  assert.equal(items[1].description, 'not started');
  h.board.setState(path.join(h.folder, '.ferry', 'ok-task.json'), 'ok-task', 'failed', { code: 'X', message: 'target unreachable', retryable: false });
  const failed = tree.getTreeItem(tree.getChildren()[1]);
  assert.equal(failed.contextValue, 'task:failed');
  const [errChild] = tree.getChildren(tree.getChildren()[1]);
  assert.equal(tree.getTreeItem(errChild).command?.command, 'ferry.showLog');
});

test('New Migration Task walks source, target, objects and pre-check, then writes .ferry/<name>.json without a password; a run copies the rows', async (t) => {
  const src = await createMysqlDb('ui_src');
  const dst = await createPgDb('ui_dst');
  t.after(async () => { await dropMysqlDb(src); await dropPgDb(dst); });
  mariadb(src, "CREATE TABLE `Film` (id INT PRIMARY KEY, title VARCHAR(50)); INSERT INTO `Film` VALUES (1,'a'),(2,'b'),(3,'c'); CREATE TABLE skipped (id INT PRIMARY KEY);");
  const h = makeHarness();
  t.after(() => h.cleanup());
  await h.store.save({ id: 'm', name: 'maria', engine: 'mysql', host: '127.0.0.1', port: MYSQL_PORT, user: 'root', database: src, tls: 'off' }, MYSQL_PASSWORD);
  await h.store.save({ id: 'p', name: 'pg', engine: 'postgres', host: '127.0.0.1', port: PG_PORT, user: 'postgres', database: dst, tls: 'off' }, PG_PASSWORD);
  h.prompter.push(
    choose(/^maria$/), choose(new RegExp(`^${src}$`)), choose(/^pg$/), choose(new RegExp(`^${dst}$`)),
    choosePicked((l) => l === 'Film'), choosePicked((l) => l !== 'Incremental'), type('2'), type('ui-task'),
    (q) => { assert.equal(q.kind, 'pick'); return choose(/Save/)(q); },
  );
  const result = await h.commands.newTask();
  assert.ok(result);
  assert.equal(result.file, path.join(h.folder, '.ferry', 'ui-task.json'));
  const text = readFileSync(result.file, 'utf8');
  assert.deepEqual(JSON.parse(text), {
    name: 'ui-task', source: `mysql://root@127.0.0.1:${MYSQL_PORT}/${src}`, target: `postgres://postgres@127.0.0.1:${PG_PORT}/${dst}`,
    phases: ['schema', 'full'], objects: { include: ['Film'], exclude: [] }, parallelism: 2, schemaOverrides: {},
  });
  assert.ok(result.checks.length > 0, 'the pre-check ran');

  assert.equal(await h.commands.start('ui-task'), true);
  const file = result.file;
  await until(() => !h.runs.isRunning(file) && h.board.get(file)?.state !== 'running', 120_000, 'the run to end');
  const view = h.board.get(file);
  assert.equal(view?.state, 'finished', view?.lastError?.message);
  assert.deepEqual([...view!.tables.values()].map((x) => x.rowsCopied), [3]);
  assert.match(h.log.text(), /\[ui-task\] phase full started/);

  // Nothing the extension persisted or printed holds a password.
  const written = [text, h.globalState.dump(), h.workspaceState.dump(), h.log.text(), JSON.stringify(h.settings),
    JSON.stringify(h.prompter.messages), JSON.stringify(h.prompter.reports)].join('\n');
  for (const pw of [MYSQL_PASSWORD, PG_PASSWORD]) assert.ok(!written.includes(pw), `password found in what the extension wrote`);
});
