// MySQL DDL rendering and the MySQL catalog text parsers (enum lists, COLUMN_DEFAULT forms, escaped literals).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Schema, Table } from '../../src/engine/model';
import { mysqlDdl, renderColumn } from '../../src/engine/mysql/ddl';
import { normalizeMysqlLiterals, parseColumnDefault, parseEnumValues } from '../../src/engine/mysql/introspect';
import { requalifyMysqlSql, stripDefiner } from '../../src/engine/convert/mysql-to-mysql';

const table = (over: Partial<Table>): Table => ({ schema: 'db', name: 't', columns: [], primaryKey: [], indexes: [], foreignKeys: [], checks: [],
  estimatedRows: 0, estimatedBytes: 0, ...over });
const schema = (over: Partial<Schema>): Schema => ({ engine: 'mysql', serverVersion: '', database: 'db', namespaces: ['db'], tables: [], views: [],
  sequences: [], types: [], routines: [], triggers: [], settings: {}, ...over });

describe('MySQL catalog parsing', () => {
  test('splits enum/set values with doubled quotes, backslash escapes and commas inside quotes', () => {
    assert.deepEqual(parseEnumValues("enum('x''y','a,b','c\\\\d','','n\\nl')"), ["x'y", 'a,b', 'c\\d', '', 'n\nl']);
  });

  test('reads MariaDB COLUMN_DEFAULT forms: quoted literal, NULL text, numbers, bit, expressions, current_timestamp(n)', () => {
    const int = { kind: 'int', bytes: 4, unsigned: false } as const;
    const vc = { kind: 'char', length: 10, varying: true } as const;
    assert.deepEqual(parseColumnDefault("'it''s \\\\ x'", '', vc, true), { kind: 'literal', sql: "'it''s \\ x'" });
    assert.deepEqual(parseColumnDefault("'NULL'", '', vc, true), { kind: 'literal', sql: "'NULL'" });
    assert.equal(parseColumnDefault('NULL', '', vc, true), undefined);
    assert.equal(parseColumnDefault(null, '', vc, true), undefined);
    assert.deepEqual(parseColumnDefault('-4.99', '', int, true), { kind: 'literal', sql: '-4.99' });
    assert.deepEqual(parseColumnDefault("b'101'", '', { kind: 'bit', length: 3, varying: false }, true), { kind: 'literal', sql: "b'101'" });
    assert.deepEqual(parseColumnDefault('current_timestamp(3)', '', int, true), { kind: 'current_timestamp', precision: 3 });
    assert.deepEqual(parseColumnDefault("concat('a\\\\b',uuid())", '', vc, true), { kind: 'expression', sql: "concat('a\\b',uuid())" });
    // MySQL 8: bare values, DEFAULT_GENERATED marks expressions.
    assert.deepEqual(parseColumnDefault("it's", '', vc, false), { kind: 'literal', sql: "'it''s'" });
    assert.deepEqual(parseColumnDefault('(rand())', 'DEFAULT_GENERATED', int, false), { kind: 'expression', sql: '(rand())' });
  });

  test('rewrites catalog string literals into NO_BACKSLASH_ESCAPES form, leaving identifiers alone', () => {
    assert.equal(normalizeMysqlLiterals("concat(`a\\b`,'v\\\\w\\'x',\"q\")"), "concat(`a\\b`,'v\\w''x','q')");
  });

  test('moves the source database qualifier to the target outside literals and strips DEFINER', () => {
    assert.equal(requalifyMysqlSql("select `src`.`t`.`a`, 'src.x' from src.t join `src`.`u`", 'src', 'dst'),
      "select `dst`.`t`.`a`, 'src.x' from `dst`.t join `dst`.`u`");
    assert.equal(stripDefiner('CREATE DEFINER=`root`@`%` TRIGGER `x` AFTER INSERT ON `t` FOR EACH ROW SET @a = 1'),
      'CREATE TRIGGER `x` AFTER INSERT ON `t` FOR EACH ROW SET @a = 1');
  });
});

describe('MySQL DDL rendering', () => {
  test('renders a column with charset, default, ON UPDATE, AUTO_INCREMENT and an escaped comment', () => {
    assert.equal(renderColumn({ name: 'a`b', native: 'varchar(10)', type: { kind: 'char', length: 10, varying: true }, nullable: false,
      charset: 'utf8mb4', collation: 'utf8mb4_bin', default: { kind: 'literal', sql: "'x'" }, comment: "it's \\ here" }),
    "`a``b` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'x' COMMENT 'it''s \\ here'");
    assert.equal(renderColumn({ name: 'ts', native: 'datetime(3)', type: { kind: 'timestamp', precision: 3, tz: false }, nullable: true,
      default: { kind: 'current_timestamp', precision: 3 }, onUpdateCurrentTimestamp: true }),
    '`ts` datetime(3) NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3)');
    assert.equal(renderColumn({ name: 'e', native: "enum('a')", type: { kind: 'enum', values: ["it's", 'x,y'] }, nullable: true }),
      "`e` enum('it''s','x,y') NULL");
    assert.equal(renderColumn({ name: 'g', native: 'int', type: { kind: 'int', bytes: 4, unsigned: false }, nullable: false,
      generated: { expression: '`a` + 1', stored: true } }), '`g` int GENERATED ALWAYS AS (`a` + 1) STORED');
  });

  test('orders objects by phase and dependency: databases, tables, indexes, checks, FKs, views, then restarts', () => {
    const id = { name: 'id', native: 'int', type: { kind: 'int', bytes: 4, unsigned: false } as const, nullable: false,
      identity: { kind: 'auto_increment' as const, next: '42' } };
    const objects = mysqlDdl.renderSchema(schema({
      namespaces: ['db', 'other'],
      tables: [
        table({ name: 'child', columns: [id, { ...id, name: 'p', identity: undefined }], primaryKey: ['id'],
          indexes: [{ name: 'ix', unique: false, primary: false, method: 'btree', parts: [{ column: 'p', prefixLength: undefined }] }],
          checks: [{ name: 'ck', expression: '`p` > 0' }],
          foreignKeys: [{ name: 'fk', columns: ['p'], references: { schema: 'other', name: 'parent' }, referencedColumns: ['id'], onDelete: 'CASCADE', onUpdate: 'RESTRICT' }] }),
        table({ schema: 'other', name: 'parent', columns: [{ ...id, identity: undefined }], primaryKey: ['id'] }),
      ],
      views: [
        { schema: 'db', name: 'v2', query: 'select * from `db`.`v1`', columns: [], materialized: false },
        { schema: 'db', name: 'v1', query: 'select `id` from `db`.`child`', columns: ['id'], materialized: false, checkOption: 'CASCADED' },
      ],
    }));
    assert.deepEqual(objects.map((o) => `${o.phase} ${o.id}`), [
      'pre-data schema:other', 'pre-data table:db.child', 'pre-data table:other.parent', 'post-data index:db.child.ix',
      'post-data constraint:db.child.ck', 'post-data foreign_key:db.child.fk', 'post-data view:db.v1', 'post-data view:db.v2', 'finalize table:db.child',
    ]);
    const text = objects.map((o) => o.statements.join(';')).join('\n');
    assert.match(text, /CREATE DATABASE IF NOT EXISTS `other` CHARACTER SET utf8mb4/);
    assert.match(text, /FOREIGN KEY \(`p`\) REFERENCES `other`.`parent` \(`id`\) ON DELETE CASCADE ON UPDATE RESTRICT/);
    assert.match(text, /CREATE VIEW `db`.`v1` \(`id`\) AS select `id` from `db`.`child` WITH CASCADED CHECK OPTION/);
    assert.match(text, /ALTER TABLE `db`.`child` AUTO_INCREMENT = 42/);
    assert.deepEqual(objects.find((o) => o.id === 'view:db.v2')!.dependsOn, ['view:db.v1']);
  });

  test('puts the index holding an AUTO_INCREMENT column into CREATE TABLE when the primary key does not start with it', () => {
    const t = table({ columns: [
      { name: 'd', native: 'date', type: { kind: 'date' }, nullable: false },
      { name: 'id', native: 'int', type: { kind: 'int', bytes: 4, unsigned: false }, nullable: false, identity: { kind: 'auto_increment', next: '1' } }],
    primaryKey: ['d', 'id'], indexes: [{ name: 'id_ai', unique: false, primary: false, method: 'btree', parts: [{ column: 'id' }] }],
    partitioning: { method: 'range', key: '`d`', columns: ['d'], partitions: [{ name: 'p0', bound: "'2020-01-01'" }, { name: 'pmax', bound: 'MAXVALUE' }] } });
    const [create, ...rest] = mysqlDdl.renderSchema(schema({ tables: [t] }));
    assert.match(create.statements[0], /PRIMARY KEY \(`d`, `id`\),\n {2}INDEX `id_ai` \(`id`\) USING BTREE\n\)/);
    assert.match(create.statements[0], /PARTITION BY RANGE COLUMNS\(`d`\) \(\n {2}PARTITION `p0` VALUES LESS THAN \('2020-01-01'\),\n {2}PARTITION `pmax` VALUES LESS THAN \(MAXVALUE\)\n\)$/);
    assert.deepEqual(rest, []);
  });
});
