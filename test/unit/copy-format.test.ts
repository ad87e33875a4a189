// COPY text and LOAD DATA escaping, and the COPY text parser: every byte survives the round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { encodeCopyRow, encodeCopyValue } from '../../src/engine/postgres/writer';
import { CopyTextParser, unescapeCopyText } from '../../src/engine/postgres/reader';
import { encodeLoadDataRow, encodeLoadDataValue, loadDataSql } from '../../src/engine/mysql/writer';
import type { Column } from '../../src/engine/model';

test('escapes backslash, tab, newline and carriage return for COPY text and writes NULL as \\N', () => {
  assert.equal(encodeCopyValue(null), '\\N');
  assert.equal(encodeCopyValue('\\N'), '\\\\N');
  assert.equal(encodeCopyValue('a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
  assert.equal(encodeCopyValue(''), '');
  assert.equal(encodeCopyValue('NULL'), 'NULL');
  assert.equal(encodeCopyValue('日本 🚀'), '日本 🚀');
});

test('writes bytes as bytea hex input with its backslash escaped', () => {
  assert.equal(encodeCopyValue(Buffer.from([0, 0x5c, 0x0a, 0xff])), '\\\\x005c0aff');
  assert.equal(encodeCopyValue(Buffer.alloc(0)), '\\\\x');
});

test('joins a row with tabs and ends it with a newline', () => {
  assert.equal(encodeCopyRow(['1', null, 'x\ty']), '1\t\\N\tx\\ty\n');
});

test('reads back what PostgreSQL COPY TO writes, including escapes split across chunks', async () => {
  const values = ['plain', 'tab\there', 'new\nline', 'back\\slash', '\\N', '', 'ünï 🚀', 'cr\r'];
  const text = encodeCopyRow([...values, null]) + encodeCopyRow(['x', null, ...values.slice(2), '\\x00ff']);
  const bytes = Buffer.from(text, 'utf8');
  // Cut through a multi-byte character and an escape.
  const cut1 = bytes.indexOf(Buffer.from('🚀')) + 2;
  const cut2 = bytes.indexOf(Buffer.from('\\\\')) + 1;
  const pieces = [bytes.subarray(0, Math.min(cut1, cut2)), bytes.subarray(Math.min(cut1, cut2), Math.max(cut1, cut2)), bytes.subarray(Math.max(cut1, cut2))];
  const parser = new CopyTextParser([false, false, false, false, false, false, false, false, true]);
  const rows: unknown[] = [];
  for await (const row of Readable.from(pieces).pipe(parser)) rows.push(row);
  assert.deepEqual(rows[0], [...values, null]);
  assert.deepEqual(rows[1], ['x', null, ...values.slice(2), Buffer.from([0, 255])]);
});

test('unescapes every COPY text escape', () => {
  assert.equal(unescapeCopyText('\\b\\f\\n\\r\\t\\v\\\\'), '\b\f\n\r\t\v\\');
  assert.equal(unescapeCopyText('\\101\\x42'), 'AB');
});

test('escapes LOAD DATA fields: backslash, tab, newline, carriage return and NUL; NULL as \\N', () => {
  assert.equal(encodeLoadDataValue(null, false), '\\N');
  assert.equal(encodeLoadDataValue('\\N', false), '\\\\N');
  assert.equal(encodeLoadDataValue('a\tb\nc\rd\\e\0f', false), 'a\\tb\\nc\\rd\\\\e\\0f');
  assert.equal(encodeLoadDataValue('NULL', false), 'NULL');
  assert.equal(encodeLoadDataValue("it's", false), "it's");
});

test('carries binary LOAD DATA columns as hex, and refuses bytes for a text column', () => {
  assert.equal(encodeLoadDataValue(Buffer.from([0, 9, 10, 92, 255]), true), '00090a5cff');
  assert.equal(encodeLoadDataValue(null, true), '\\N');
  assert.throws(() => encodeLoadDataValue(Buffer.from([1]), false), /binary value/);
  assert.equal(encodeLoadDataRow(['1', Buffer.from('ab'), null], [false, true, false]), '1\t6162\t\\N\n');
});

test('loads hex columns through UNHEX and quotes every identifier', () => {
  const cols: Column[] = [
    { name: 'id', type: { kind: 'int', bytes: 4, unsigned: false }, native: 'int', nullable: false },
    { name: 'we`ird', type: { kind: 'binary', varying: true, blob: true }, native: 'blob', nullable: true },
  ];
  const sql = loadDataSql({ schema: 'd b', name: 'select' }, cols);
  assert.match(sql, /INTO TABLE `d b`\.`select` CHARACTER SET utf8mb4/);
  assert.match(sql, /\(`id`, @h1\) SET `we``ird` = UNHEX\(@h1\)$/);
  assert.match(sql, /TERMINATED BY X'09' ENCLOSED BY '' ESCAPED BY X'5C' LINES TERMINATED BY X'0A'/);
});
