// Rows with a large binary value are encoded and parsed piece by piece; the bytes must equal the one-string forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LARGE_VALUE, type EncodedLine } from '../../src/engine/fullload/encoder';
import { encodeCopyLine, encodeCopyRow } from '../../src/engine/postgres/writer';
import { encodeLoadDataLine, encodeLoadDataRow } from '../../src/engine/mysql/writer';
import { CopyTextParser } from '../../src/engine/postgres/reader';
import type { SourceValue } from '../../src/engine/convert/types';

const joined = (line: EncodedLine) => (typeof line === 'string' ? Buffer.from(line) : Buffer.concat([...line].map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));

test('a COPY line with a large bytea value comes in pieces that spell exactly the one-string line', () => {
  const big = randomBytes(3 * LARGE_VALUE + 17);
  const row = ['1', big, null, 'a\tb', Buffer.from([0, 255])];
  const line = encodeCopyLine(row);
  assert.notEqual(typeof line, 'string');
  assert.ok([...(line as Iterable<string | Buffer>)].length > 3, 'several pieces');
  assert.deepEqual(joined(encodeCopyLine(row)), Buffer.from(encodeCopyRow(row)));
  assert.equal(typeof encodeCopyLine(['1', randomBytes(100)]), 'string', 'small rows stay one string');
});

test('a LOAD DATA line with a large hex-loaded value comes in pieces that spell exactly the one-string line', () => {
  const big = randomBytes(2 * LARGE_VALUE + 1);
  const row = ['7', big, null, 'x\\y'];
  const hex = [false, true, false, false];
  assert.notEqual(typeof encodeLoadDataLine(row, hex), 'string');
  assert.deepEqual(joined(encodeLoadDataLine(row, hex)), Buffer.from(encodeLoadDataRow(row, hex)));
});

test('the COPY parser decodes a large bytea value split across many input chunks', async () => {
  const big = randomBytes(2 * LARGE_VALUE + 3);
  const text = Buffer.from(encodeCopyRow(['42', big, null, 'ü\\tv']) + encodeCopyRow(['43', Buffer.alloc(0), 'w', '\\N']));
  const parser = new CopyTextParser([false, true, false, false]);
  const rows: SourceValue[][] = [];
  parser.on('data', (r: SourceValue[]) => rows.push(r));
  const done = new Promise((resolve) => parser.on('end', resolve));
  for (let off = 0; off < text.length; off += 65_536) parser.write(text.subarray(off, off + 65_536));
  parser.end();
  await done;
  assert.equal(rows.length, 2);
  assert.equal(rows[0][0], '42');
  assert.ok(Buffer.isBuffer(rows[0][1]) && (rows[0][1] as Buffer).equals(big));
  assert.deepEqual(rows[0].slice(2), [null, 'ü\\tv']);
  assert.deepEqual(rows[1], ['43', Buffer.alloc(0), 'w', '\\N']);
});
