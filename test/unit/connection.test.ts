import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeConnection, formatConnectionUrl, maskUrl, parseConnectionUrl } from '../../src/engine/connection';
import { FerryError, redactSecrets, registerSecret } from '../../src/engine/errors';

test('parses MySQL, MariaDB and PostgreSQL URLs with default ports', () => {
  const m = parseConnectionUrl('mariadb://app@db.example:3307/shop');
  assert.deepEqual([m.engine, m.host, m.port, m.user, m.database, m.tls], ['mysql', 'db.example', 3307, 'app', 'shop', 'off']);
  const p = parseConnectionUrl('postgresql://u@h/d');
  assert.deepEqual([p.engine, p.port, p.user], ['postgres', 5432, 'u']);
  assert.equal(parseConnectionUrl('mysql://h/d').user, 'root');
});

test('decodes percent-encoded users, passwords and database names', () => {
  const c = parseConnectionUrl('postgres://us%40er:p%3Ass@127.0.0.1:5432/my%20db');
  assert.equal(c.user, 'us@er');
  assert.equal(c.password, 'p:ss');
  assert.equal(c.database, 'my db');
});

test('reads TLS modes and demands a CA file for verify', () => {
  assert.equal(parseConnectionUrl('mysql://h/d?tls=require').tls, 'require');
  assert.equal(parseConnectionUrl('postgres://h/d?sslmode=verify-full&sslrootcert=/ca.pem').caFile, '/ca.pem');
  assert.throws(() => parseConnectionUrl('mysql://h/d?tls=verify'), /needs a CA file/);
  assert.throws(() => parseConnectionUrl('mysql://h/d?tls=maybe'), /tls=maybe is not known/);
});

test('describes and formats connections without the password', () => {
  const c = parseConnectionUrl('mysql://root:hunter2pw@127.0.0.1:3306/sakila');
  assert.equal(describeConnection(c), 'mysql://root@127.0.0.1:3306/sakila');
  assert.ok(!formatConnectionUrl(c).includes('hunter2pw'));
  assert.equal(maskUrl('postgres://u:secret@h:5432/d'), 'postgres://u:***@h:5432/d');
});

test('redacts URL passwords and registered secrets from every error message', () => {
  registerSecret('Very$ecret-42');
  const e = new FerryError('X', 'failed mysql://root:Very$ecret-42@h/d with password Very$ecret-42', { fix: 'not Very$ecret-42' });
  assert.ok(!e.message.includes('Very$ecret-42'));
  assert.ok(!(e.fix ?? '').includes('Very$ecret-42'));
  assert.equal(redactSecrets('postgres://a:b1c2@h/d'), 'postgres://a:***@h/d');
});
