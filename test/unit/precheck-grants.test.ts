// Reading MySQL/MariaDB SHOW GRANTS output: levels, wildcards, column grants, roles and renamed privileges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { broadPrivileges, databasePatternMatches, hasPrivilege, parseGrants } from '../../src/engine/precheck-mysql-grants';

const LINES = [
  "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `ferry`@`%` IDENTIFIED BY PASSWORD '*B30134364A2D14319904C2C807363CF2C81ABD5B'",
  'GRANT SHOW VIEW, TRIGGER ON `shop\\_db`.* TO `ferry`@`%`',
  'GRANT INSERT ON `shop`.`orders` TO `ferry`@`%`',
  'GRANT SELECT (`id`, `name`), UPDATE (`name`) ON `hr`.`people` TO `ferry`@`%`',
  'GRANT `reporting`,`auditor`@`%` TO `ferry`@`%`',
  'GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP ON `test\\_%`.* TO PUBLIC',
  'GRANT EXECUTE ON PROCEDURE `shop`.`p` TO `ferry`@`%`',
];

test('privileges are matched by level: global, database pattern, table', () => {
  const { grants } = parseGrants(LINES);
  assert.equal(hasPrivilege(grants, 'SELECT', 'anything'), true);
  assert.equal(hasPrivilege(grants, 'REPLICATION SLAVE'), true);
  assert.equal(hasPrivilege(grants, 'SHOW VIEW', 'shop_db'), true);
  assert.equal(hasPrivilege(grants, 'SHOW VIEW', 'shopXdb'), false, 'an escaped _ is literal');
  assert.equal(hasPrivilege(grants, 'INSERT', 'shop', 'orders'), true);
  assert.equal(hasPrivilege(grants, 'INSERT', 'shop'), false, 'a table grant is not a database grant');
  assert.equal(hasPrivilege(grants, 'UPDATE', 'hr', 'people'), false, 'column grants do not cover the table');
  assert.equal(hasPrivilege(grants, 'CREATE', 'test_1'), true);
  assert.equal(hasPrivilege(grants, 'EXECUTE', 'shop'), false);
});

test('REPLICATION CLIENT and BINLOG MONITOR are the same privilege, ALL PRIVILEGES covers everything', () => {
  const { grants } = parseGrants(['GRANT REPLICATION CLIENT ON *.* TO `u`@`%`', 'GRANT ALL PRIVILEGES ON `app`.* TO `u`@`%` WITH GRANT OPTION']);
  assert.equal(hasPrivilege(grants, 'BINLOG MONITOR'), true);
  assert.equal(hasPrivilege(grants, 'ALTER', 'app'), true);
  assert.equal(hasPrivilege(grants, 'ALTER', 'other'), false);
  assert.deepEqual([...broadPrivileges(grants, 'app')].sort(), ['ALL', 'BINLOG MONITOR', 'GRANT OPTION']);
  assert.deepEqual([...broadPrivileges(grants, 'other')].sort(), ['BINLOG MONITOR']);
});

test('granted roles are listed without their hosts', () => {
  assert.deepEqual(parseGrants(LINES).roles, ['reporting', 'auditor']);
});

test('database patterns treat % and _ as wildcards unless escaped', () => {
  assert.equal(databasePatternMatches('app%', 'app_prod'), true);
  assert.equal(databasePatternMatches('app\\_%', 'appXprod'), false);
  assert.equal(databasePatternMatches('a_c', 'abc'), true);
  assert.equal(databasePatternMatches('Ünïcode db', 'Ünïcode db'), true);
  assert.equal(databasePatternMatches('shop', 'shops'), false);
});
