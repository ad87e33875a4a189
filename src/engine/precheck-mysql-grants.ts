// Parses MySQL/MariaDB SHOW GRANTS lines into privilege sets per level and answers "may this user do X on Y".

export type GrantLevel =
  | { kind: 'global' }
  /** `db`.* — the name is a LIKE pattern (`_` and `%` are wildcards unless escaped with `\`). */
  | { kind: 'database'; pattern: string }
  | { kind: 'table'; database: string; table: string }
  /** Routine grants and anything else Ferry does not need. */
  | { kind: 'other' };

export interface Grant {
  level: GrantLevel;
  /** Upper-case privilege names; `ALL` for ALL PRIVILEGES. Column-level grants are not included. */
  privileges: Set<string>;
  grantOption: boolean;
}

export interface ParsedGrants {
  grants: Grant[];
  /** Roles granted to the account (`GRANT role TO user`), unquoted names. */
  roles: string[];
}

/** Equivalent names across versions: MariaDB 10.5 renamed REPLICATION CLIENT to BINLOG MONITOR. */
const ALIASES: Record<string, string> = {
  'REPLICATION CLIENT': 'BINLOG MONITOR',
  'REPLICATION SLAVE': 'REPLICATION SLAVE',
  'REPLICATION REPLICA': 'REPLICATION SLAVE',
  'SLAVE MONITOR': 'REPLICA MONITOR',
};

export function normalisePrivilege(p: string): string {
  const up = p.trim().toUpperCase().replace(/\s+/g, ' ');
  return ALIASES[up] ?? up;
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.startsWith('`') && t.endsWith('`')) return t.slice(1, -1).replace(/``/g, '`');
  if ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))) return t.slice(1, -1);
  return t;
}

/** Splits on commas outside parentheses and backticks. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, cur = '';
  for (const ch of s) {
    if (ch === '`') quote = !quote;
    if (!quote && ch === '(') depth++;
    if (!quote && ch === ')') depth--;
    if (!quote && depth === 0 && ch === ',') { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

/** Splits `db`.`table` / `db`.* / *.* at the dot outside backticks. */
function splitObject(obj: string): [string, string] | null {
  let quote = false;
  for (let i = 0; i < obj.length; i++) {
    if (obj[i] === '`') quote = !quote;
    if (!quote && obj[i] === '.') return [obj.slice(0, i), obj.slice(i + 1)];
  }
  return null;
}

export function parseGrantLine(line: string): { grant?: Grant; roles?: string[] } {
  const text = line.trim().replace(/;$/, '');
  const withOn = /^GRANT\s+([\s\S]+?)\s+ON\s+([\s\S]+?)\s+TO\s+[\s\S]*$/i.exec(text);
  if (withOn) {
    const privileges = new Set<string>();
    for (const item of splitTop(withOn[1])) {
      // `SELECT (col1, col2)` grants only some columns: not enough to read whole tables.
      if (/\(/.test(item)) continue;
      const p = normalisePrivilege(item);
      if (p === 'ALL PRIVILEGES' || p === 'ALL') privileges.add('ALL');
      else if (p !== 'USAGE') privileges.add(p);
    }
    let target = withOn[2].trim();
    let level: GrantLevel = { kind: 'other' };
    if (/^(PROCEDURE|FUNCTION|PACKAGE)\s/i.test(target)) level = { kind: 'other' };
    else {
      target = target.replace(/^TABLE\s+/i, '');
      const parts = splitObject(target);
      if (parts) {
        const [db, tbl] = parts;
        if (db === '*' && tbl === '*') level = { kind: 'global' };
        else if (tbl === '*') level = { kind: 'database', pattern: unquote(db) };
        else level = { kind: 'table', database: unquote(db), table: unquote(tbl) };
      }
    }
    return { grant: { level, privileges, grantOption: /WITH\s+GRANT\s+OPTION/i.test(text) } };
  }
  const roleGrant = /^GRANT\s+([\s\S]+?)\s+TO\s+[\s\S]*$/i.exec(text);
  if (roleGrant && !/\bPROXY\b/i.test(roleGrant[1])) {
    return { roles: splitTop(roleGrant[1]).map((r) => unquote(r.trim().replace(/@.*$/, ''))) };
  }
  return {};
}

export function parseGrants(lines: string[]): ParsedGrants {
  const grants: Grant[] = [];
  const roles: string[] = [];
  for (const line of lines) {
    const r = parseGrantLine(line);
    if (r.grant) grants.push(r.grant);
    if (r.roles) roles.push(...r.roles);
  }
  return { grants, roles };
}

/** MySQL's database-level grant patterns: `_` and `%` are wildcards, `\_` and `\%` literal. */
export function databasePatternMatches(pattern: string, database: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) { re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); continue; }
    if (ch === '%') re += '.*';
    else if (ch === '_') re += '.';
    else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 'su').test(database);
}

/** True when the grants allow `privilege` on the database (table = undefined) or on one table of it. */
export function hasPrivilege(grants: Grant[], privilege: string, database?: string, table?: string): boolean {
  const p = normalisePrivilege(privilege);
  return grants.some((g) => {
    const has = g.privileges.has(p) || g.privileges.has('ALL');
    if (!has) return false;
    if (g.level.kind === 'global') return true;
    if (database === undefined) return false;
    if (g.level.kind === 'database') return databasePatternMatches(g.level.pattern, database);
    if (g.level.kind === 'table') return table !== undefined && g.level.database === database && g.level.table === table;
    return false;
  });
}

/** Every privilege the grants give globally or on `database` (what "more than needed" looks at). */
export function broadPrivileges(grants: Grant[], database: string): Set<string> {
  const out = new Set<string>();
  for (const g of grants) {
    if (g.level.kind !== 'global' && !(g.level.kind === 'database' && databasePatternMatches(g.level.pattern, database))) continue;
    for (const p of g.privileges) out.add(p);
    if (g.grantOption) out.add('GRANT OPTION');
  }
  return out;
}
