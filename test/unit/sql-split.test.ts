import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitStatements } from '../../src/engine/sql-split';

test('splits at top-level semicolons only', () => {
  assert.deepEqual(splitStatements("CREATE TABLE a (x text DEFAULT 'a;b'); CREATE INDEX i ON a (x);", 'postgres'),
    ["CREATE TABLE a (x text DEFAULT 'a;b')", 'CREATE INDEX i ON a (x)']);
});

test('keeps dollar-quoted PostgreSQL bodies whole', () => {
  const sql = 'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql; SELECT 1';
  assert.deepEqual(splitStatements(sql, 'postgres'), ['CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql', 'SELECT 1']);
});

test('respects MySQL backticks, doubled quotes and comments', () => {
  const sql = "CREATE TABLE `a;b` (c varchar(5) DEFAULT 'it''s;'); -- trailing; comment\n# hash; comment\nSELECT 2 /* x; y */";
  assert.deepEqual(splitStatements(sql, 'mysql'), ["CREATE TABLE `a;b` (c varchar(5) DEFAULT 'it''s;')", "-- trailing; comment\n# hash; comment\nSELECT 2 /* x; y */"]);
});

test('drops empty and comment-only statements', () => {
  assert.deepEqual(splitStatements(';;\n-- only a comment\n;', 'postgres'), []);
});
