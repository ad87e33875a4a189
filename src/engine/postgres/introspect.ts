// Reads a PostgreSQL database's schema from pg_catalog into the neutral model (one batched query per kind).
import type pg from 'pg';
import type {
  CheckConstraint, Column, ColumnType, DefaultValue, ForeignKey, Identity, Index, IndexPart, QualifiedName,
  ReferentialAction, Routine, Schema, Sequence, Table, Trigger, UserType, View,
} from '../model';
import { asFerryError } from '../errors';
import { quotePgIdent } from './connect';

export interface IntrospectPostgresOptions {
  /** Schemas to read; default every user schema (not pg_*, information_schema, ferry_meta). */
  schemas?: string[];
  /** Keeps only the relations (tables, views, sequences) for which it returns true. */
  filter?: (schema: string, name: string) => boolean;
}

/**
 * Reads every user schema (or opts.schemas) into the neutral model. Runs with search_path = '' so that
 * format_type, pg_get_expr, pg_get_viewdef … qualify every user object: the texts stay valid in any target
 * session, whatever its search_path.
 */
export async function introspectPostgres(client: pg.Client, opts: IntrospectPostgresOptions = {}): Promise<Schema> {
  try {
    // Inside the caller's transaction (e.g. an exported snapshot) read in it and leave it open; otherwise read in
    // one REPEATABLE READ transaction so that every catalog query sees the same schema.
    const state = await client.query<{ in_tx: boolean; path: string }>(
      "SELECT (now() <> statement_timestamp()) AS in_tx, current_setting('search_path') AS path");
    const inTransaction = state.rows[0].in_tx === true || String(state.rows[0].in_tx) === 'true';
    const searchPath = String(state.rows[0].path);
    if (!inTransaction) await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await client.query("SELECT pg_catalog.set_config('search_path', '', false)");
      return await readSchema(client, opts);
    } finally {
      await client.query('SELECT pg_catalog.set_config(\'search_path\', $1, false)', [searchPath]).catch(() => undefined);
      if (!inTransaction) await client.query('ROLLBACK').catch(() => undefined);
    }
  } catch (err) {
    throw asFerryError(err, 'reading the PostgreSQL schema');
  }
}

/** Runs a catalog query and returns its rows as parsed JSON: independent of the client's type parsers. */
async function rows<T>(client: pg.Client, sql: string, params: unknown[] = []): Promise<T[]> {
  const r = await client.query<{ j: string }>(`SELECT coalesce(json_agg(q), '[]')::text AS j FROM (${sql}) q`, params);
  return JSON.parse(String(r.rows[0].j)) as T[];
}

interface TypeRow {
  oid: number; schema: string; name: string; typtype: string; typelem: number; typbasetype: number;
  typtypmod: number; typcategory: string; typrelid: number; typarray: number; extension: boolean; relkind: string | null;
}

const ACTIONS: Record<string, ReferentialAction> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };
const MATCH: Record<string, 'SIMPLE' | 'FULL' | 'PARTIAL'> = { s: 'SIMPLE', f: 'FULL', p: 'PARTIAL' };

async function readSchema(client: pg.Client, opts: IntrospectPostgresOptions): Promise<Schema> {
  const settings = (await rows<{ name: string; setting: string }>(client,
    `SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('server_version','server_version_num','TimeZone','server_encoding','lc_collate','lc_ctype','standard_conforming_strings','max_identifier_length')`))
    .reduce<Record<string, string>>((acc, r) => { acc[r.name] = r.setting; return acc; }, {});
  const database = (await rows<{ d: string }>(client, 'SELECT pg_catalog.current_database() AS d'))[0].d;

  const allSchemas = (await rows<{ n: string }>(client,
    `SELECT nspname AS n FROM pg_catalog.pg_namespace
      WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'ferry_meta')
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = pg_namespace.oid AND d.deptype = 'e')
      ORDER BY nspname`)).map((r) => r.n);
  const namespaces = opts.schemas ? allSchemas.filter((s) => opts.schemas?.includes(s)) : allSchemas;
  const keep = (schema: string, name: string): boolean => opts.filter ? opts.filter(schema, name) : true;

  // ---- types: every type once, so column types resolve without per-column queries
  const typeRows = await rows<TypeRow>(client, `
    SELECT t.oid::int8 AS oid, n.nspname AS schema, t.typname AS name, t.typtype, t.typelem::int8 AS typelem,
           t.typbasetype::int8 AS typbasetype, t.typtypmod, t.typcategory, t.typrelid::int8 AS typrelid, t.typarray::int8 AS typarray,
           EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') AS extension,
           c.relkind::text AS relkind
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid`);
  const types = new Map<number, TypeRow>(typeRows.map((t) => [Number(t.oid), t]));
  const enumRows = await rows<{ typ: number; label: string }>(client,
    'SELECT enumtypid::int8 AS typ, enumlabel AS label FROM pg_catalog.pg_enum ORDER BY enumtypid, enumsortorder');
  const enumValues = new Map<number, string[]>();
  for (const e of enumRows) {
    const list = enumValues.get(Number(e.typ)) ?? [];
    list.push(e.label);
    enumValues.set(Number(e.typ), list);
  }
  const typeOf = (oid: number, typmod: number, native: string): ColumnType => columnType(types, enumValues, oid, typmod, native);

  // ---- relations
  interface RelRow {
    oid: number; schema: string; name: string; relkind: string; reltuples: number; bytes: string; comment: string | null;
    parent_schema: string | null; parent_name: string | null; bound: string | null; partkey: string | null; partstrat: string | null;
    reloptions: string[] | null; is_partition: boolean;
  }
  const rels = (await rows<RelRow>(client, `
    SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
           (CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(greatest(pc2.reltuples, 0)), 0) FROM pg_catalog.pg_partition_tree(c.oid) pt
                   JOIN pg_catalog.pg_class pc2 ON pc2.oid = pt.relid WHERE pt.isleaf)
                 ELSE greatest(c.reltuples, 0) END)::float8 AS reltuples,
           (CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(pg_catalog.pg_total_relation_size(pt.relid)), 0) FROM pg_catalog.pg_partition_tree(c.oid) pt WHERE pt.isleaf)
                 ELSE pg_catalog.pg_total_relation_size(c.oid) END)::text AS bytes,
           pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
           pn.nspname AS parent_schema, pc.relname AS parent_name,
           CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS bound,
           CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
           c.reloptions, c.relispartition AS is_partition
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
      LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
      LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     ORDER BY n.nspname, c.relname`, [namespaces]));
  const relByOid = new Map<number, RelRow>(rels.map((r) => [Number(r.oid), r]));
  // A partition goes with its parent: kept when the root is kept.
  const rootOf = (r: RelRow): RelRow => {
    let cur = r;
    while (cur.parent_schema && cur.parent_name) {
      const parent = rels.find((p) => p.schema === cur.parent_schema && p.name === cur.parent_name);
      if (!parent) break;
      cur = parent;
    }
    return cur;
  };
  const kept = rels.filter((r) => { const root = rootOf(r); return keep(root.schema, root.name); });
  const tableOids = kept.filter((r) => r.relkind === 'r' || r.relkind === 'p').map((r) => Number(r.oid));
  const viewOids = kept.filter((r) => r.relkind === 'v' || r.relkind === 'm').map((r) => Number(r.oid));
  const relOids = [...tableOids, ...viewOids];

  // ---- columns of tables and views
  interface ColRow {
    rel: number; num: number; name: string; typ: number; typmod: number; native: string; notnull: boolean;
    def: string | null; identity: string; generated: string; comment: string | null; collation: string | null;
    collation_schema: string | null; default_collation: boolean; inherited: boolean;
  }
  const colRows = await rows<ColRow>(client, `
    SELECT a.attrelid::int8 AS rel, a.attnum AS num, a.attname AS name, a.atttypid::int8 AS typ, a.atttypmod AS typmod,
           pg_catalog.format_type(a.atttypid, a.atttypmod) AS native, a.attnotnull AS notnull,
           pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS def, a.attidentity::text AS identity, a.attgenerated::text AS generated,
           pg_catalog.col_description(a.attrelid, a.attnum) AS comment,
           co.collname AS collation, cn.nspname AS collation_schema,
           (a.attcollation = t.typcollation) AS default_collation, (a.attinhcount > 0) AS inherited
      FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
      LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
     WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum`, [relOids]);

  // ---- sequences: next value from the sequence relation itself (last_value + is_called are exact there)
  interface SeqRow {
    oid: number; schema: string; name: string; data_type: string; start: string; increment: string; min: string; max: string;
    cycle: boolean; owner_schema: string | null; owner_table: string | null; owner_column: string | null; deptype: string | null;
  }
  const seqRows = await rows<SeqRow>(client, `
    SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, pg_catalog.format_type(s.seqtypid, NULL) AS data_type,
           s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max, s.seqcycle AS cycle,
           tn.nspname AS owner_schema, tc.relname AS owner_table, ta.attname AS owner_column, d.deptype::text AS deptype
      FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
      LEFT JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
      LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
      LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
     WHERE n.nspname = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
     ORDER BY n.nspname, c.relname`, [namespaces]);
  const nextValues = await readSequenceNextValues(client, seqRows);
  const seqNext = (oid: number): string => nextValues.get(oid) ?? '1';

  // ---- constraints
  interface ConRow {
    rel: number; name: string; contype: string; cols: number[] | null; fcols: number[] | null; frel: number | null;
    fschema: string | null; ftable: string | null; upd: string; del: string; match: string; deferrable: boolean;
    deferred: boolean; def: string; indexrel: number | null; inherited: boolean; validated: boolean;
  }
  const conRows = await rows<ConRow>(client, `
    SELECT co.conrelid::int8 AS rel, co.conname AS name, co.contype::text AS contype, co.conkey AS cols, co.confkey AS fcols,
           co.confrelid::int8 AS frel, fn.nspname AS fschema, fc.relname AS ftable,
           co.confupdtype::text AS upd, co.confdeltype::text AS del, co.confmatchtype::text AS match,
           co.condeferrable AS deferrable, co.condeferred AS deferred, pg_catalog.pg_get_constraintdef(co.oid, true) AS def,
           co.conindid::int8 AS indexrel, (co.conparentid <> 0 OR NOT co.conislocal) AS inherited, co.convalidated AS validated
      FROM pg_catalog.pg_constraint co
      LEFT JOIN pg_catalog.pg_class fc ON fc.oid = co.confrelid
      LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
     WHERE co.conrelid = ANY($1::oid[]) AND co.contype IN ('p', 'u', 'f', 'c')
     ORDER BY co.conrelid, co.conname`, [tableOids]);

  // ---- indexes (children of partitioned indexes are skipped: the parent's index creates them)
  interface IdxRow {
    rel: number; oid: number; name: string; unique: boolean; primary: boolean; method: string; nkey: number;
    keys: number[]; options: number[]; classes: string[]; defaults: boolean[]; exprs: string[]; pred: string | null;
    def: string; comment: string | null; constraint_type: string | null;
  }
  const idxRows = await rows<IdxRow>(client, `
    SELECT i.indrelid::int8 AS rel, i.indexrelid::int8 AS oid, ic.relname AS name, i.indisunique AS unique, i.indisprimary AS primary,
           am.amname AS method, i.indnkeyatts AS nkey,
           (SELECT array_agg(k ORDER BY o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS u(k, o)) AS keys,
           (SELECT array_agg(k ORDER BY o) FROM unnest(i.indoption::int2[]) WITH ORDINALITY AS u(k, o)) AS options,
           (SELECT array_agg(CASE WHEN oc.opcnamespace = 'pg_catalog'::regnamespace THEN oc.opcname ELSE pg_catalog.quote_ident(ocn.nspname) || '.' || pg_catalog.quote_ident(oc.opcname) END ORDER BY o)
              FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS u(c, o) JOIN pg_catalog.pg_opclass oc ON oc.oid = u.c
              JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace) AS classes,
           (SELECT array_agg(oc.opcdefault ORDER BY o) FROM unnest(i.indclass::oid[]) WITH ORDINALITY AS u(c, o)
              JOIN pg_catalog.pg_opclass oc ON oc.oid = u.c) AS defaults,
           (SELECT array_agg(pg_catalog.pg_get_indexdef(i.indexrelid, n, true) ORDER BY n) FROM generate_series(1, i.indnatts) AS n) AS exprs,
           pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) AS pred, pg_catalog.pg_get_indexdef(i.indexrelid) AS def,
           pg_catalog.obj_description(i.indexrelid, 'pg_class') AS comment,
           (SELECT co.contype::text FROM pg_catalog.pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p','u','x') LIMIT 1) AS constraint_type
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_catalog.pg_am am ON am.oid = ic.relam
     WHERE i.indrelid = ANY($1::oid[])
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
     ORDER BY i.indrelid, ic.relname`, [tableOids]);

  // ---- views
  interface ViewRow { oid: number; def: string; check_option: string | null }
  const viewRows = await rows<ViewRow>(client, `
    SELECT c.oid::int8 AS oid, pg_catalog.pg_get_viewdef(c.oid, true) AS def,
           (SELECT substring(o FROM 'check_option=(.*)') FROM unnest(c.reloptions) o WHERE o LIKE 'check_option=%') AS check_option
      FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::oid[])`, [viewOids]);

  // ---- triggers (clones on partitions come from the parent's trigger)
  interface TrigRow { rel: number; name: string; tgtype: number; def: string }
  const trigRows = await rows<TrigRow>(client, `
    SELECT t.tgrelid::int8 AS rel, t.tgname AS name, t.tgtype::int AS tgtype, pg_catalog.pg_get_triggerdef(t.oid) AS def
      FROM pg_catalog.pg_trigger t
     WHERE t.tgrelid = ANY($1::oid[]) AND NOT t.tgisinternal AND t.tgparentid = 0
     ORDER BY t.tgrelid, t.tgname`, [relOids]);
  // Rewrite rules (CREATE RULE) are event-driven like triggers and have no other place in the model: they are
  // carried as Trigger entries with timing 'RULE' and their pg_get_ruledef text (views' own _RETURN rules excluded).
  interface RuleRow { rel: number; name: string; event: string; instead: boolean; def: string }
  const ruleRows = await rows<RuleRow>(client, `
    SELECT r.ev_class::int8 AS rel, r.rulename AS name, r.ev_type::text AS event, r.is_instead AS instead, pg_catalog.pg_get_ruledef(r.oid) AS def
      FROM pg_catalog.pg_rewrite r
     WHERE r.ev_class = ANY($1::oid[]) AND r.rulename <> '_RETURN'
     ORDER BY r.ev_class, r.rulename`, [relOids]);

  // ---- routines (aggregates have no pg_get_functiondef: built from pg_aggregate)
  interface ProcRow {
    schema: string; name: string; prokind: string; language: string; def: string | null; args: string;
    sfunc: string | null; stype: string | null; finalfunc: string | null; combinefunc: string | null; initcond: string | null;
    sortop: string | null;
  }
  const procRows = await rows<ProcRow>(client, `
    SELECT n.nspname AS schema, p.proname AS name, p.prokind::text AS prokind, l.lanname AS language,
           CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_catalog.pg_get_functiondef(p.oid) END AS def,
           pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
           a.aggtransfn::regproc::text AS sfunc, pg_catalog.format_type(a.aggtranstype, NULL) AS stype,
           NULLIF(a.aggfinalfn::regproc::text, '-') AS finalfunc, NULLIF(a.aggcombinefn::regproc::text, '-') AS combinefunc,
           a.agginitval AS initcond, NULLIF(a.aggsortop, 0)::regoperator::text AS sortop
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
      LEFT JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
     WHERE n.nspname = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     ORDER BY n.nspname, p.proname, p.oid`, [namespaces]);

  // ---- domains: constraints
  interface DomConRow { typ: number; name: string; def: string }
  const domConRows = await rows<DomConRow>(client, `
    SELECT co.contypid::int8 AS typ, co.conname AS name, pg_catalog.pg_get_constraintdef(co.oid, true) AS def
      FROM pg_catalog.pg_constraint co WHERE co.contypid <> 0 AND co.contype = 'c' ORDER BY co.contypid, co.conname`);
  interface DomRow { oid: number; base_native: string; notnull: boolean; def: string | null }
  const domRows = await rows<DomRow>(client, `
    SELECT t.oid::int8 AS oid, pg_catalog.format_type(t.typbasetype, t.typtypmod) AS base_native, t.typnotnull AS notnull, t.typdefault AS def
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE t.typtype = 'd' AND n.nspname = ANY($1::text[])`, [namespaces]);
  interface CompRow { oid: number; attrs: string | null; range_sub: string | null }
  const compRows = await rows<CompRow>(client, `
    SELECT t.oid::int8 AS oid,
           (SELECT string_agg(pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
              FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attrs,
           (SELECT pg_catalog.format_type(r.rngsubtype, NULL) FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) AS range_sub
      FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     WHERE t.typtype IN ('c', 'r') AND n.nspname = ANY($1::text[])`, [namespaces]);

  // ================= assemble
  const colsByRel = groupBy(colRows, (c) => Number(c.rel));
  const consByRel = groupBy(conRows, (c) => Number(c.rel));
  const idxByRel = groupBy(idxRows, (i) => Number(i.rel));
  const seqByOwner = new Map<string, SeqRow>();
  for (const s of seqRows) {
    if (s.owner_schema && s.owner_table && s.owner_column) seqByOwner.set(`${s.owner_schema}\u0000${s.owner_table}\u0000${s.owner_column}`, s);
  }

  const seqByRegclass = new Map(seqRows.map((sq) => [qualifiedRegclassText(sq.schema, sq.name), sq] as const));
  const tables: Table[] = [];
  for (const oid of tableOids) {
    const rel = relByOid.get(oid) as RelRow;
    const attnames = new Map<number, string>();
    const columns: Column[] = [];
    for (const c of colsByRel.get(oid) ?? []) {
      attnames.set(c.num, c.name);
      columns.push(buildColumn(c, rel, typeOf, seqByOwner, seqNext, seqByRegclass));
    }
    const colName = (n: number): string => attnames.get(n) ?? `#${n}`;
    const cons = consByRel.get(oid) ?? [];
    const pk = cons.find((c) => c.contype === 'p');
    const foreignKeys: ForeignKey[] = cons.filter((c) => c.contype === 'f' && !c.inherited).map((c) => ({
      name: c.name,
      columns: (c.cols ?? []).map(colName),
      references: { schema: c.fschema ?? '', name: c.ftable ?? '' },
      referencedColumns: (c.fcols ?? []).map((n) => attributeName(colRows, Number(c.frel), n)),
      onUpdate: ACTIONS[c.upd] ?? 'NO ACTION',
      onDelete: ACTIONS[c.del] ?? 'NO ACTION',
      match: MATCH[c.match] ?? 'SIMPLE',
      deferrable: c.deferrable,
      initiallyDeferred: c.deferred,
    }));
    const checks: CheckConstraint[] = cons.filter((c) => c.contype === 'c' && !c.inherited)
      .map((c) => ({ name: c.name, expression: stripCheck(c.def) }));
    const indexes: Index[] = [];
    for (const i of idxByRel.get(oid) ?? []) {
      if (i.primary) continue;
      indexes.push(buildIndex(i, colName));
    }
    const table: Table = {
      schema: rel.schema,
      name: rel.name,
      columns,
      primaryKey: pk ? (pk.cols ?? []).map(colName) : [],
      primaryKeyName: pk?.name,
      indexes,
      foreignKeys,
      checks,
      comment: rel.comment ?? undefined,
      estimatedRows: Math.round(Number(rel.reltuples)),
      estimatedBytes: Number(rel.bytes),
    };
    const collation = settings.lc_collate;
    if (collation) table.collation = collation;
    if (rel.relkind === 'p' && rel.partkey) {
      const m = /^(RANGE|LIST|HASH)\s*\((.*)\)$/is.exec(rel.partkey);
      const method = (m?.[1].toLowerCase() ?? 'range') as 'range' | 'list' | 'hash';
      const key = m?.[2] ?? rel.partkey;
      const children = kept.filter((r) => r.parent_schema === rel.schema && r.parent_name === rel.name);
      table.partitioning = {
        method, key,
        columns: columns.filter((c) => new RegExp(`(^|[^\\w"])("?)${escapeRegExp(c.name)}\\2([^\\w"]|$)`).test(key)).map((c) => c.name),
        partitions: children.map((ch) => ({ name: ch.name, bound: ch.bound ?? '', table: { schema: ch.schema, name: ch.name } })),
      };
    }
    if (rel.is_partition && rel.parent_schema && rel.parent_name) {
      table.partitionOf = { schema: rel.parent_schema, name: rel.parent_name };
    }
    tables.push(table);
  }

  const viewDefs = new Map<number, ViewRow>(viewRows.map((v) => [Number(v.oid), v]));
  const views: View[] = viewOids.map((oid) => {
    const rel = relByOid.get(oid) as RelRow;
    const v = viewDefs.get(oid);
    const query = (v?.def ?? '').trim().replace(/;\s*$/, '');
    const view: View = {
      schema: rel.schema, name: rel.name, query,
      columns: (colsByRel.get(oid) ?? []).map((c) => c.name),
      materialized: rel.relkind === 'm',
      definition: `CREATE ${rel.relkind === 'm' ? 'MATERIALIZED ' : ''}VIEW ${quotePgIdent(rel.schema)}.${quotePgIdent(rel.name)} AS\n${query}`,
    };
    if (v?.check_option) view.checkOption = v.check_option.toUpperCase();
    return view;
  });

  const sequences: Sequence[] = [];
  for (const s of seqRows) {
    if (s.deptype === 'i') continue; // identity sequences are part of their column (Column.identity)
    const owner = s.owner_schema && s.owner_table ? { schema: s.owner_schema, name: s.owner_table } : undefined;
    const ownerKept = owner ? tables.some((t) => t.schema === owner.schema && t.name === owner.name) : false;
    const ownerExists = owner ? rels.some((r) => r.schema === owner.schema && r.name === owner.name) : false;
    // An owned sequence travels with its table; a free-standing one is kept by the filter.
    if (ownerExists ? !ownerKept : !keep(s.schema, s.name)) continue;
    const seq: Sequence = {
      schema: s.schema, name: s.name, dataType: s.data_type, start: s.start, increment: s.increment,
      min: s.min, max: s.max, cycle: s.cycle, next: seqNext(Number(s.oid)),
    };
    if (s.owner_schema && s.owner_table && s.owner_column) {
      seq.ownedBy = { table: { schema: s.owner_schema, name: s.owner_table }, column: s.owner_column };
    }
    sequences.push(seq);
  }

  const domains = new Map<number, DomRow>(domRows.map((d) => [Number(d.oid), d]));
  const comps = new Map<number, CompRow>(compRows.map((c) => [Number(c.oid), c]));
  const domCons = groupBy(domConRows, (d) => Number(d.typ));
  const userTypes: UserType[] = [];
  for (const t of typeRows) {
    if (!namespaces.includes(t.schema) || t.extension) continue;
    const oid = Number(t.oid);
    const q = `${quotePgIdent(t.schema)}.${quotePgIdent(t.name)}`;
    if (t.typtype === 'e') {
      userTypes.push({ kind: 'enum', schema: t.schema, name: t.name, values: enumValues.get(oid) ?? [] });
    } else if (t.typtype === 'd') {
      const d = domains.get(oid);
      if (!d) continue;
      const base = typeOf(Number(t.typbasetype), t.typtypmod, d.base_native);
      const dom: UserType = {
        kind: 'domain', schema: t.schema, name: t.name, base, baseNative: d.base_native, nullable: !d.notnull,
        checks: (domCons.get(oid) ?? []).map((c) => ({ name: c.name, expression: stripCheck(c.def) })),
      };
      if (d.def !== null) dom.default = parseDefault(d.def);
      userTypes.push(dom);
    } else if (t.typtype === 'c' && t.relkind === 'c') {
      const c = comps.get(oid);
      userTypes.push({ kind: 'composite', schema: t.schema, name: t.name, definition: `CREATE TYPE ${q} AS (${c?.attrs ?? ''})` });
    } else if (t.typtype === 'r') {
      const c = comps.get(oid);
      userTypes.push({ kind: 'range', schema: t.schema, name: t.name, definition: `CREATE TYPE ${q} AS RANGE (SUBTYPE = ${c?.range_sub ?? 'text'})` });
    }
  }

  const routines: Routine[] = procRows.map((p) => {
    const kind: Routine['kind'] = p.prokind === 'a' ? 'aggregate' : p.prokind === 'p' ? 'procedure' : 'function';
    let definition = (p.def ?? '').trim();
    if (p.prokind === 'a') {
      const parts = [`SFUNC = ${p.sfunc}`, `STYPE = ${p.stype}`];
      if (p.finalfunc) parts.push(`FINALFUNC = ${p.finalfunc}`);
      if (p.combinefunc) parts.push(`COMBINEFUNC = ${p.combinefunc}`);
      if (p.initcond !== null) parts.push(`INITCOND = ${quoteLiteral(p.initcond)}`);
      if (p.sortop) parts.push(`SORTOP = ${p.sortop.replace(/\(.*$/, '')}`);
      definition = `CREATE AGGREGATE ${quotePgIdent(p.schema)}.${quotePgIdent(p.name)}(${p.args}) (\n    ${parts.join(',\n    ')}\n)`;
    }
    return { schema: p.schema, name: p.name, kind, definition, language: p.language };
  });

  const triggers: Trigger[] = trigRows.map((t) => {
    const rel = relByOid.get(Number(t.rel)) as RelRow;
    return {
      schema: rel.schema, name: t.name, table: { schema: rel.schema, name: rel.name },
      timing: triggerTiming(t.tgtype), events: triggerEvents(t.tgtype), definition: t.def,
    };
  });
  const RULE_EVENTS: Record<string, string> = { '1': 'SELECT', '2': 'UPDATE', '3': 'INSERT', '4': 'DELETE' };
  for (const r of ruleRows) {
    const rel = relByOid.get(Number(r.rel)) as RelRow;
    triggers.push({
      schema: rel.schema, name: r.name, table: { schema: rel.schema, name: rel.name },
      timing: 'RULE', events: [RULE_EVENTS[r.event] ?? r.event], definition: r.def.trim().replace(/;\s*$/, ''),
    });
  }
  triggers.sort((a, b) => cmp(a.table.schema, b.table.schema) || cmp(a.table.name, b.table.name) || cmp(a.name, b.name));

  return {
    engine: 'postgres',
    serverVersion: settings.server_version ?? '',
    database,
    namespaces,
    tables,
    views,
    sequences,
    types: userTypes,
    routines,
    triggers,
    settings,
  };
}

/** Exact next values: `last_value` + `is_called` from each sequence relation, in one UNION ALL query. */
async function readSequenceNextValues(client: pg.Client, seqs: { oid: number; schema: string; name: string; increment: string; start: string }[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (seqs.length === 0) return out;
  const batch = 200;
  for (let i = 0; i < seqs.length; i += batch) {
    const part = seqs.slice(i, i + batch);
    const sql = part.map((s) => `SELECT ${Number(s.oid)}::int8 AS oid, last_value::text AS last, is_called FROM ${quotePgIdent(s.schema)}.${quotePgIdent(s.name)}`).join(' UNION ALL ');
    let result: { oid: number; last: string | null; is_called: boolean }[];
    await client.query('SAVEPOINT ferry_seq');
    try {
      result = await rows(client, sql);
      await client.query('RELEASE SAVEPOINT ferry_seq');
    } catch {
      // No SELECT privilege on some sequence: pg_sequences needs only USAGE (its NULL last_value = not yet called;
      // a setval(…, false) there is indistinguishable, the start value is the best that can be read).
      await client.query('ROLLBACK TO SAVEPOINT ferry_seq');
      result = await rows(client, `SELECT c.oid::int8 AS oid, s.last_value::text AS last, (s.last_value IS NOT NULL) AS is_called
        FROM pg_catalog.pg_sequences s JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
        JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename WHERE c.oid = ANY($1::oid[])`,
      [part.map((p) => Number(p.oid))]);
    }
    for (const r of result) {
      const s = part.find((p) => Number(p.oid) === Number(r.oid));
      if (!s) continue;
      if (r.last === null) out.set(Number(r.oid), s.start);
      else out.set(Number(r.oid), r.is_called ? (BigInt(r.last) + BigInt(s.increment)).toString() : r.last);
    }
  }
  return out;
}

function buildColumn(c: {
  name: string; typ: number; typmod: number; native: string; notnull: boolean; def: string | null; identity: string;
  generated: string; comment: string | null; collation: string | null; collation_schema: string | null; default_collation: boolean;
}, rel: { schema: string; name: string }, typeOf: (oid: number, typmod: number, native: string) => ColumnType,
seqByOwner: Map<string, { oid: number; schema: string; name: string; increment: string }>, seqNext: (oid: number) => string,
seqByRegclass: Map<string, { oid: number; schema: string; name: string; increment: string }>): Column {
  const col: Column = { name: c.name, type: typeOf(Number(c.typ), c.typmod, c.native), native: c.native, nullable: !c.notnull };
  const owned = seqByOwner.get(`${rel.schema}\u0000${rel.name}\u0000${c.name}`);
  if (c.identity === 'a' || c.identity === 'd') {
    const identity: Identity = { kind: c.identity === 'a' ? 'always' : 'by_default', next: owned ? seqNext(Number(owned.oid)) : '1' };
    if (owned) { identity.sequence = { schema: owned.schema, name: owned.name }; identity.increment = owned.increment; }
    col.identity = identity;
  } else if (c.generated === 's' && c.def !== null) {
    col.generated = { expression: c.def, stored: true };
  } else if (c.def !== null) {
    // serial: a default of nextval() on a sequence, owned by the column or not (pg_dump'ed schemas often lose OWNED BY)
    const m = /^nextval\('((?:[^']|'')+)'::regclass\)$/.exec(c.def);
    const seq = m ? seqByRegclass.get(m[1].replace(/''/g, "'")) : undefined;
    if (seq) {
      col.identity = { kind: 'serial', next: seqNext(Number(seq.oid)), sequence: { schema: seq.schema, name: seq.name }, increment: seq.increment };
    }
    col.default = parseDefault(c.def);
  }
  if (c.comment !== null) col.comment = c.comment;
  if (c.collation && !c.default_collation) {
    col.collation = c.collation_schema && c.collation_schema !== 'pg_catalog' ? `${quotePgIdent(c.collation_schema)}.${quotePgIdent(c.collation)}` : c.collation;
  }
  return col;
}

/** How regclass::text prints a sequence name under search_path = '' (quote_ident on each part). */
function qualifiedRegclassText(schema: string, name: string): string {
  const qi = (s: string): string => /^[a-z_][a-z0-9_$]*$/.test(s) ? s : quotePgIdent(s);
  return `${qi(schema)}.${qi(name)}`;
}

function parseDefault(def: string): DefaultValue {
  const d = def.trim();
  if (/^(now\(\)|CURRENT_TIMESTAMP|transaction_timestamp\(\)|LOCALTIMESTAMP)$/i.test(d)) return { kind: 'current_timestamp' };
  const precise = /^(?:CURRENT_TIMESTAMP|LOCALTIMESTAMP)\((\d)\)$/i.exec(d);
  if (precise) return { kind: 'current_timestamp', precision: Number(precise[1]) };
  // A literal: a number, a string with an optional cast, NULL, true/false.
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(d) || /^\(-?\d+(\.\d+)?\)$/.test(d) || /^(true|false|NULL)$/i.test(d)
    || /^'(?:[^']|'')*'(::[\w .,()"[\]]+)?$/.test(d)) return { kind: 'literal', sql: d };
  return { kind: 'expression', sql: d };
}

function buildIndex(i: {
  name: string; unique: boolean; primary: boolean; method: string; nkey: number; keys: number[]; options: number[];
  classes: string[]; defaults: boolean[]; exprs: string[]; pred: string | null; def: string; comment: string | null; constraint_type: string | null;
}, colName: (n: number) => string): Index {
  const parts: IndexPart[] = [];
  const include: string[] = [];
  const total = i.keys?.length ?? 0;
  for (let k = 0; k < total; k++) {
    const attnum = Number(i.keys[k]);
    if (k >= i.nkey) { include.push(colName(attnum)); continue; }
    const part: IndexPart = attnum === 0 ? { expression: i.exprs[k] } : { column: colName(attnum) };
    const opt = Number(i.options?.[k] ?? 0);
    // indoption: bit 0 DESC, bit 1 NULLS FIRST
    if (opt & 1) part.descending = true;
    if (Boolean(opt & 2) !== Boolean(opt & 1)) part.nulls = opt & 2 ? 'first' : 'last';
    if (i.classes?.[k] && i.defaults?.[k] === false) part.opclass = i.classes[k];
    parts.push(part);
  }
  const idx: Index = { name: i.name, unique: i.unique, primary: i.primary, method: i.method, parts, definition: i.def };
  if (i.pred) idx.where = i.pred;
  if (include.length > 0) idx.include = include;
  if (i.comment) idx.comment = i.comment;
  return idx;
}

function attributeName(cols: { rel: number; num: number; name: string }[], rel: number, num: number): string {
  return cols.find((c) => Number(c.rel) === rel && c.num === num)?.name ?? `#${num}`;
}

function stripCheck(def: string): string {
  const m = /^CHECK\s*\(([\s\S]*)\)(\s+NOT VALID)?(\s+NO INHERIT)?$/i.exec(def.trim());
  return m ? m[1].trim() : def;
}

// tgtype bits: 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE, 64 INSTEAD
function triggerTiming(t: number): string {
  return t & 64 ? 'INSTEAD OF' : t & 2 ? 'BEFORE' : 'AFTER';
}
function triggerEvents(t: number): string[] {
  const e: string[] = [];
  if (t & 4) e.push('INSERT');
  if (t & 16) e.push('UPDATE');
  if (t & 8) e.push('DELETE');
  if (t & 32) e.push('TRUNCATE');
  return e;
}

/** Maps a PostgreSQL type (by oid + typmod) to the neutral ColumnType. */
function columnType(types: Map<number, TypeRow>, enums: Map<number, string[]>, oid: number, typmod: number, native: string): ColumnType {
  const t = types.get(oid);
  if (!t) return { kind: 'other', native };
  if (t.typtype === 'd') {
    return { kind: 'domain', type: { schema: t.schema, name: t.name }, base: columnType(types, enums, Number(t.typbasetype), t.typtypmod, native) };
  }
  if (t.typtype === 'e') return { kind: 'enum', values: enums.get(oid) ?? [], type: { schema: t.schema, name: t.name } };
  if (t.typcategory === 'A' && Number(t.typelem) !== 0) {
    const dims = Math.max(1, (native.match(/\[\]/g) ?? []).length);
    return { kind: 'array', element: columnType(types, enums, Number(t.typelem), typmod, native.replace(/(\[\])+$/, '')), dims };
  }
  if (t.schema !== 'pg_catalog') return { kind: 'other', native };
  const mod = typmod >= 0 ? typmod : undefined;
  switch (t.name) {
    case 'int2': return { kind: 'int', bytes: 2, unsigned: false };
    case 'int4': return { kind: 'int', bytes: 4, unsigned: false };
    case 'int8': return { kind: 'int', bytes: 8, unsigned: false };
    case 'numeric':
      return mod === undefined ? { kind: 'decimal' } : { kind: 'decimal', precision: ((mod - 4) >> 16) & 0xffff, scale: numericScale(mod) };
    case 'float4': return { kind: 'float', bytes: 4 };
    case 'float8': return { kind: 'float', bytes: 8 };
    case 'bool': return { kind: 'bool' };
    case 'bit': return { kind: 'bit', length: mod ?? 1, varying: false };
    case 'varbit': return mod === undefined ? { kind: 'bit', length: 0, varying: true } : { kind: 'bit', length: mod, varying: true };
    case 'bpchar': return { kind: 'char', length: mod === undefined ? undefined : mod - 4, varying: false };
    case 'varchar': return { kind: 'char', length: mod === undefined ? undefined : mod - 4, varying: true };
    case 'text': case 'name': case 'citext': return { kind: 'text' };
    case 'bytea': return { kind: 'binary', varying: true, blob: true };
    case 'date': return { kind: 'date' };
    case 'time': return { kind: 'time', tz: false, precision: mod };
    case 'timetz': return { kind: 'time', tz: true, precision: mod };
    case 'timestamp': return { kind: 'timestamp', tz: false, precision: mod };
    case 'timestamptz': return { kind: 'timestamp', tz: true, precision: mod };
    case 'interval': {
      const m = /^interval\s+([a-z ]+?)(\(\d+\))?$/i.exec(native);
      const precision = mod !== undefined && (mod & 0xffff) !== 0xffff ? mod & 0xffff : undefined;
      const out: ColumnType = { kind: 'interval' };
      if (m) out.fields = m[1].trim().toUpperCase();
      if (precision !== undefined) out.precision = precision;
      return out;
    }
    case 'json': return { kind: 'json', binary: false };
    case 'jsonb': return { kind: 'json', binary: true };
    case 'uuid': return { kind: 'uuid' };
    case 'inet': return { kind: 'inet' };
    case 'cidr': return { kind: 'cidr' };
    case 'macaddr': return { kind: 'macaddr', bytes: 6 };
    case 'macaddr8': return { kind: 'macaddr', bytes: 8 };
    case 'money': return { kind: 'money' };
    case 'tsvector': return { kind: 'tsvector' };
    case 'xml': return { kind: 'xml' };
    case 'point': case 'line': case 'lseg': case 'box': case 'path': case 'polygon': case 'circle':
      return { kind: 'spatial', subtype: t.name };
    default: return { kind: 'other', native };
  }
}

function numericScale(mod: number): number {
  // The scale is an 11-bit signed field since PostgreSQL 15 (negative scales are allowed).
  const raw = (mod - 4) & 0x7ff;
  return raw & 0x400 ? raw - 0x800 : raw;
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = m.get(k);
    if (list) list.push(item); else m.set(k, [item]);
  }
  return m;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

export type { QualifiedName };
