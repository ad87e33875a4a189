import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { withSession } from '../../src/engine/sql-session';
import { MYSQL_PASSWORD, PG_PASSWORD, mysqlUrl, pgUrl } from '../helpers/db';

const awkward = "it's a \\ back'slash \u{1F680} \"q\"";

test('MySQL session parameters survive quotes and backslashes under NO_BACKSLASH_ESCAPES', async () => {
  const c = withPassword(parseConnectionUrl(mysqlUrl('mysql')), MYSQL_PASSWORD);
  const rows = await withSession(c, (s) => s.query('SELECT ? AS v, @@sql_mode AS mode', [awkward]));
  assert.equal(rows[0].v, awkward);
  assert.match(String(rows[0].mode), /NO_BACKSLASH_ESCAPES/);
});

test('PostgreSQL session parameters and settings are the ones values travel with', async () => {
  const c = withPassword(parseConnectionUrl(pgUrl('postgres')), PG_PASSWORD);
  const rows = await withSession(c, (s) => s.query(`SELECT $1::text AS v, current_setting('TimeZone') AS tz, current_setting('IntervalStyle') AS iv`, [awkward]));
  assert.deepEqual(rows[0], { v: awkward, tz: 'UTC', iv: 'iso_8601' });
});
