// Pre-check questions answered by a PostgreSQL server: version, roles and privileges, logical decoding
// settings, slots and WAL senders, publication rights, replica identity, sizes and existing tables.
import { statfs } from 'node:fs/promises';
import pg from 'pg';
import type { CheckResult } from './api';
import type { ConnectionConfig } from './connection';
import type { QualifiedName, Table } from './model';
import { openSession, type SqlSession } from './sql-session';
import { pgClientConfig, quotePgIdent as q, quotePgLiteral } from './postgres/connect';
import {
  type FreeSpace, type InventoryTable, type PrecheckPlan, type PrecheckProbe,
  check, formatBytes, isLoopback, versionAtLeast,
} from './precheck-probe';

const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'ferry_meta') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

interface RoleFacts {
  superuser: boolean;
  replication: boolean;
  createOnDatabase: boolean;
}

export class PostgresProbe implements PrecheckProbe {
  readonly engine = 'postgres' as const;
  readonly numbers: number[];
  private roleCache?: RoleFacts;

  private constructor(readonly config: ConnectionConfig, private readonly s: SqlSession, readonly version: string, versionNum: number) {
    this.numbers = [Math.floor(versionNum / 10000), versionNum % 10000];
  }

  static async open(c: ConnectionConfig): Promise<PostgresProbe> {
    const s = await openSession(c);
    const [r] = await s.query("SELECT current_setting('server_version') AS v, current_setting('server_version_num')::int AS n");
    return new PostgresProbe(c, s, String(r.v), Number(r.n));
  }

  versionCheck(role: 'source' | 'target'): CheckResult {
    const ok = versionAtLeast(this.numbers, [10]);
    return check(`${role}.version`, ok ? 'pass' : 'fail', 'Server version',
      ok ? `PostgreSQL ${this.version} is supported${role === 'source' ? ' (pgoutput logical decoding)' : ''}`
        : `PostgreSQL ${this.version} is older than 10, which ${role === 'source' ? 'has no pgoutput logical decoding' : 'lacks identity columns and declarative partitioning'}`,
      ok ? undefined : `upgrade the ${role} to PostgreSQL 10 or later`);
  }

  private async role(): Promise<RoleFacts> {
    if (this.roleCache) return this.roleCache;
    const [r] = await this.s.query(`SELECT rolsuper, rolreplication, has_database_privilege(current_database(), 'CREATE') AS db_create
      FROM pg_roles WHERE rolname = current_user`);
    this.roleCache = { superuser: r.rolsuper === true || r.rolsuper === 't', replication: r.rolreplication === true || r.rolreplication === 't',
      createOnDatabase: r.db_create === true || r.db_create === 't' };
    return this.roleCache;
  }

  async inventory(filter: (schema: string, name: string) => boolean): Promise<InventoryTable[]> {
    const rows = await this.s.query(`SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::bigint AS est_rows,
        pg_total_relation_size(c.oid) AS bytes, c.relreplident AS ident,
        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull)) AS has_uk,
        EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_ident_index,
        has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS can_select,
        pg_has_role(c.relowner, 'USAGE') AS owned
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${SYSTEM_SCHEMAS}
      ORDER BY 1, 2`);
    const b = (v: unknown) => v === true || v === 't';
    return rows.filter((r) => filter(String(r.schema), String(r.name))).map((r) => ({
      schema: String(r.schema),
      name: String(r.name),
      hasPrimaryKey: b(r.has_pk),
      hasUniqueKey: b(r.has_uk),
      estimatedRows: Number(r.est_rows),
      estimatedBytes: Number(r.bytes),
      // 'i' without its index behaves like nothing at all.
      replicaIdentity: (String(r.ident) === 'i' && !b(r.has_ident_index) ? 'n' : String(r.ident)) as InventoryTable['replicaIdentity'],
      canSelect: b(r.can_select),
      owned: b(r.owned),
    }));
  }

  private async settings(names: string[]): Promise<Record<string, string | undefined>> {
    const rows = await this.s.query(`SELECT name, setting FROM pg_settings WHERE name IN (${names.map(quotePgLiteral).join(', ')})`);
    const out: Record<string, string | undefined> = {};
    for (const r of rows) out[String(r.name)] = String(r.setting);
    return out;
  }

  async sourceChecks(plan: PrecheckPlan): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const role = await this.role();
    const who = q(this.config.user);
    const db = this.config.database;
    const set = await this.settings(['wal_level', 'max_replication_slots', 'max_wal_senders', 'max_slot_wal_keep_size']);
    const walLevel = set.wal_level ?? 'unknown';
    out.push(walLevel === 'logical'
      ? check('source.wal_level', 'pass', 'WAL level', 'wal_level is logical')
      : check('source.wal_level', 'fail', 'WAL level', `wal_level is ${walLevel}: logical decoding (pgoutput) needs wal_level=logical`,
        "ALTER SYSTEM SET wal_level = 'logical'; then restart PostgreSQL"));

    out.push(role.superuser || role.replication
      ? check('source.replication_role', 'pass', 'Replication role', `${this.config.user} ${role.superuser ? 'is a superuser' : 'has the REPLICATION attribute'}`)
      : check('source.replication_role', 'fail', 'Replication role',
        `${this.config.user} has neither REPLICATION nor superuser: it cannot create the replication slot or stream changes`,
        `ALTER ROLE ${who} REPLICATION;`));
    if ((role.superuser || role.replication) && walLevel === 'logical') out.push(await this.replicationConnection());

    const [slots] = await this.s.query(`SELECT count(*)::int AS used, count(*) FILTER (WHERE slot_name = ${quotePgLiteral(plan.replicationName)})::int AS mine FROM pg_replication_slots`);
    const maxSlots = Number(set.max_replication_slots ?? 0);
    const freeSlots = maxSlots - Number(slots.used);
    if (Number(slots.mine) > 0) out.push(check('source.replication_slots', 'pass', 'Replication slots', `the slot ${plan.replicationName} exists already and is reused`));
    else out.push(freeSlots > 0
      ? check('source.replication_slots', 'pass', 'Replication slots', `${freeSlots} of ${maxSlots} replication slots are free`)
      : check('source.replication_slots', 'fail', 'Replication slots', `all ${maxSlots} replication slots are in use`,
        `drop an unused slot (SELECT pg_drop_replication_slot('<name>')) or ALTER SYSTEM SET max_replication_slots = ${maxSlots + 4}; and restart`));
    const [senders] = await this.s.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'walsender'");
    const maxSenders = Number(set.max_wal_senders ?? 0);
    const freeSenders = maxSenders - Number(senders.n);
    out.push(freeSenders > 0
      ? check('source.wal_senders', 'pass', 'WAL senders', `${freeSenders} of ${maxSenders} WAL senders are free`)
      : check('source.wal_senders', 'fail', 'WAL senders', `all ${maxSenders} WAL senders are busy (max_wal_senders=${maxSenders})`,
        `ALTER SYSTEM SET max_wal_senders = ${maxSenders + 4}; and restart PostgreSQL`));
    const keep = Number(set.max_slot_wal_keep_size ?? -1);
    if (keep >= 0 && set.max_slot_wal_keep_size !== undefined) {
      out.push(check('source.slot_wal_keep', 'warn', 'Slot WAL limit',
        `max_slot_wal_keep_size is ${formatBytes(keep * 1024 * 1024)}: if the full load (estimated ${Math.round(plan.estimatedLoadSeconds / 60)} min) and the catch-up leave more WAL than that behind, PostgreSQL invalidates the slot and the migration must start over`,
        "ALTER SYSTEM SET max_slot_wal_keep_size = -1; SELECT pg_reload_conf();"));
    }

    out.push(await this.publicationCheck(plan, role));
    const unreadable = plan.sourceTables.filter((t) => !t.canSelect);
    out.push(unreadable.length === 0
      ? check('source.select', 'pass', 'Read access', `${this.config.user} may read all ${plan.sourceTables.length} migrated tables`)
      : check('source.select', 'fail', 'Read access', `${this.config.user} cannot read ${unreadable.map((t) => `${t.schema}.${t.name}`).slice(0, 10).join(', ')}${unreadable.length > 10 ? ` and ${unreadable.length - 10} more` : ''}`,
        [...new Set(unreadable.map((t) => t.schema))].map((s) => `GRANT USAGE ON SCHEMA ${q(s)} TO ${who}; GRANT SELECT ON ALL TABLES IN SCHEMA ${q(s)} TO ${who};`).join(' ')));

    if (plan.incremental) {
      for (const t of plan.sourceTables) {
        if (t.hasPrimaryKey || t.replicaIdentity === 'f' || (t.replicaIdentity === 'i')) continue;
        const obj = `table:${t.schema}.${t.name}`;
        out.push(check('source.replica_identity', 'fail', 'Replica identity',
          `${t.schema}.${t.name} has no primary key and REPLICA IDENTITY ${t.replicaIdentity === 'n' ? 'NOTHING' : 'DEFAULT'}: once it is in the publication, UPDATE and DELETE on it fail on the source, and CDC cannot identify its rows`,
          `ALTER TABLE ${q(t.schema)}.${q(t.name)} REPLICA IDENTITY FULL;`, obj));
      }
    }
    if (role.superuser) {
      const schemas = [...new Set(plan.sourceTables.map((t) => t.schema))];
      const tables = plan.sourceTables.map((t) => `${q(t.schema)}.${q(t.name)}`).join(', ');
      out.push(check('source.excess_privileges', 'warn', 'Source privileges beyond need',
        `${this.config.user} is a superuser; a migration user needs only REPLICATION, CONNECT and SELECT, with the publication created once by the tables' owner`,
        [`CREATE ROLE ferry LOGIN REPLICATION PASSWORD '<password>';`, `GRANT CONNECT ON DATABASE ${q(db)} TO ferry;`,
          ...schemas.map((s) => `GRANT USAGE ON SCHEMA ${q(s)} TO ferry; GRANT SELECT ON ALL TABLES IN SCHEMA ${q(s)} TO ferry;`),
          ...(tables ? [`-- as the owner: CREATE PUBLICATION ${q(plan.replicationName)} FOR TABLE ${tables};`] : [])].join(' ')));
    }
    return out;
  }

  /** Opens a walsender connection as CDC will (pg_hba, REPLICATION and a free WAL sender all matter). */
  private async replicationConnection(): Promise<CheckResult> {
    const client = new pg.Client(pgClientConfig(this.config, this.config.database, true));
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('IDENTIFY_SYSTEM');
      return check('source.replication_connection', 'pass', 'Replication connection', 'a logical replication connection opens and identifies the system');
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const fix = /pg_hba/.test(e.message ?? '')
        ? `add "host ${this.config.database} ${this.config.user} <ferry-host-ip>/32 scram-sha-256" to pg_hba.conf (logical replication connections match the database name, not "replication") and SELECT pg_reload_conf();`
        : e.code === '53300' ? 'raise max_wal_senders and restart PostgreSQL' : `ALTER ROLE ${q(this.config.user)} REPLICATION;`;
      return check('source.replication_connection', 'fail', 'Replication connection', `a logical replication connection failed: ${e.message ?? String(err)}`, fix);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async publicationCheck(plan: PrecheckPlan, role: RoleFacts): Promise<CheckResult> {
    const name = plan.replicationName;
    const existing = await this.s.query(`SELECT p.puballtables AS alltables,
        (SELECT count(*) FROM pg_publication_tables pt WHERE pt.pubname = p.pubname)::int AS n
      FROM pg_publication p WHERE p.pubname = ${quotePgLiteral(name)}`);
    const title = 'Publication rights';
    if (existing.length > 0) {
      return check('source.publication', 'pass', title, `the publication ${name} exists (${existing[0].alltables === true || existing[0].alltables === 't' ? 'all tables' : `${existing[0].n} tables`}); Ferry uses it`);
    }
    const tables = plan.sourceTables.map((t) => `${q(t.schema)}.${q(t.name)}`).join(', ') || '<tables>';
    const createIt = `as the tables' owner or a superuser: CREATE PUBLICATION ${q(name)} FOR TABLE ${tables};`;
    if (role.superuser) return check('source.publication', 'pass', title, `${this.config.user} is a superuser and may create the publication ${name}`);
    if (!role.createOnDatabase) {
      return check('source.publication', 'fail', title, `${this.config.user} lacks CREATE on the database ${this.config.database}, needed to create the publication ${name}`,
        `GRANT CREATE ON DATABASE ${q(this.config.database)} TO ${q(this.config.user)}; or ${createIt}`);
    }
    const notOwned = plan.sourceTables.filter((t) => !t.owned);
    if (notOwned.length > 0) {
      return check('source.publication', 'fail', title,
        `adding a table to a publication needs ownership; ${this.config.user} does not own ${notOwned.slice(0, 5).map((t) => `${t.schema}.${t.name}`).join(', ')}${notOwned.length > 5 ? ` and ${notOwned.length - 5} more` : ''}`,
        createIt);
    }
    return check('source.publication', 'pass', title, `${this.config.user} owns the tables and may create the publication ${name}`);
  }

  async targetChecks(plan: PrecheckPlan): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    const role = await this.role();
    const who = q(this.config.user);
    const db = this.config.database;
    if (!role.superuser && !role.createOnDatabase) {
      out.push(check('target.privileges', 'fail', 'Target privileges',
        `${this.config.user} lacks CREATE on the database ${db}: Ferry creates the target schemas and its ferry_meta schema`,
        `GRANT CREATE ON DATABASE ${q(db)} TO ${who};`));
    } else {
      const schemas = [...new Set(plan.targetTables.map((t) => t.schema))];
      const rows = schemas.length === 0 ? [] : await this.s.query(`SELECT nspname AS s, has_schema_privilege(oid, 'CREATE') AS c, has_schema_privilege(oid, 'USAGE') AS u
        FROM pg_namespace WHERE nspname IN (${schemas.map(quotePgLiteral).join(', ')})`);
      const blocked = rows.filter((r) => !(r.c === true || r.c === 't') || !(r.u === true || r.u === 't')).map((r) => String(r.s));
      out.push(blocked.length === 0
        ? check('target.privileges', 'pass', 'Target privileges', `${this.config.user} may create schemas in ${db}${schemas.length ? ` and tables in ${schemas.join(', ')}` : ''}`)
        : check('target.privileges', 'fail', 'Target privileges', `${this.config.user} may not create tables in the schema(s) ${blocked.join(', ')}`,
          blocked.map((s) => `GRANT USAGE, CREATE ON SCHEMA ${q(s)} TO ${who};`).join(' ')));
    }
    const [meta] = await this.s.query(`SELECT n.oid IS NOT NULL AS present, coalesce(has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE'), false) AS ok
      FROM (SELECT 1) x LEFT JOIN pg_namespace n ON n.nspname = 'ferry_meta'`);
    const metaPresent = meta.present === true || meta.present === 't';
    const metaOk = metaPresent ? meta.ok === true || meta.ok === 't' : role.superuser || role.createOnDatabase;
    out.push(metaOk
      ? check('target.meta_privileges', 'pass', 'Ferry state schema', `${this.config.user} may keep Ferry's state in the schema ferry_meta`)
      : check('target.meta_privileges', 'fail', 'Ferry state schema', `${this.config.user} may not use the schema ferry_meta, where Ferry keeps checkpoints and applied-transaction marks`,
        metaPresent ? `GRANT USAGE, CREATE ON SCHEMA ferry_meta TO ${who}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ferry_meta TO ${who};` : `GRANT CREATE ON DATABASE ${q(db)} TO ${who};`));
    return out;
  }

  async timeZone(): Promise<string> {
    // The session runs in UTC (sessions.ts); reset_val is what applications get by default.
    const [r] = await this.s.query("SELECT reset_val AS tz FROM pg_settings WHERE name = 'TimeZone'");
    return String(r.tz);
  }

  async freeSpace(): Promise<FreeSpace> {
    if (!isLoopback(this.config.host)) return { reason: `the server is remote (${this.config.host}); PostgreSQL has no portable SQL query for free disk space` };
    let dir: string;
    try {
      const [r] = await this.s.query("SELECT current_setting('data_directory') AS d");
      dir = String(r.d);
    } catch {
      return { reason: 'the data directory is only visible to superusers and members of pg_read_all_settings' };
    }
    try {
      const st = await statfs(dir);
      return { bytes: Number(st.bavail) * Number(st.bsize) };
    } catch (err) {
      return { reason: `cannot read the data directory ${dir}: ${(err as Error).message}` };
    }
  }

  async maxPacket(): Promise<number | undefined> {
    return undefined;
  }

  async largestRow(tables: Table[], budgetRows: number): Promise<{ table: string; bytes: number } | undefined> {
    let best: { table: string; bytes: number } | undefined = { table: '', bytes: 0 };
    for (const t of tables) {
      if (t.columns.length === 0) continue;
      if (t.estimatedRows > budgetRows) return undefined;
      // The text form is what travels; octet_length of each column's text is the row's transfer size.
      const expr = t.columns.map((c) => `coalesce(octet_length(${q(c.name)}::text), 0)`).join(' + ');
      const [r] = await this.s.query(`SELECT max(${expr}) AS m FROM ${q(t.schema)}.${q(t.name)}`);
      const bytes = Number(r.m ?? 0);
      if (best && bytes > best.bytes) best = { table: `${t.schema}.${t.name}`, bytes };
    }
    return best;
  }

  async existingTables(names: QualifiedName[]): Promise<{ name: QualifiedName; hasRows: boolean }[]> {
    const out: { name: QualifiedName; hasRows: boolean }[] = [];
    for (const n of names) {
      const [r] = await this.s.query(`SELECT to_regclass(${quotePgLiteral(`${q(n.schema)}.${q(n.name)}`)}) IS NOT NULL AS present`);
      if (!(r.present === true || r.present === 't')) continue;
      let hasRows = true;
      try {
        hasRows = (await this.s.query(`SELECT 1 AS x FROM ${q(n.schema)}.${q(n.name)} LIMIT 1`)).length > 0;
      } catch {
        // Unreadable counts as holding rows: the safe assumption before a load into it.
      }
      out.push({ name: n, hasRows });
    }
    return out;
  }

  async defaultCollation(): Promise<string | undefined> {
    return undefined;
  }

  async caseInsensitiveTableNames(): Promise<boolean> {
    return false;
  }

  /**
   * PostgreSQL's default collations are deterministic: groups that a case-insensitive, PAD SPACE MySQL
   * collation would merge are found with lower() and trailing spaces removed (accents are not folded).
   */
  async collidingGroups(table: QualifiedName, columns: string[], collation: string): Promise<number | undefined> {
    const ci = /_ci$|_ai_ci$|_general|_unicode|_0900_a/.test(collation) && !/_bin$|_cs$/.test(collation);
    const pad = !/nopad|_0900_/.test(collation);
    const expr = columns.map((c) => {
      let e = `${q(c)}::text`;
      if (ci) e = `lower(${e})`;
      if (pad) e = `rtrim(${e}, ' ')`;
      return e;
    }).join(', ');
    try {
      const [r] = await this.s.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${q(table.schema)}.${q(table.name)} GROUP BY ${expr} HAVING count(*) > 1) x`);
      return Number(r.n);
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.s.close();
  }
}
