// pgoutput message decoding: begin/commit times, relations, tuples with NULL and unchanged TOAST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePgOutput, formatLsn, parseLsn } from '../../src/engine/postgres/logical-pgoutput';

const str = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const i16 = (n: number) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const u64 = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); return b; };

test('decodes a relation and an update with a key image, NULL and unchanged TOAST', () => {
  const rel = decodePgOutput(Buffer.concat([Buffer.from('R'), i32(16384), str('public'), str('Ta"b'), Buffer.from('d'), i16(2),
    Buffer.from([1]), str('id'), i32(23), i32(-1), Buffer.from([0]), str('big'), i32(25), i32(-1)]));
  assert.deepEqual(rel, { tag: 'relation', relation: { relid: 16384, schema: 'public', name: 'Ta"b', replicaIdentity: 'd',
    columns: [{ key: true, name: 'id', typeOid: 23, typmod: -1 }, { key: false, name: 'big', typeOid: 25, typmod: -1 }] } });
  const tuple = (cols: Buffer[]) => Buffer.concat([i16(cols.length), ...cols]);
  const text = (s: string) => Buffer.concat([Buffer.from('t'), i32(Buffer.byteLength(s)), Buffer.from(s)]);
  const upd = decodePgOutput(Buffer.concat([Buffer.from('U'), i32(16384), Buffer.from('K'), tuple([text('1'), Buffer.from('n')]),
    Buffer.from('N'), tuple([text('2'), Buffer.from('u')])]));
  assert.deepEqual(upd, { tag: 'update', relid: 16384, old: { kind: 'K', values: [{ kind: 't', text: '1' }, { kind: 'n' }] },
    after: [{ kind: 't', text: '2' }, { kind: 'u' }] });
});

test('decodes commit LSNs and converts PostgreSQL epoch microseconds to Unix milliseconds', () => {
  const c = decodePgOutput(Buffer.concat([Buffer.from('C'), Buffer.from([0]), u64(0x16B3748n), u64(0x16B3778n), u64(0n)]));
  assert.deepEqual(c, { tag: 'commit', commitLsn: 0x16B3748n, endLsn: 0x16B3778n, commitTime: Date.UTC(2000, 0, 1) });
  assert.equal(formatLsn(parseLsn('1/16B3778')), '1/16B3778');
});
