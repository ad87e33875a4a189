// Deterministic benchmark data: sysbench-shaped sbtest tables, a wide table of awkward types and a table
// without a primary key, generated inside the servers (MariaDB's sequence engine, PostgreSQL generate_series).
import { mariadb, psql } from '../helpers/db';

export interface DatasetSize {
  sbtestTables: number;
  sbtestRows: number;
  wideRows: number;
  nokeyRows: number;
}

export function sizeFor(scale: number): DatasetSize {
  return {
    sbtestTables: 4,
    sbtestRows: Math.max(1000, Math.round(1_000_000 * scale)),
    wideRows: Math.max(500, Math.round(500_000 * scale)),
    nokeyRows: Math.max(200, Math.round(200_000 * scale)),
  };
}

/** sysbench's sbtest shape (oltp_write_only runs against it), so the incremental bench can write to it. */
export function createMariadbDataset(db: string, size: DatasetSize, withExtras: boolean): void {
  mariadb('mysql', `DROP DATABASE IF EXISTS \`${db}\`; CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4`);
  const stmts: string[] = [];
  for (let i = 1; i <= size.sbtestTables; i++) {
    stmts.push(`CREATE TABLE sbtest${i} (id INT NOT NULL AUTO_INCREMENT, k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '',
      pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id), KEY k_1 (k)) ENGINE=InnoDB`);
    stmts.push(`INSERT INTO sbtest${i} (id, k, c, pad) SELECT seq, 1 + (seq * 2654435761 + ${i}) % ${size.sbtestRows},
      LEFT(CONCAT_WS('-', MD5(seq), MD5(seq + ${i}), MD5(seq * 3), MD5(seq * 7)), 119), LEFT(CONCAT(MD5(-seq), MD5(seq * 5 + ${i})), 59)
      FROM seq_1_to_${size.sbtestRows}`);
  }
  if (withExtras) {
    stmts.push(`CREATE TABLE wide (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, u BIGINT UNSIGNED NOT NULL, d DECIMAL(30,8), ts DATETIME(6),
      v VARCHAR(255) CHARACTER SET utf8mb4, t TEXT, e ENUM('red','green','blue'), j JSON) ENGINE=InnoDB`);
    stmts.push(`INSERT INTO wide SELECT seq, 18446744073709551615 - seq, (seq * 12345.6789) / 7,
      TIMESTAMP('2020-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND,
      CONCAT('välue-', seq, ' \u{1F680}'), REPEAT(MD5(seq), 1 + seq % 20), ELT(1 + seq % 3, 'red', 'green', 'blue'),
      JSON_OBJECT('id', seq, 'tags', JSON_ARRAY('a', seq % 7), 'ok', seq % 2 = 0) FROM seq_1_to_${size.wideRows}`);
    stmts.push(`CREATE TABLE nokey (a INT, b VARCHAR(40), c DATETIME) ENGINE=InnoDB`);
    stmts.push(`INSERT INTO nokey SELECT seq % ${Math.max(1, Math.floor(size.nokeyRows / 4))}, MD5(seq % 1000), TIMESTAMP('2021-06-01') + INTERVAL (seq % 5000) MINUTE FROM seq_1_to_${size.nokeyRows}`);
  }
  mariadb(db, stmts.join(';\n'));
}

/** The same sbtest shape in PostgreSQL, for the PostgreSQL -> PostgreSQL pair. */
export function createPostgresDataset(db: string, size: DatasetSize): void {
  const stmts: string[] = [];
  for (let i = 1; i <= size.sbtestTables; i++) {
    stmts.push(`CREATE TABLE sbtest${i} (id integer NOT NULL PRIMARY KEY, k integer NOT NULL DEFAULT 0, c character(120) NOT NULL DEFAULT '',
      pad character(60) NOT NULL DEFAULT '')`);
    stmts.push(`INSERT INTO sbtest${i} SELECT g, 1 + ((g::bigint * 2654435761 + ${i}) % ${size.sbtestRows}),
      left(concat_ws('-', md5(g::text), md5((g + ${i})::text), md5((g * 3)::text), md5((g * 7)::text)), 119),
      left(md5((-g)::text) || md5((g * 5 + ${i})::text), 59) FROM generate_series(1, ${size.sbtestRows}) g`);
    stmts.push(`CREATE INDEX k_${i} ON sbtest${i} (k)`);
  }
  psql(db, stmts.join(';\n'));
  psql(db, 'VACUUM ANALYZE');
}
