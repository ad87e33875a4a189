// The Connections view and its commands against the real MariaDB and PostgreSQL test servers.
import './ui-fakes';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as vscode from 'vscode';
import { type ConnectionNode, ConnectionsTreeProvider } from '../../src/ui/connections-tree';
import { passwordKey } from '../../src/ui/connections';
import { realEngine } from '../../src/ui/engine-api';
import { MYSQL_PASSWORD, MYSQL_PORT, PG_PASSWORD, PG_PORT, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mariadb, psql } from '../helpers/db';
import { makeHarness } from './ui-harness';
import { choose, type } from './ui-fakes';

const mysqlAnswers = (name: string, db: string, password: string) => [
  choose(/MySQL/), type(name), type('127.0.0.1'), type(String(MYSQL_PORT)), type('root'), type(db), choose(/^Off/), type(password),
];

test('the connection store keeps metadata in globalState and the password only in SecretStorage, also for copies', async (t) => {
  const h = makeHarness();
  t.after(() => h.cleanup());
  const profile = { id: 'c1', name: 'orders', engine: 'mysql' as const, host: '127.0.0.1', port: 3306, user: 'root', database: 'orders', tls: 'off' as const };
  await h.store.save({ ...profile, password: 'pw-in-the-object' } as typeof profile, 'Sekrit-1');
  assert.deepEqual(h.store.list(), [profile]);
  assert.equal(await h.secrets.get(passwordKey('c1')), 'Sekrit-1');
  const copy = await h.store.duplicate('c1');
  assert.equal(copy.name, 'orders (copy)');
  assert.notEqual(copy.id, 'c1');
  assert.equal(await h.store.password(copy.id), 'Sekrit-1');
  assert.equal((await h.store.duplicate('c1')).name, 'orders (copy 2)');
  await assert.rejects(h.store.save({ ...profile, id: 'c2' }), /a connection named "orders" exists already/);
  await h.store.remove('c1');
  assert.equal(await h.secrets.get(passwordKey('c1')), undefined);
  assert.deepEqual(h.store.list().map((p) => p.name), ['orders (copy 2)', 'orders (copy)']);
  assert.doesNotMatch(h.globalState.dump(), /Sekrit-1|pw-in-the-object/);
});

test('New Connection asks step by step, hides the password, saves it in secrets and reports the server version and binlog settings', async (t) => {
  const h = makeHarness();
  t.after(() => h.cleanup());
  h.prompter.push(...mysqlAnswers('maria', 'mysql', MYSQL_PASSWORD));
  const profile = await h.commands.newConnection();
  assert.ok(profile);
  assert.deepEqual({ ...profile, id: 'x' }, { id: 'x', name: 'maria', engine: 'mysql', host: '127.0.0.1', port: MYSQL_PORT, user: 'root', database: 'mysql', tls: 'off' });
  const pwQuestion = h.prompter.questions.at(-1);
  assert.ok(pwQuestion?.kind === 'input' && pwQuestion.options.password === true);
  assert.equal(await h.store.password(profile.id), MYSQL_PASSWORD);
  const msg = h.prompter.messages.at(-1);
  assert.equal(msg?.level, 'info');
  assert.match(msg?.text ?? '', /^Ferry: maria connected — 10\.11\.\d+-MariaDB.*binlog_format=ROW, binlog_row_image=FULL/);
  assert.doesNotMatch(h.globalState.dump() + h.log.text(), new RegExp(MYSQL_PASSWORD));
});

test('a wrong password gives a clear error with "Update password", which re-asks and stores the new one', async (t) => {
  const h = makeHarness();
  t.after(() => h.cleanup());
  h.prompter.push(...mysqlAnswers('wrong', 'mysql', 'not-the-password'));
  let offered: string[] = [];
  h.prompter.onMessage = (level, text, actions) => {
    if (level === 'error') { offered = actions; h.prompter.push(type(MYSQL_PASSWORD)); return 'Update password'; }
    return undefined;
  };
  const profile = await h.commands.newConnection();
  assert.ok(profile);
  const err = h.prompter.messages.find((m) => m.level === 'error');
  assert.match(err?.text ?? '', /access denied for user "root" \(wrong password or user\)/);
  assert.deepEqual(offered, ['Update password', 'Show log']);
  assert.equal(await h.store.password(profile.id), MYSQL_PASSWORD);
  const result = await h.commands.testConnection(profile.id);
  assert.match(result?.version ?? '', /MariaDB/);
  assert.doesNotMatch(h.log.text(), /not-the-password/);
});

test('the tree expands a MariaDB connection to its databases and tables, with odd names intact', async (t) => {
  const db = await createMysqlDb('ui_tree');
  t.after(() => dropMysqlDb(db));
  mariadb(db, 'CREATE TABLE `Order Items` (id INT PRIMARY KEY); CREATE TABLE `select` (id INT PRIMARY KEY); CREATE TABLE `ünïcode``tick` (id INT PRIMARY KEY);');
  const h = makeHarness();
  t.after(() => h.cleanup());
  await h.store.save({ id: 'm', name: 'maria', engine: 'mysql', host: '127.0.0.1', port: MYSQL_PORT, user: 'root', database: db, tls: 'off' }, MYSQL_PASSWORD);
  const tree = new ConnectionsTreeProvider(h.store, realEngine());
  const [conn] = await tree.getChildren();
  const item = tree.getTreeItem(conn);
  assert.equal(item.label, 'maria');
  assert.equal(item.contextValue, 'connection');
  assert.equal(item.description, `root@127.0.0.1:${MYSQL_PORT}/${db}`);
  const dbs = await tree.getChildren(conn);
  const mine = dbs.find((n) => n.kind === 'database' && n.database === db) as ConnectionNode;
  assert.ok(mine, 'the test database is listed');
  assert.ok(!dbs.some((n) => n.kind === 'database' && ['mysql', 'information_schema', 'performance_schema'].includes(n.database)));
  assert.equal(tree.getTreeItem(mine).description, 'default');
  const tables = await tree.getChildren(mine);
  assert.deepEqual(tables.map((n) => tree.getTreeItem(n).label), ['Order Items', 'select', 'ünïcode`tick']);
  assert.equal(tree.getTreeItem(tables[0]).collapsibleState, vscode.TreeItemCollapsibleState.None);
});

test('a PostgreSQL database with several schemas expands to schemas, then tables', async (t) => {
  const db = await createPgDb('ui_tree');
  t.after(() => dropPgDb(db));
  psql(db, 'CREATE SCHEMA "Sales"; CREATE TABLE "Sales"."Orders" (id int primary key); CREATE TABLE public.items (id int primary key); CREATE TABLE public."Order" (id int);');
  const h = makeHarness();
  t.after(() => h.cleanup());
  await h.store.save({ id: 'p', name: 'pg', engine: 'postgres', host: '127.0.0.1', port: PG_PORT, user: 'postgres', database: 'postgres', tls: 'off' }, PG_PASSWORD);
  const tree = new ConnectionsTreeProvider(h.store, realEngine());
  const [conn] = await tree.getChildren();
  const dbNode = (await tree.getChildren(conn)).find((n) => n.kind === 'database' && n.database === db);
  assert.ok(dbNode);
  const schemas = await tree.getChildren(dbNode);
  assert.deepEqual(schemas.map((n) => [tree.getTreeItem(n).label, tree.getTreeItem(n).description]), [['Sales', '1 table'], ['public', '2 tables']]);
  const publicTables = await tree.getChildren(schemas[1]);
  assert.deepEqual(publicTables.map((n) => tree.getTreeItem(n).label), ['items', 'Order'].sort((a, b) => a.localeCompare(b)));
});

test('expanding a connection whose password the server rejects shows the error with an Update Password action', async (t) => {
  const h = makeHarness();
  t.after(() => h.cleanup());
  await h.store.save({ id: 'bad', name: 'bad', engine: 'postgres', host: '127.0.0.1', port: PG_PORT, user: 'postgres', database: 'postgres', tls: 'off' }, 'wrong-pw');
  const tree = new ConnectionsTreeProvider(h.store, realEngine());
  const [conn] = await tree.getChildren();
  const [msg] = await tree.getChildren(conn);
  const item = tree.getTreeItem(msg);
  assert.match(String(item.label), /password authentication failed for user "postgres"/);
  assert.equal(item.contextValue, 'connectionAuthError');
  assert.equal(item.command?.command, 'ferry.updatePassword');
});
