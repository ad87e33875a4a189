// The fault suite's data: a small two-table source (one keyed, one without a key), a seeded writer that keeps
// changing it, and the after-the-fact checks (row counts by key on both sides: nothing lost, nothing doubled).
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { type FaultServer, mysqlFaultAdmin, pgFaultAdmin, seededRandom } from '../helpers/faults';

export const KEYED = 'account';
/** No primary key: a duplicate after a resume would survive here, so its logical key `k` is counted. */
export const UNKEYED = 'ledger';

/** Creates the two tables with `rows` rows each. PostgreSQL: the unkeyed table gets REPLICA IDENTITY FULL. */
export async function seedSource(s: FaultServer, db: string, rows: number): Promise<void> {
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s, db);
    try {
      await c.query(`CREATE TABLE ${KEYED} (id INT PRIMARY KEY, counter INT NOT NULL, balance DECIMAL(14,2) NOT NULL,
        name VARCHAR(64) NOT NULL, note TEXT NULL, tag VARBINARY(16) NULL, changed DATETIME(6) NOT NULL) ENGINE=InnoDB`);
      await c.query(`CREATE TABLE ${UNKEYED} (k INT NOT NULL, n INT NOT NULL, payload VARCHAR(80) NULL, KEY (k)) ENGINE=InnoDB`);
      await c.query(`INSERT INTO ${KEYED} SELECT seq, 0, seq * 1.25, CONCAT('näme-', seq, '-表'), IF(seq % 5 = 0, NULL, REPEAT('n', seq % 200)),
        IF(seq % 3 = 0, NULL, UNHEX(MD5(seq))), '2024-01-01 00:00:00.000001' + INTERVAL seq SECOND FROM seq_1_to_${rows}`);
      await c.query(`INSERT INTO ${UNKEYED} SELECT seq, 0, IF(seq % 4 = 0, NULL, CONCAT('p', seq)) FROM seq_1_to_${rows}`);
    } finally { await c.end(); }
    return;
  }
  const c = await pgFaultAdmin(s, db);
  try {
    await c.query(`CREATE TABLE ${KEYED} (id int PRIMARY KEY, counter int NOT NULL, balance numeric(14,2) NOT NULL,
      name varchar(64) NOT NULL, note text NULL, tag bytea NULL, changed timestamp(6) NOT NULL)`);
    await c.query(`CREATE TABLE ${UNKEYED} (k int NOT NULL, n int NOT NULL, payload varchar(80) NULL)`);
    await c.query(`CREATE INDEX ON ${UNKEYED} (k)`);
    await c.query(`ALTER TABLE ${UNKEYED} REPLICA IDENTITY FULL`);
    await c.query(`INSERT INTO ${KEYED} SELECT g, 0, g * 1.25, 'näme-' || g || '-表', CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('n', g % 200) END,
      CASE WHEN g % 3 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END, timestamp '2024-01-01 00:00:00.000001' + g * interval '1 second'
      FROM generate_series(1, ${rows}) g`);
    await c.query(`INSERT INTO ${UNKEYED} SELECT g, 0, CASE WHEN g % 4 = 0 THEN NULL ELSE 'p' || g END FROM generate_series(1, ${rows}) g`);
  } finally { await c.end(); }
}

export interface Writer {
  /** Stops after the transaction in flight; resolves with the commits and rollbacks done. */
  stop(): Promise<{ commits: number; rollbacks: number; errors: number }>;
}

/**
 * Runs random transactions against the source until stopped: multi-row updates, inserts into both tables,
 * deletes, primary-key changes, rollbacks, NULLs. A failing statement (the server restarting) is counted and
 * the writer reconnects; it never stops on its own.
 */
export function startWriter(s: FaultServer, db: string, seed: number, startId: number, pauseMs = 5): Writer {
  const rnd = seededRandom(seed);
  let running = true;
  let nextId = startId + 1;
  const stats = { commits: 0, rollbacks: 0, errors: 0 };
  const my = s.engine === 'mysql';
  const loop = (async () => {
    let conn: mysql.Connection | pg.Client | undefined;
    const q = async (sql: string) => {
      if (!conn) conn = my ? await mysqlFaultAdmin(s, db) : await pgFaultAdmin(s, db);
      if (my) await (conn as mysql.Connection).query(sql); else await (conn as pg.Client).query(sql);
    };
    const now = my ? 'UTC_TIMESTAMP(6)' : "(now() at time zone 'UTC')";
    while (running) {
      const id = () => rnd.int(1, nextId - 1);
      const stmts: string[] = [];
      const kind = rnd.int(0, 9);
      if (kind <= 3) {
        for (let i = rnd.int(1, 3); i > 0; i--) {
          stmts.push(`UPDATE ${KEYED} SET counter = counter + 1, balance = balance + ${rnd.int(-500, 500) / 100}, changed = ${now} WHERE id = ${id()}`);
        }
        stmts.push(`UPDATE ${UNKEYED} SET n = n + 1 WHERE k = ${id()}`);
      } else if (kind <= 6) {
        const n = nextId++;
        const note = rnd.next() < 0.3 ? 'NULL' : `'w${n} ü'`;
        stmts.push(`INSERT INTO ${KEYED} (id, counter, balance, name, note, tag, changed) VALUES (${n}, 1, ${n}.50, 'new-${n}', ${note}, NULL, ${now})`);
        stmts.push(`INSERT INTO ${UNKEYED} (k, n, payload) VALUES (${n}, 1, ${rnd.next() < 0.5 ? 'NULL' : `'ins ${n}'`})`);
      } else if (kind === 7) {
        const victim = id();
        stmts.push(`DELETE FROM ${KEYED} WHERE id = ${victim}`);
        stmts.push(`DELETE FROM ${UNKEYED} WHERE k = ${id()}`);
      } else if (kind === 8) {
        // A primary-key change: the row moves to a fresh id.
        stmts.push(`UPDATE ${KEYED} SET id = ${nextId++}, counter = counter + 1 WHERE id = ${id()}`);
      } else {
        stmts.push(`UPDATE ${KEYED} SET counter = counter + 1000 WHERE id = ${id()}`);
        stmts.push('ROLLBACK');
      }
      try {
        await q(my ? 'START TRANSACTION' : 'BEGIN');
        for (const sql of stmts) await q(sql);
        if (stmts[stmts.length - 1] === 'ROLLBACK') stats.rollbacks++;
        else { await q('COMMIT'); stats.commits++; }
      } catch {
        stats.errors++;
        const c = conn;
        conn = undefined;
        if (c) await (my ? (c as mysql.Connection).end() : (c as pg.Client).end()).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    if (conn) await (my ? (conn as mysql.Connection).end() : (conn as pg.Client).end()).catch(() => undefined);
  })();
  return { stop: async () => { running = false; await loop; return stats; } };
}

/** `key -> number of rows` of one table; keys as text. */
async function countsByKey(s: FaultServer, db: string, table: string, key: string): Promise<Map<string, number>> {
  const sql = `SELECT ${key} AS k, COUNT(*) AS n FROM ${table} GROUP BY ${key}`;
  const rows: { k: unknown; n: unknown }[] = [];
  if (s.engine === 'mysql') {
    const c = await mysqlFaultAdmin(s, db);
    try { rows.push(...((await c.query(sql))[0] as { k: unknown; n: unknown }[])); } finally { await c.end(); }
  } else {
    const c = await pgFaultAdmin(s, db);
    try { rows.push(...(await c.query(sql)).rows); } finally { await c.end(); }
  }
  return new Map(rows.map((r) => [String(r.k), Number(r.n)]));
}

export interface KeyComparison {
  table: string;
  sourceRows: number;
  targetRows: number;
  /** Keys present more often on the target than on the source. */
  duplicated: string[];
  /** Keys present less often on the target than on the source. */
  missing: string[];
}

/** Counts rows by key on both sides of both tables. */
export async function compareByKey(source: FaultServer, sourceDb: string, target: FaultServer, targetDb: string): Promise<KeyComparison[]> {
  const out: KeyComparison[] = [];
  for (const [table, key] of [[KEYED, 'id'], [UNKEYED, 'k']] as const) {
    const a = await countsByKey(source, sourceDb, table, key);
    const b = await countsByKey(target, targetDb, table, key);
    const duplicated: string[] = [];
    const missing: string[] = [];
    for (const k of new Set([...a.keys(), ...b.keys()])) {
      const na = a.get(k) ?? 0;
      const nb = b.get(k) ?? 0;
      if (nb > na) duplicated.push(k);
      if (nb < na) missing.push(k);
    }
    const sum = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
    out.push({ table, sourceRows: sum(a), targetRows: sum(b), duplicated, missing });
  }
  return out;
}
