// verify against real databases: equal data in different text forms compares equal; a changed, a missing and
// an extra row are found by key and repaired; tables without a key compare as multisets of rows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import type { Column, ColumnType, Table } from '../../src/engine/model';
import type { ColumnMapping, TableMapping, ValueConverter } from '../../src/engine/convert/types';
import { verifyTables } from '../../src/engine/verify';
import { MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, mariadb, mysqlUrl, pgUrl, psql } from '../helpers/db';

function column(name: string, type: ColumnType, native: string, nullable = true): Column {
  return { name, type, native, nullable };
}

function table(schema: string, name: string, columns: Column[], primaryKey: string[]): Table {
  return { schema, name, columns, primaryKey, indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0 };
}

/** A hand-written mapping (the rule sets are another engineer's part): [name, source col, target col, convert]. */
function mapping(src: { schema: string; name: string }, tgt: { schema: string; name: string }, cols: [Column, Column, ValueConverter?][], key: string[]): TableMapping {
  const columns: ColumnMapping[] = cols.map(([s, t, convert]) => ({ source: s, target: t, convert }));
  return {
    source: table(src.schema, src.name, cols.map((c) => c[0]), key),
    target: table(tgt.schema, tgt.name, cols.map((c) => c[1]), key.map((k) => cols.find((c) => c[0].name === k)![1].name)),
    columns,
    key,
  };
}

const tinyintToBool: ValueConverter = (v) => (v === '0' ? 'f' : 't');

function itemColumns(): [Column, Column, ValueConverter?][] {
  return [
    [column('id', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)', false), column('id', { kind: 'int', bytes: 4, unsigned: false }, 'integer', false)],
    [column('name', { kind: 'char', length: 50, varying: true }, 'varchar(50)', false), column('name', { kind: 'char', length: 50, varying: true }, 'character varying(50)', false)],
    [column('price', { kind: 'decimal', precision: 10, scale: 2 }, 'decimal(10,2)'), column('price', { kind: 'decimal', precision: 10, scale: 2 }, 'numeric(10,2)')],
    [column('created', { kind: 'timestamp', precision: 6, tz: false }, 'datetime(6)'), column('created', { kind: 'timestamp', precision: 6, tz: false }, 'timestamp(6) without time zone')],
    [column('flag', { kind: 'int', bytes: 1, unsigned: false, displayWidth: 1 }, 'tinyint(1)'), column('flag', { kind: 'bool' }, 'boolean'), tinyintToBool],
    [column('doc', { kind: 'json', binary: false }, 'longtext'), column('doc', { kind: 'json', binary: true }, 'jsonb')],
    [column('data', { kind: 'binary', length: 16, varying: true, blob: false }, 'varbinary(16)'), column('data', { kind: 'binary', varying: true, blob: true }, 'bytea')],
    [column('f', { kind: 'float', bytes: 8 }, 'double'), column('f', { kind: 'float', bytes: 8 }, 'double precision')],
    [column('label', { kind: 'char', length: 10, varying: false }, 'char(10)'), column('label', { kind: 'char', length: 10, varying: false }, 'character(10)')],
  ];
}

describe('verify MariaDB -> PostgreSQL', () => {
  let my = '';
  let pgdb = '';
  const N = 100_000;
  before(async () => {
    my = await createMysqlDb('verify_src');
    pgdb = await createPgDb('verify_tgt');
    mariadb(my, `CREATE TABLE items (id INT NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, price DECIMAL(10,2), created DATETIME(6),
      flag TINYINT(1), doc JSON, data VARBINARY(16), f DOUBLE, label CHAR(10));
      INSERT INTO items SELECT seq, CONCAT('item ', seq, ' ü''s'), IF(seq % 97 = 0, NULL, (seq % 1000) + 0.5), '2020-01-01 00:00:00' + INTERVAL seq SECOND,
        seq % 2, JSON_OBJECT('n', seq, 'tag', 'x'), UNHEX(LPAD(HEX(seq), 8, '0')), ROUND(seq / 7, 4), 'c' FROM seq_1_to_${N};
      CREATE TABLE loose (a INT, b VARCHAR(10));
      INSERT INTO loose SELECT seq % 10, CONCAT('v', seq % 3) FROM seq_1_to_300;`);
    psql(pgdb, `CREATE TABLE items (id int PRIMARY KEY, name varchar(50) NOT NULL, price numeric(10,2), created timestamp(6), flag boolean,
      doc jsonb, data bytea, f double precision, label char(10));
      INSERT INTO items SELECT n, 'item ' || n || ' ü''s', CASE WHEN n % 97 = 0 THEN NULL ELSE (n % 1000) + 0.5 END, timestamp '2020-01-01' + n * interval '1 second',
        n % 2 = 1, jsonb_build_object('n', n, 'tag', 'x'), decode(lpad(to_hex(n), 8, '0'), 'hex'), round(n / 7.0, 4), 'c' FROM generate_series(1, ${N}) n;
      CREATE TABLE loose (a int, b varchar(10));
      INSERT INTO loose SELECT n % 10, 'v' || (n % 3) FROM generate_series(1, 300) n;`);
  });
  after(async () => {
    await dropMysqlDb(my);
    await dropPgDb(pgdb);
  });

  const ctx = () => ({
    source: withPassword(parseConnectionUrl(mysqlUrl(my)), MYSQL_PASSWORD),
    target: withPassword(parseConnectionUrl(pgUrl(pgdb)), PG_PASSWORD),
  });
  const items = () => mapping({ schema: my, name: 'items' }, { schema: 'public', name: 'items' }, itemColumns(), ['id']);
  const loose = () => mapping({ schema: my, name: 'loose' }, { schema: 'public', name: 'loose' }, [
    [column('a', { kind: 'int', bytes: 4, unsigned: false }, 'int(11)'), column('a', { kind: 'int', bytes: 4, unsigned: false }, 'integer')],
    [column('b', { kind: 'char', length: 10, varying: true }, 'varchar(10)'), column('b', { kind: 'char', length: 10, varying: true }, 'character varying(10)')],
  ], []);

  test('equal data in different text forms (datetime fractions, char padding, JSON key order, booleans) compares equal', async () => {
    const report = await verifyTables({ ...ctx(), tables: [items(), loose()], chunkRows: 10_000 });
    assert.deepEqual(report.tables.map((t) => [t.table, t.sourceRows, t.targetRows, t.differences.length, t.mismatchedChunks]),
      [[`${my}.items`, N, N, 0, 0], [`${my}.loose`, 300, 300, 0, 0]]);
    assert.equal(report.tables[0].chunks, 10);
    assert.equal(report.equal, true);
    assert.equal(report.rowsCompared, N + 300);
  });

  test('finds exactly one changed, one missing and one extra row by key, repairs them, and is equal afterwards', async () => {
    psql(pgdb, `UPDATE items SET price = price + 0.01 WHERE id = 54321;
      DELETE FROM items WHERE id = 777;
      INSERT INTO items (id, name) VALUES (200001, 'stray');`);
    const found = await verifyTables({ ...ctx(), tables: [items()], chunkRows: 10_000, rechecks: 1 });
    assert.equal(found.equal, false);
    const t = found.tables[0];
    assert.deepEqual([t.sourceRows, t.targetRows], [N, N]);
    assert.deepEqual(t.differences, [
      { key: ['777'], kind: 'missing' },
      { key: ['54321'], kind: 'changed' },
      { key: ['200001'], kind: 'extra' },
    ]);
    assert.equal(t.repaired, 0);

    const repaired = await verifyTables({ ...ctx(), tables: [items()], chunkRows: 10_000, rechecks: 1, repair: true });
    assert.equal(repaired.tables[0].repaired, 3);
    assert.equal(repaired.equal, true);
    assert.equal(psql(pgdb, 'SELECT price FROM items WHERE id = 54321').trim(), '321.50');
    assert.equal(psql(pgdb, 'SELECT count(*) FROM items WHERE id IN (777, 200001)').trim(), '1');

    const again = await verifyTables({ ...ctx(), tables: [items()], chunkRows: 10_000 });
    assert.equal(again.equal, true);
    assert.deepEqual(again.tables[0].differences, []);
  });

  test('a difference that replication applies while verify re-checks is not reported', async () => {
    psql(pgdb, `UPDATE items SET name = 'in flight' WHERE id = 4242`);
    // A stand-in for the applier: the lag probe reports a backlog twice, then the change lands and the lag drains.
    const probes: number[] = [];
    const lagProbe = async () => {
      const lag = probes.length < 2 ? 5 : 0;
      if (probes.length === 1) psql(pgdb, `UPDATE items SET name = 'item 4242 ü''s' WHERE id = 4242`);
      probes.push(lag);
      return lag;
    };
    const report = await verifyTables({ ...ctx(), tables: [items()], chunkRows: 10_000, rechecks: 3, lagProbe });
    assert.equal(report.equal, true);
    assert.deepEqual(report.tables[0].differences, []);
    assert.equal(report.tables[0].mismatchedChunks, 1);
    assert.deepEqual(probes, [5, 5, 0]);
  });

  test('verify stops with a cancellation error when its signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(verifyTables({ ...ctx(), tables: [items()], signal: ac.signal }), (err: Error) => /cancelled/.test(err.message));
  });

  test('a table without a key compares row multisets: a lost duplicate and a stray row are found and repaired', async () => {
    psql(pgdb, `DELETE FROM loose WHERE ctid = (SELECT ctid FROM loose WHERE a = 1 AND b = 'v1' LIMIT 1);
      INSERT INTO loose VALUES (42, 'zz')`);
    const found = await verifyTables({ ...ctx(), tables: [loose()], rechecks: 1 });
    assert.equal(found.equal, false);
    assert.deepEqual(found.tables[0].differences.map((d) => d.kind).sort(), ['extra', 'missing']);
    assert.match(found.tables[0].differences[0].key[0], /^row#[0-9a-f]{16}$/);
    const repaired = await verifyTables({ ...ctx(), tables: [loose()], rechecks: 1, repair: true });
    assert.equal(repaired.tables[0].repaired, 2);
    assert.equal(repaired.equal, true);
    assert.equal(psql(pgdb, `SELECT count(*) FROM loose WHERE a = 1 AND b = 'v1'`).trim(), mariadb(my, `SELECT count(*) FROM loose WHERE a = 1 AND b = 'v1'`).trim());
    assert.equal(psql(pgdb, `SELECT count(*) FROM loose WHERE a = 42`).trim(), '0');
  });
});
