// The byte-level MySQL -> PostgreSQL copy (mysql-copy-text.ts over raw-rows.ts, which reaches into mysql2's
// internals) must produce exactly the COPY text of the value path (reader values -> converters -> encoder).
// If a mysql2 upgrade changes the row packets' route, these tests fail loudly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { createMysqlDb, dropMysqlDb, mysqlAdmin, mysqlUrl, MYSQL_PASSWORD } from '../helpers/db';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { convertSchema } from '../../src/engine/convert/index';
import type { TableMapping } from '../../src/engine/convert/types';
import { openMysqlReadSession } from '../../src/engine/mysql/snapshot';
import type { MysqlSourceSession } from '../../src/engine/mysql/reader';
import { queryRawRows } from '../../src/engine/mysql/raw-rows';
import { buildCopySpec } from '../../src/engine/fullload/copy-spec';
import { EncodedBatch } from '../../src/engine/fullload/encoder';
import { encodeCopyRow } from '../../src/engine/postgres/writer';
import type { SourceValue } from '../../src/engine/fullload/types';

let db = '';
let session: MysqlSourceSession;
const mappings = new Map<string, { lossless: TableMapping; strict: TableMapping }>();
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const WHOLE = { id: 1, lower: null, upper: null, estimatedRows: 0 };

before(async () => {
  db = await createMysqlDb('copytext');
  const my = await mysqlAdmin(db);
  try {
    // Zero dates must be storable; mysql2 escapes parameters for the default (backslash-escaping) mode.
    await my.query("SET SESSION sql_mode = '', time_zone = '+00:00'");
    await my.query(`CREATE TABLE \`Mixed "t"\` (
      id int PRIMARY KEY, biu bigint unsigned, d decimal(30,8), f float, dbl double, y year, b3 bit(3),
      dt date, dtm datetime(6), ts timestamp(6) NULL DEFAULT NULL, tm time(6),
      e enum('a','b c','Ünï'), st set('x','y'), j json, bl longblob, bin binary(3), vb varbinary(300),
      ch char(10), vc varchar(300), tx longtext, lat varchar(20) CHARACTER SET latin1, g geometry
    ) CHARACTER SET utf8mb4`);
    const ins = 'INSERT INTO `Mixed "t"` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    await my.query(ins.replace(/\?\)$/, "ST_GeomFromText('POINT(1 2)', 4326))"), [1, '18446744073709551615', '-12345678901234567890.12345678', 1.5, 1e300, 2155, 5,
      '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '-838:59:59', 'Ünï', 'x,y', '{"a": [1, "tab\\there"]}', ALL_BYTES,
      Buffer.from([0, 92, 9]), Buffer.alloc(300, 0x5c), 'a\\b', 'tab\there\nnew\rret\\back', 'x'.repeat(70_000), 'café']);
    await my.query(ins.replace(/\?\)$/, 'NULL)'), [2, null, null, null, null, null, null, '2020-00-15', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '00:00:00',
      null, '', null, null, null, null, null, '😀 '.repeat(100), '', '']);
    await my.query(ins.replace(/\?\)$/, 'NULL)'), [3, '0', '0', 0, 0, 0, 0, '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '23:59:59',
      'b c', '', '[]', Buffer.alloc(0), Buffer.from('abc'), Buffer.alloc(0), '', 'é'.repeat(150), 'y'.repeat(16_777_300), null]);
    // Keys across chunk-like ranges and a text key with characters COPY escapes.
    await my.query('CREATE TABLE textkey (k varchar(40) PRIMARY KEY, v int) CHARACTER SET utf8mb4');
    await my.query("INSERT INTO textkey VALUES ('a\\tb', 1), ('plain', 2), ('nul\\0here', 3)");
    // BIT(64) text is 8x its bytes: converted values outgrow the row's reserved room and move it to a new buffer.
    const bits = Array.from({ length: 12 }, (_, i) => `b${i} bit(64)`).join(', ');
    await my.query(`CREATE TABLE bits (id int PRIMARY KEY, ${bits}, note varchar(20))`);
    await my.query(`INSERT INTO bits SELECT seq, ${Array.from({ length: 12 }, (_, i) => `seq * ${i + 1} * 2654435761`).join(', ')}, CONCAT('n\t', seq) FROM seq_1_to_3000`);
    const schema = await introspectMysql(my, db);
    for (const lossless of [true, false]) {
      const conv = convertSchema(schema, 'postgres', { lossless, identifierCase: 'lower', targetDatabase: 'unused' });
      for (const m of conv.tables) {
        const entry = mappings.get(m.source.name) ?? { lossless: m, strict: m };
        if (lossless) entry.lossless = m; else entry.strict = m;
        mappings.set(m.source.name, entry);
      }
    }
  } finally {
    await my.end();
  }
  session = await openMysqlReadSession(withPassword(parseConnectionUrl(mysqlUrl(db)), MYSQL_PASSWORD));
});

after(async () => {
  await session?.close();
  if (db) await dropMysqlDb(db);
});

async function drain(r: Readable): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of r) items.push(item);
  return items;
}

/** The COPY text of the value path: reader values, the row converter, the writer's line encoder. */
async function valuePath(mapping: TableMapping): Promise<Buffer> {
  const spec = buildCopySpec(mapping);
  const rows = (await drain(session.readChunk(spec, WHOLE))) as SourceValue[][];
  return Buffer.from(rows.map((r) => encodeCopyRow(spec.convertRow(r))).join(''), 'utf8');
}

/** The COPY text of the byte path (large rows come as values and are encoded like the value path). */
async function bytePath(mapping: TableMapping, batchBytes?: number): Promise<{ text: Buffer; valueRows: number; batchRows: number }> {
  const spec = buildCopySpec(mapping);
  const parts: Buffer[] = [];
  let valueRows = 0;
  let batchRows = 0;
  for (const item of await drain(session.readChunkCopyText(spec, WHOLE, batchBytes))) {
    if (item instanceof EncodedBatch) { parts.push(item.bytes); batchRows += item.rows; } else {
      valueRows++;
      parts.push(Buffer.from(encodeCopyRow(spec.convertRow(item as SourceValue[])), 'utf8'));
    }
  }
  return { text: Buffer.concat(parts), valueRows, batchRows };
}

test('mysql2 still hands every row packet to the raw row hook, in order, with an end', async () => {
  const packets: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    queryRawRows((session.conn as unknown as { connection: Parameters<typeof queryRawRows>[0] }).connection,
      "SELECT 1, NULL, 'x', REPEAT('z', 300) UNION ALL SELECT 2, 'é', '', REPEAT('z', 70000)", {
        row: (buf, s, e) => packets.push(Buffer.from(buf.subarray(s, e))),
        end: resolve,
        error: reject,
      });
  });
  assert.equal(packets.length, 2);
  // 1-byte length, NULL marker, 2-byte (0xFC) and 3-byte (0xFD) lengths, as the text protocol encodes them.
  assert.deepEqual([...packets[0].subarray(0, 6)], [1, 0x31, 0xfb, 1, 0x78, 0xfc]);
  assert.equal(packets[0].readUInt16LE(6), 300);
  assert.deepEqual([...packets[1].subarray(0, 6)], [1, 0x32, 2, 0xc3, 0xa9, 0]);
  assert.equal(packets[1][6], 0xfd);
  assert.equal(packets[1].readUIntLE(7, 3), 70000);
});

test('the byte path writes exactly the COPY text of the value path for every type, lossless conversion', async () => {
  const m = mappings.get('Mixed "t"')!.lossless;
  const expected = await valuePath(m);
  const got = await bytePath(m);
  assert.equal(got.batchRows + got.valueRows, 3);
  assert.equal(got.valueRows, 1, 'the 16 MB row travels as values, for piece-wise encoding');
  assert.equal(got.text.length, expected.length);
  assert.ok(got.text.equals(expected), 'byte path and value path differ');
});

test('rows whose converted values outgrow their reserved room are encoded exactly, across batches', async () => {
  // BIT(64) text is 8x its bytes; tiny batches put a buffer boundary inside rows again and again.
  for (const batchBytes of [undefined, 16, 300, 1000]) {
    for (const name of ['bits', 'Mixed "t"']) {
      const m = mappings.get(name)!.lossless;
      const expected = await valuePath(m);
      const got = await bytePath(m, batchBytes);
      assert.equal(got.batchRows + got.valueRows, name === 'bits' ? 3000 : 3);
      assert.ok(got.text.equals(expected), `byte path and value path differ for ${name}, batches of ${batchBytes ?? 'default'} bytes`);
    }
  }
});

test('a NUL in a text key fails in both paths with the same message naming table and key', async () => {
  const m = mappings.get('textkey')!.lossless;
  const expected = await valuePath(m).catch((err: Error) => err);
  const got = await bytePath(m).catch((err: Error) => err);
  // The NUL in a key fails in both paths with the same message naming table, key and column.
  assert.ok(expected instanceof Error && got instanceof Error);
  assert.equal((got as Error).message, (expected as Error).message);
  assert.match((got as Error).message, /textkey/);
});

test('values the strict converters refuse fail in the byte path with the value path\'s error', async () => {
  const m = mappings.get('Mixed "t"')!.strict;
  const expected = await valuePath(m).catch((err: Error & { code?: string }) => err);
  const got = await bytePath(m).catch((err: Error & { code?: string }) => err);
  assert.ok(expected instanceof Error, 'the value path refuses the zero date');
  assert.ok(got instanceof Error);
  assert.equal((got as Error & { code?: string }).code, 'VALUE_CONVERSION');
  assert.equal((got as Error).message, (expected as Error).message);
  assert.match((got as Error).message, /id="1"/);
});
