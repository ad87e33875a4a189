// Issue 3 acceptance: Sakila MySQL->PostgreSQL and Pagila PostgreSQL->MariaDB schemas apply with zero
// errors through `ferry schema --apply`; every object with a faithful equivalent exists on the target and
// every other object carries a Warning.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, passwordsEnv, writeTaskFile } from '../helpers/cli';
import {
  MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, loadPagila, loadSakila, mysqlUrl, pgUrl,
} from '../helpers/db';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import type { Conversion } from '../../src/engine/convert/index';
import type { Schema, Table } from '../../src/engine/model';
import { convertTaskSchema, introspectSource } from '../../src/engine/schema';
import { validateTask } from '../../src/engine/task';

interface Pair {
  name: string;
  sourceUrl: string;
  targetUrl: string;
  drop: () => Promise<void>;
}

/** Every source object is either present on the target (under its mapped name) or named by a Warning / manual item. */
function assertFaithfulOrWarned(conversion: Conversion, target: Schema): void {
  const warned = (needle: string) => conversion.warnings.some((w) => w.object.includes(needle))
    || conversion.manual.some((m) => m.id.includes(needle) || m.source.name === needle);
  const targetTable = (t: Table) => {
    const q = conversion.ids.table({ schema: t.schema, name: t.name });
    return target.tables.find((x) => x.schema === q.schema && x.name === q.name);
  };
  for (const t of conversion.source.tables.filter((x) => !x.partitionOf)) {
    const tt = targetTable(t);
    assert.ok(tt, `table ${t.schema}.${t.name} exists on the target`);
    for (const c of t.columns) {
      const name = conversion.ids.column({ schema: t.schema, name: t.name }, c.name);
      assert.ok(tt.columns.some((x) => x.name === name) || warned(c.name), `column ${t.name}.${c.name} exists on the target or is warned about`);
    }
    assert.deepEqual(tt.primaryKey, t.primaryKey.map((c) => conversion.ids.column({ schema: t.schema, name: t.name }, c)), `primary key of ${t.name}`);
    for (const i of t.indexes) {
      const name = conversion.ids.constraint({ schema: t.schema, name: t.name }, i.name);
      const present = tt.indexes.some((x) => x.name === name) || tt.indexes.some((x) => x.parts.map((p) => p.column).join() === i.parts.map((p) => p.column && conversion.ids.column(t, p.column)).join());
      assert.ok(present || warned(i.name), `index ${t.name}.${i.name} exists on the target or is warned about`);
    }
    for (const f of t.foreignKeys) {
      const name = conversion.ids.constraint({ schema: t.schema, name: t.name }, f.name);
      assert.ok(tt.foreignKeys.some((x) => x.name === name) || warned(f.name), `foreign key ${t.name}.${f.name} exists on the target or is warned about`);
    }
  }
  for (const v of conversion.source.views) {
    const q = conversion.ids.table({ schema: v.schema, name: v.name });
    const present = target.views.some((x) => x.schema === q.schema && x.name === q.name);
    assert.ok(present || warned(v.name), `view ${v.name} exists on the target or is warned about`);
  }
  for (const r of [...conversion.source.routines, ...conversion.source.triggers]) {
    assert.ok(warned(r.name), `routine/trigger ${r.name} is carried as a manual item or warned about`);
  }
}

async function applyAndCheck(pair: Pair): Promise<void> {
  const file = writeTaskFile({ name: pair.name, source: pair.sourceUrl, target: pair.targetUrl, phases: ['schema'] });
  const r = await runCli(['schema', file, '--apply'], passwordsEnv(pair.sourceUrl, pair.targetUrl));
  assert.equal(r.code, 0, `ferry schema --apply failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, / 0 not applied/);

  const task = validateTask({ name: pair.name, source: pair.sourceUrl, target: pair.targetUrl });
  const source = withPassword(parseConnectionUrl(pair.sourceUrl), pair.sourceUrl.startsWith('mysql') ? MYSQL_PASSWORD : PG_PASSWORD);
  const target = withPassword(parseConnectionUrl(pair.targetUrl), pair.targetUrl.startsWith('mysql') ? MYSQL_PASSWORD : PG_PASSWORD);
  const conversion = await convertTaskSchema(task, source, target);
  const targetSchema = await introspectSource(target, { objects: { include: ['*'], exclude: [] } });
  assertFaithfulOrWarned(conversion, targetSchema);
}

describe('schema migration of the shared datasets', () => {
  const pairs: Pair[] = [];
  after(async () => { for (const p of pairs) await p.drop(); });

  test('Sakila MariaDB -> PostgreSQL applies with zero errors and keeps every faithful object', async () => {
    const src = await loadSakila('schema_sakila');
    const dst = await createPgDb('schema_sakila_pg');
    pairs.push({ name: 'sakila-pg', sourceUrl: mysqlUrl(src), targetUrl: pgUrl(dst), drop: async () => { await dropMysqlDb(src); await dropPgDb(dst); } });
    await applyAndCheck(pairs[pairs.length - 1]);
  });

  test('Pagila PostgreSQL -> MariaDB applies with zero errors and keeps every faithful object', async () => {
    const src = await loadPagila('schema_pagila');
    const dst = await createMysqlDb('schema_pagila_my');
    pairs.push({ name: 'pagila-my', sourceUrl: pgUrl(src), targetUrl: mysqlUrl(dst), drop: async () => { await dropPgDb(src); await dropMysqlDb(dst); await dropMysqlDb(`${dst}_legacy`); } });
    await applyAndCheck(pairs[pairs.length - 1]);
  });
});

