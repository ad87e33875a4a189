// Pre-check questions answered by a MySQL/MariaDB server: version, privileges, binlog settings, sizes,
// packet limits, collations, and what already exists on a target.
import { statfs } from 'node:fs/promises';
import type { CheckResult } from './api';
import type { ConnectionConfig } from './connection';
import type { QualifiedName, Table } from './model';
import { openSession, type SqlSession } from './sql-session';
import { quoteMysqlIdent as q } from './mysql/connect';
import { mysqlLiteral } from './verify-mysql';
import { type Grant, broadPrivileges, hasPrivilege, parseGrants } from './precheck-mysql-grants';
import {
  type FreeSpace, type InventoryTable, type PrecheckPlan, type PrecheckProbe,
  check, formatBytes, formatDuration, isLoopback, versionAtLeast,
} from './precheck-probe';

const lit = (s: string) => mysqlLiteral(s);

function account(c: ConnectionConfig): string {
  return `'${c.user.replace(/'/g, "''")}'@'%'`;
}

export class MysqlProbe implements PrecheckProbe {
  readonly engine = 'mysql' as const;
  readonly mariadb: boolean;
  readonly numbers: number[];
  private grantsCache?: Grant[];

  private constructor(readonly config: ConnectionConfig, private readonly s: SqlSession, readonly version: string,
    /** The configured database does not exist yet (a target Ferry may create). */
    readonly databaseMissing: boolean) {
    this.mariadb = /mariadb/i.test(version);
    this.numbers = (/^(\d+)\.(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  }

  static async open(c: ConnectionConfig, role: 'source' | 'target'): Promise<MysqlProbe> {
    let s: SqlSession;
    let missing = false;
    try {
      s = await openSession(c);
    } catch (err) {
      // A target database Ferry will create is not a connection failure.
      if (role !== 'target' || (err as { code?: string }).code !== 'DATABASE_NOT_FOUND') throw err;
      s = await openSession(c, null);
      missing = true;
    }
    const [row] = await s.query('SELECT VERSION() AS v');
    return new MysqlProbe(c, s, String(row.v), missing);
  }

  private async vars(names: string[]): Promise<Record<string, string | undefined>> {
    const rows = await this.s.query(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(lit).join(', ')})`);
    const out: Record<string, string | undefined> = {};
    for (const r of rows) out[String(r.Variable_name).toLowerCase()] = r.Value === null ? undefined : String(r.Value);
    return out;
  }

  versionCheck(role: 'source' | 'target'): CheckResult {
    const min = this.mariadb ? [10, 3] : [5, 7];
    const name = this.mariadb ? 'MariaDB' : 'MySQL';
    const ok = versionAtLeast(this.numbers, min);
    return check(`${role}.version`, ok ? 'pass' : 'fail', 'Server version',
      ok ? `${name} ${this.version} is supported` : `${name} ${this.version} is older than the supported ${min.join('.')}`,
      ok ? undefined : `upgrade the ${role} to ${name} ${min.join('.')} or later`);
  }

  /** The grants of the connected account and of its active roles (what the session may really do). */
  private async grants(): Promise<Grant[]> {
    if (this.grantsCache) return this.grantsCache;
    const lines = (rows: Record<string, unknown>[]) => rows.map((r) => String(Object.values(r)[0]));
    const parsed = parseGrants(lines(await this.s.query('SHOW GRANTS')));
    const grants = [...parsed.grants];
    const [cr] = await this.s.query('SELECT CURRENT_ROLE() AS r');
    const active = cr?.r ? String(cr.r).split(',').map((r) => r.trim().replace(/^`|`(@`.*)?$/g, '').replace(/@.*$/, '')).filter((r) => r && r !== 'NONE') : [];
    const seen = new Set<string>();
    const queue = [...active];
    while (queue.length > 0) {
      const role = queue.shift() as string;
      if (seen.has(role)) continue;
      seen.add(role);
      try {
        const p = parseGrants(lines(await this.s.query(`SHOW GRANTS FOR ${q(role)}`)));
        grants.push(...p.grants);
        queue.push(...p.roles);
      } catch {
        // Roles the account cannot inspect do not count as granted.
      }
    }
    this.grantsCache = grants;
    return grants;
  }

  async inventory(filter: (schema: string, name: string) => boolean): Promise<InventoryTable[]> {
    const db = this.config.database;
    const tables = await this.s.query(`SELECT TABLE_NAME AS name, COALESCE(TABLE_ROWS, 0) AS est_rows, COALESCE(DATA_LENGTH, 0) + COALESCE(INDEX_LENGTH, 0) AS bytes
      FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${lit(db)} AND TABLE_TYPE = 'BASE TABLE'`);
    const keys = await this.s.query(`SELECT TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, MAX(NULLABLE = 'YES') AS has_null
      FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ${lit(db)} GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE`);
    return tables.filter((t) => filter(db, String(t.name))).map((t) => {
      const k = keys.filter((x) => x.t === t.name);
      return {
        schema: db,
        name: String(t.name),
        hasPrimaryKey: k.some((x) => x.i === 'PRIMARY'),
        hasUniqueKey: k.some((x) => Number(x.nu) === 0 && Number(x.has_null) === 0),
        estimatedRows: Number(t.est_rows),
        estimatedBytes: Number(t.bytes),
      };
    });
  }

  async sourceChecks(plan: PrecheckPlan): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    out.push(...await this.sourcePrivileges(plan));
    const v = await this.vars(['log_bin', 'binlog_format', 'binlog_row_image', 'server_id', 'expire_logs_days',
      'binlog_expire_logs_seconds', 'gtid_mode', 'gtid_strict_mode', 'gtid_binlog_pos', 'binlog_row_value_options', 'enforce_gtid_consistency', 'binlog_row_metadata']);
    const cnf = this.mariadb ? '[mariadbd]' : '[mysqld]';
    const logBin = (v.log_bin ?? 'OFF').toUpperCase();
    if (logBin !== 'ON' && logBin !== '1') {
      out.push(check('source.log_bin', 'fail', 'Binary log',
        'the binary log is off (log_bin=OFF): changes made during and after the full load cannot be captured',
        `add log_bin=mysql-bin, server_id=1, binlog_format=ROW and binlog_row_image=FULL under ${cnf} in the server's configuration and restart the server`));
      return out;
    }
    out.push(check('source.log_bin', 'pass', 'Binary log', 'the binary log is on'));
    const format = (v.binlog_format ?? '').toUpperCase();
    out.push(format === 'ROW'
      ? check('source.binlog_format', 'pass', 'Binlog format', 'binlog_format is ROW')
      : check('source.binlog_format', 'fail', 'Binlog format',
        `binlog_format is ${format || 'unknown'}: incremental sync needs row events (${format} logs statements, whose effect Ferry cannot replay exactly)`,
        `SET GLOBAL binlog_format = 'ROW'; and binlog_format=ROW under ${cnf} (sessions already open keep the old format until they reconnect)`));
    const image = (v.binlog_row_image ?? 'FULL').toUpperCase();
    out.push(image === 'FULL'
      ? check('source.binlog_row_image', 'pass', 'Binlog row image', 'binlog_row_image is FULL')
      : check('source.binlog_row_image', 'fail', 'Binlog row image',
        `binlog_row_image is ${image}: update and delete events would lack the old row, so rows without a key and changed keys cannot be matched`,
        `SET GLOBAL binlog_row_image = 'FULL'; and binlog_row_image=FULL under ${cnf}`));
    // Without column names in the log, rows logged before an ALTER (while Ferry was stopped or behind) cannot be
    // matched to today's columns: replication then stops on that table until it is copied again.
    const metadata = (v.binlog_row_metadata ?? '').toUpperCase();
    if (metadata !== '') {
      out.push(metadata === 'FULL'
        ? check('source.binlog_row_metadata', 'pass', 'Binlog row metadata', 'binlog_row_metadata is FULL: rows logged before a schema change decode by column name')
        : check('source.binlog_row_metadata', 'warn', 'Binlog row metadata',
          `binlog_row_metadata is ${metadata}: the binlog does not name the columns, so if a migrated table is altered on the source while Ferry is stopped or behind, the rows logged before the ALTER cannot be decoded and that table has to be copied again`,
          `SET GLOBAL binlog_row_metadata = 'FULL'; and binlog_row_metadata=FULL under ${cnf}`));
    }
    if ((v.binlog_row_value_options ?? '').toUpperCase().includes('PARTIAL_JSON')) {
      out.push(check('source.binlog_row_value_options', 'fail', 'Partial JSON updates',
        'binlog_row_value_options=PARTIAL_JSON logs JSON updates as diffs Ferry cannot apply', "SET GLOBAL binlog_row_value_options = '';"));
    }
    const serverId = Number(v.server_id ?? 0);
    out.push(serverId !== 0
      ? check('source.server_id', 'pass', 'Server id', `server_id is ${serverId}`)
      : check('source.server_id', 'fail', 'Server id', 'server_id is 0: the server refuses binlog clients',
        `SET GLOBAL server_id = 1; and server_id=1 under ${cnf} (any value not used by another server in the topology)`));
    out.push(this.retentionCheck(v, plan, cnf));
    out.push(this.gtidCheck(v));
    return out;
  }

  private retentionCheck(v: Record<string, string | undefined>, plan: PrecheckPlan, cnf: string): CheckResult {
    const seconds = Number(v.binlog_expire_logs_seconds ?? 0);
    const days = Number(v.expire_logs_days ?? 0);
    const retention = seconds > 0 ? seconds : days * 86400;
    const est = plan.estimatedLoadSeconds;
    // The binlog from the snapshot on must survive the full load plus a catch-up of similar length.
    const need = 2 * est + 3600;
    const title = 'Binlog retention';
    if (retention <= 0) {
      return check('source.binlog_retention', 'pass', title, `binary logs are never purged automatically; the full load is estimated at ${formatDuration(est)} (${formatBytes(plan.sourceBytes)})`);
    }
    const setting = seconds > 0 || !this.mariadb ? 'binlog_expire_logs_seconds' : 'expire_logs_days';
    const wantSeconds = Math.ceil((need + 86400) / 86400) * 86400;
    const fix = setting === 'binlog_expire_logs_seconds'
      ? `SET GLOBAL binlog_expire_logs_seconds = ${wantSeconds}; and the same under ${cnf}`
      : `SET GLOBAL expire_logs_days = ${wantSeconds / 86400}; and the same under ${cnf}`;
    const msg = `binary logs are kept ${formatDuration(retention)}; the full load of ${formatBytes(plan.sourceBytes)} is estimated at ${formatDuration(est)} (at a conservative rate), and the binlog from its start must survive it and the catch-up`;
    if (retention < need) return check('source.binlog_retention', 'fail', title, msg, fix);
    if (retention < need + 86400) return check('source.binlog_retention', 'warn', title, `${msg}; little headroom for a paused or resumed load`, fix);
    return check('source.binlog_retention', 'pass', title, msg);
  }

  private gtidCheck(v: Record<string, string | undefined>): CheckResult {
    if (this.mariadb) {
      const strict = (v.gtid_strict_mode ?? 'OFF').toUpperCase();
      return check('source.gtid', 'pass', 'GTID', `MariaDB GTIDs are always logged (gtid_binlog_pos ${v.gtid_binlog_pos || 'empty'}, gtid_strict_mode ${strict}); Ferry records the GTID with each position`);
    }
    const mode = (v.gtid_mode ?? 'OFF').toUpperCase();
    return mode === 'ON'
      ? check('source.gtid', 'pass', 'GTID', 'gtid_mode is ON: positions survive a source failover')
      : check('source.gtid', 'warn', 'GTID', `gtid_mode is ${mode}: Ferry follows binlog file and offset, which do not survive a failover to another server`,
        "SET GLOBAL enforce_gtid_consistency = ON; then step gtid_mode OFF_PERMISSIVE -> ON_PERMISSIVE -> ON (optional)");
  }

  private async sourcePrivileges(plan: PrecheckPlan): Promise<CheckResult[]> {
    const grants = await this.grants();
    const db = this.config.database;
    const out: CheckResult[] = [];
    const monitor = this.mariadb && versionAtLeast(this.numbers, [10, 5, 2]) ? 'BINLOG MONITOR' : 'REPLICATION CLIENT';
    const missingGlobal = ['REPLICATION SLAVE', monitor].filter((p) => !hasPrivilege(grants, p));
    const missingDb = ['SELECT', 'SHOW VIEW', 'TRIGGER'].filter((p) => {
      if (hasPrivilege(grants, p, db)) return false;
      // SELECT granted table by table is enough when it covers every migrated table.
      return !(p === 'SELECT' && plan.sourceTables.length > 0 && plan.sourceTables.every((t) => hasPrivilege(grants, p, db, t.name)));
    });
    const who = account(this.config);
    if (missingGlobal.length + missingDb.length === 0) {
      out.push(check('source.privileges', 'pass', 'Source privileges', `${this.config.user} has SELECT, SHOW VIEW, TRIGGER on ${db} and REPLICATION SLAVE, ${monitor}`));
    } else {
      const fixes: string[] = [];
      if (missingDb.length > 0) fixes.push(`GRANT ${missingDb.join(', ')} ON ${q(db)}.* TO ${who};`);
      if (missingGlobal.length > 0) fixes.push(`GRANT ${missingGlobal.join(', ')} ON *.* TO ${who};`);
      out.push(check('source.privileges', 'fail', 'Source privileges',
        `${this.config.user} lacks ${[...missingDb.map((p) => `${p} on ${db}`), ...missingGlobal].join(', ')}: the full load reads the tables and incremental sync reads the binlog`,
        fixes.join(' ')));
    }
    if (!this.mariadb) {
      out.push(hasPrivilege(grants, 'RELOAD')
        ? check('source.reload', 'pass', 'Snapshot lock', 'RELOAD lets Ferry align parallel snapshot connections with a brief FLUSH TABLES WITH READ LOCK')
        : check('source.reload', 'warn', 'Snapshot lock',
          'without RELOAD Ferry cannot take FLUSH TABLES WITH READ LOCK, so the full load reads through a single snapshot connection (slower)',
          `GRANT RELOAD ON *.* TO ${who};`));
    }
    const broad = broadPrivileges(grants, db);
    const needed = new Set(['SELECT', 'SHOW VIEW', 'TRIGGER', 'REPLICATION SLAVE', 'BINLOG MONITOR', 'RELOAD', 'USAGE', 'REPLICA MONITOR', 'PROCESS', 'LOCK TABLES', 'EXECUTE', 'SHOW DATABASES', 'EVENT']);
    const excess = [...broad].filter((p) => !needed.has(p)).sort();
    if (excess.length > 0) {
      const minimal = [
        `CREATE USER 'ferry'@'%' IDENTIFIED BY '<password>';`,
        `GRANT SELECT, SHOW VIEW, TRIGGER ON ${q(db)}.* TO 'ferry'@'%';`,
        `GRANT REPLICATION SLAVE, ${monitor}${this.mariadb ? '' : ', RELOAD'} ON *.* TO 'ferry'@'%';`,
      ];
      out.push(check('source.excess_privileges', 'warn', 'Source privileges beyond need',
        `${this.config.user} holds more than Ferry needs on the source (${excess.includes('ALL') ? 'ALL PRIVILEGES' : excess.join(', ')}); a migration user should not be able to change the source`,
        minimal.join(' ')));
    }
    return out;
  }

  async targetChecks(plan: PrecheckPlan): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const grants = await this.grants();
    const db = this.config.database;
    const who = account(this.config);
    const needed = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'INDEX', 'REFERENCES', 'DROP'];
    if ((plan.conversion?.target.views.length ?? 0) > 0) needed.push('CREATE VIEW');
    const missing = needed.filter((p) => !hasPrivilege(grants, p, db));
    out.push(missing.length === 0
      ? check('target.privileges', 'pass', 'Target privileges', `${this.config.user} may create and load tables in ${db}`)
      : check('target.privileges', 'fail', 'Target privileges', `${this.config.user} lacks ${missing.join(', ')} on ${db}: schema apply, full load, CDC and repair need them`,
        `GRANT ${missing.join(', ')} ON ${q(db)}.* TO ${who};`));
    const metaNeeded = ['CREATE', 'SELECT', 'INSERT', 'UPDATE', 'DELETE'];
    const metaMissing = metaNeeded.filter((p) => !hasPrivilege(grants, p, 'ferry_meta'));
    out.push(metaMissing.length === 0
      ? check('target.meta_privileges', 'pass', 'Ferry state database', `${this.config.user} may keep Ferry's state in the database ferry_meta`)
      : check('target.meta_privileges', 'fail', 'Ferry state database',
        `${this.config.user} lacks ${metaMissing.join(', ')} on ferry_meta, where Ferry keeps checkpoints and applied-transaction marks next to the data`,
        `GRANT ${metaMissing.join(', ')} ON \`ferry_meta\`.* TO ${who};`));
    if (this.databaseMissing) {
      out.push(check('target.database', hasPrivilege(grants, 'CREATE', db) ? 'warn' : 'fail', 'Target database',
        `the database ${db} does not exist yet; schema apply creates it`, `CREATE DATABASE ${q(db)} CHARACTER SET utf8mb4;`));
    }
    const v = await this.vars(['local_infile']);
    const infile = (v.local_infile ?? 'OFF').toUpperCase();
    out.push(infile === 'ON' || infile === '1'
      ? check('target.local_infile', 'pass', 'LOAD DATA LOCAL', 'local_infile is ON: the full load streams chunks with LOAD DATA LOCAL INFILE')
      : check('target.local_infile', 'fail', 'LOAD DATA LOCAL', 'local_infile is OFF: the full load writes with LOAD DATA LOCAL INFILE',
        `SET GLOBAL local_infile = ON; and local_infile=ON under ${this.mariadb ? '[mariadbd]' : '[mysqld]'}`));
    return out;
  }

  async timeZone(): Promise<string> {
    const [r] = await this.s.query('SELECT @@global.time_zone AS tz, @@system_time_zone AS sys');
    const tz = String(r.tz);
    return tz === 'SYSTEM' ? String(r.sys) : tz;
  }

  async freeSpace(): Promise<FreeSpace> {
    const [r] = await this.s.query('SELECT @@datadir AS d');
    const dir = String(r.d);
    if (!isLoopback(this.config.host)) return { reason: `the server is remote (${this.config.host}); MySQL has no SQL query for free disk space` };
    try {
      const st = await statfs(dir);
      return { bytes: Number(st.bavail) * Number(st.bsize) };
    } catch (err) {
      return { reason: `cannot read the data directory ${dir}: ${(err as Error).message}` };
    }
  }

  async maxPacket(): Promise<number | undefined> {
    const v = await this.vars(['max_allowed_packet']);
    return v.max_allowed_packet ? Number(v.max_allowed_packet) : undefined;
  }

  async largestRow(tables: Table[], budgetRows: number): Promise<{ table: string; bytes: number } | undefined> {
    let best: { table: string; bytes: number } | undefined = { table: '', bytes: 0 };
    for (const t of tables) {
      if (t.columns.length === 0) continue;
      if (t.estimatedRows > budgetRows) return undefined;
      const expr = t.columns.map((c) => `COALESCE(OCTET_LENGTH(${q(c.name)}), 0)`).join(' + ');
      const [r] = await this.s.query(`SELECT MAX(${expr}) AS m FROM ${q(t.schema)}.${q(t.name)}`);
      const bytes = Number(r.m ?? 0);
      if (best && bytes > best.bytes) best = { table: `${t.schema}.${t.name}`, bytes };
    }
    return best;
  }

  async existingTables(names: QualifiedName[]): Promise<{ name: QualifiedName; hasRows: boolean }[]> {
    if (names.length === 0) return [];
    const rows = await this.s.query(`SELECT TABLE_SCHEMA AS s, TABLE_NAME AS n FROM information_schema.TABLES WHERE (TABLE_SCHEMA, TABLE_NAME) IN (${names.map((n) => `(${lit(n.schema)}, ${lit(n.name)})`).join(', ')})`);
    const out: { name: QualifiedName; hasRows: boolean }[] = [];
    for (const r of rows) {
      const name = { schema: String(r.s), name: String(r.n) };
      const any = await this.s.query(`SELECT 1 AS x FROM ${q(name.schema)}.${q(name.name)} LIMIT 1`);
      out.push({ name, hasRows: any.length > 0 });
    }
    return out;
  }

  async defaultCollation(schema: string): Promise<string | undefined> {
    const rows = await this.s.query(`SELECT DEFAULT_COLLATION_NAME AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${lit(schema)}`);
    if (rows.length > 0) return String(rows[0].c);
    const [r] = await this.s.query('SELECT @@global.collation_server AS c');
    return String(r.c);
  }

  async caseInsensitiveTableNames(): Promise<boolean> {
    const v = await this.vars(['lower_case_table_names']);
    return Number(v.lower_case_table_names ?? 0) !== 0;
  }

  async collidingGroups(table: QualifiedName, columns: string[], collation: string): Promise<number | undefined> {
    if (!/^[A-Za-z0-9_]+$/.test(collation)) return undefined;
    try {
      const cs = /^(utf8mb4|utf8mb3|utf8|latin1|ascii|ucs2|utf16|utf32)_/.exec(collation)?.[1] ?? 'utf8mb4';
      const group = columns.map((c) => `CONVERT(${q(c)} USING ${cs}) COLLATE ${collation}`).join(', ');
      const [r] = await this.s.query(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${q(table.schema)}.${q(table.name)} GROUP BY ${group} HAVING COUNT(*) > 1) x`);
      return Number(r.n);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.s.close();
  }
}
