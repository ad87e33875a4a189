import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIdentifierMap, shortenIdentifier } from '../../src/engine/convert/identifiers';
import type { Column, Schema, Table } from '../../src/engine/model';

const col = (name: string): Column => ({ name, type: { kind: 'int', bytes: 4, unsigned: false }, native: 'int', nullable: true });
const table = (schema: string, name: string, columns: string[], extra: Partial<Table> = {}): Table => ({
  schema, name, columns: columns.map(col), primaryKey: [], indexes: [], foreignKeys: [], checks: [], estimatedRows: 0, estimatedBytes: 0, ...extra,
});
const schema = (engine: 'mysql' | 'postgres', tables: Table[]): Schema => ({
  engine, serverVersion: 'x', database: 'src', namespaces: [...new Set(tables.map((t) => t.schema))], tables, views: [], sequences: [], types: [], routines: [], triggers: [], settings: {},
});
const opts = { lossless: true, identifierCase: 'lower' as const, targetDatabase: 'dst' };

test('folds names to lower case for PostgreSQL when nothing collides', () => {
  const ids = createIdentifierMap(schema('mysql', [table('src', 'Customer', ['Id', 'FirstName'])]), 'postgres', opts);
  assert.deepEqual(ids.table({ schema: 'src', name: 'Customer' }), { schema: 'public', name: 'customer' });
  assert.equal(ids.column({ schema: 'src', name: 'Customer' }, 'FirstName'), 'firstname');
  assert.deepEqual(ids.warnings(), []);
});

test('keeps the case of names that would collide after folding ("Users" vs users)', () => {
  const ids = createIdentifierMap(schema('postgres', [table('public', 'Users', ['a']), table('public', 'users', ['a'])]), 'postgres', opts);
  assert.equal(ids.table({ schema: 'public', name: 'users' }).name, 'users');
  assert.equal(ids.table({ schema: 'public', name: 'Users' }).name, 'Users');
});

test('renames case-colliding names for MySQL, which compares them case-insensitively, with a Warning', () => {
  const ids = createIdentifierMap(schema('postgres', [table('public', 'Users', ['Name', 'name'])]), 'mysql', opts);
  const a = ids.column({ schema: 'public', name: 'Users' }, 'name');
  const b = ids.column({ schema: 'public', name: 'Users' }, 'Name');
  assert.equal(a, 'name');
  assert.equal(b, 'Name_2');
  assert.ok(ids.warnings().some((w) => w.code === 'IDENTIFIER_RENAMED'));
});

test('shortens long names deterministically within the byte limit of PostgreSQL', () => {
  const long = 'ä'.repeat(40); // 80 bytes in UTF-8
  const short = shortenIdentifier(long, 'postgres');
  assert.ok(Buffer.byteLength(short) <= 63);
  assert.equal(short, shortenIdentifier(long, 'postgres'));
  assert.notEqual(shortenIdentifier(long + 'x', 'postgres'), short);
  assert.equal(shortenIdentifier('x'.repeat(64), 'mysql'), 'x'.repeat(64));
  assert.equal([...shortenIdentifier('x'.repeat(65), 'mysql')].length, 64);
});

test('gives index names used by several tables a table prefix on PostgreSQL', () => {
  const idx = (name: string) => ({ name, unique: false, primary: false, method: 'btree', parts: [{ column: 'a' }] });
  const s = schema('mysql', [table('src', 'film_actor', ['a'], { indexes: [idx('idx_fk_film_id')] }), table('src', 'inventory', ['a'], { indexes: [idx('idx_fk_film_id')] })]);
  const ids = createIdentifierMap(s, 'postgres', opts);
  const a = ids.constraint({ schema: 'src', name: 'film_actor' }, 'idx_fk_film_id');
  const b = ids.constraint({ schema: 'src', name: 'inventory' }, 'idx_fk_film_id');
  assert.notEqual(a, b);
  assert.deepEqual([a, b].sort(), ['idx_fk_film_id', 'inventory_idx_fk_film_id']);
});

test('maps namespaces: MySQL database to the PostgreSQL schema, PostgreSQL public to the MySQL database, other schemas beside it', () => {
  const m = createIdentifierMap(schema('mysql', [table('src', 't', ['a'])]), 'postgres', { ...opts, targetSchema: 'sakila' });
  assert.equal(m.table({ schema: 'src', name: 't' }).schema, 'sakila');
  const p = createIdentifierMap(schema('postgres', [table('public', 't', ['a']), table('legacy', 'u', ['a'])]), 'mysql', opts);
  assert.equal(p.table({ schema: 'public', name: 't' }).schema, 'dst');
  assert.equal(p.table({ schema: 'legacy', name: 'u' }).schema, 'dst_legacy');
});

test('keeps MySQL index names per table and FK names unique per database', () => {
  const idx = (name: string) => ({ name, unique: false, primary: false, method: 'btree', parts: [{ column: 'a' }] });
  const fk = (name: string) => ({ name, columns: ['a'], references: { schema: 'src', name: 'p' }, referencedColumns: ['a'], onUpdate: 'NO ACTION' as const, onDelete: 'NO ACTION' as const });
  const s = schema('mysql', [
    table('src', 'film_actor', ['a'], { indexes: [idx('idx_fk_film_id')], foreignKeys: [fk('fk_film')] }),
    table('src', 'inventory', ['a'], { indexes: [idx('idx_fk_film_id')], foreignKeys: [fk('fk_film')] }),
  ]);
  const ids = createIdentifierMap(s, 'mysql', opts);
  assert.equal(ids.constraint({ schema: 'src', name: 'film_actor' }, 'idx_fk_film_id'), 'idx_fk_film_id');
  assert.equal(ids.constraint({ schema: 'src', name: 'inventory' }, 'idx_fk_film_id'), 'idx_fk_film_id');
  assert.notEqual(ids.constraint({ schema: 'src', name: 'film_actor' }, 'fk_film'), ids.constraint({ schema: 'src', name: 'inventory' }, 'fk_film'));
});

test('replaces characters MySQL refuses in names (emoji, trailing spaces) with a Warning', () => {
  const ids = createIdentifierMap(schema('postgres', [table('public', 'emoji_\u{1F600}', ['smile_\u{1F600}', 'pad '])]), 'mysql', opts);
  assert.equal(ids.table({ schema: 'public', name: 'emoji_\u{1F600}' }).name, 'emoji_u1f600');
  assert.equal(ids.column({ schema: 'public', name: 'emoji_\u{1F600}' }, 'smile_\u{1F600}'), 'smile_u1f600');
  assert.equal(ids.column({ schema: 'public', name: 'emoji_\u{1F600}' }, 'pad '), 'pad_');
  assert.ok(ids.warnings().some((w) => w.code === 'IDENTIFIER_RENAMED' && /does not allow/.test(w.message)));
  // PostgreSQL takes them as they are.
  const pg = createIdentifierMap(schema('postgres', [table('public', 'emoji_\u{1F600}', ['a'])]), 'postgres', opts);
  assert.equal(pg.table({ schema: 'public', name: 'emoji_\u{1F600}' }).name, 'emoji_\u{1F600}');
});
