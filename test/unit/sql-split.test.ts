import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinStatements, splitStatements } from '../../src/engine/sql-split';

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

test('reads MySQL DELIMITER blocks, so routine bodies keep their semicolons', () => {
  const body = 'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END';
  const script = `CREATE TABLE t (a int);\nDELIMITER $$\n${body}$$\nDELIMITER ;\nSELECT 3;`;
  assert.deepEqual(splitStatements(script, 'mysql'), ['CREATE TABLE t (a int)', body, 'SELECT 3']);
});

test('joins statements into a script that splits back into the same statements', () => {
  const statements = ['CREATE TABLE t (a int)', 'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; SET NEW.a = NEW.a + 1; END', "SELECT ';'"];
  assert.deepEqual(splitStatements(joinStatements(statements, 'mysql'), 'mysql'), statements);
  const pg = ['CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql', 'SELECT 1'];
  assert.deepEqual(splitStatements(joinStatements(pg, 'postgres'), 'postgres'), pg);
});
