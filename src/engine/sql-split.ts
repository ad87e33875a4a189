// Splits SQL text into statements at top-level semicolons (quotes, dollar quotes and comments respected).
import type { EngineKind } from './model';

/**
 * Splits a script into statements without trailing semicolons. Handles '…' (with '' escapes), "…", `…`
 * (MySQL), $tag$…$tag$ (PostgreSQL), -- and # (MySQL) line comments, block comments and MySQL's
 * DELIMITER directive. Empty statements are dropped.
 */
export function splitStatements(sql: string, engine: EngineKind): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  // MySQL: the client's `DELIMITER xx` directive (on a line of its own) lets routine and trigger bodies
  // contain semicolons, as in mysqldump output.
  let delimiter = ';';
  while (i < n) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (engine === 'mysql' && (i === 0 || sql[i - 1] === '\n') && /^[ \t]*DELIMITER[ \t]/i.test(sql.slice(i, i + 20))
      && sql.slice(start, i).trim() === '') {
      const end = sql.indexOf('\n', i);
      const line = sql.slice(i, end < 0 ? n : end);
      delimiter = line.trim().split(/\s+/)[1] ?? ';';
      i = end < 0 ? n : end + 1;
      start = i;
      continue;
    }
    if (delimiter !== ';' && sql.startsWith(delimiter, i)) {
      push(sql.slice(start, i));
      i += delimiter.length;
      start = i;
      continue;
    }
    if (ch === "'" || ch === '"' || (ch === '`' && engine === 'mysql')) {
      i = skipQuoted(sql, i, ch);
    } else if (ch === '-' && next === '-') {
      i = skipLine(sql, i);
    } else if (ch === '#' && engine === 'mysql') {
      i = skipLine(sql, i);
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (ch === '$' && engine === 'postgres') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
      } else {
        i++;
      }
    } else if (ch === ';' && delimiter === ';') {
      push(sql.slice(start, i));
      i++;
      start = i;
    } else {
      i++;
    }
  }
  push(sql.slice(start));
  return out;

  function push(text: string): void {
    const t = text.trim();
    if (t && stripComments(t, engine).trim()) out.push(t);
  }
}

function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return j;
}

function skipLine(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end < 0 ? sql.length : end + 1;
}

function stripComments(sql: string, engine: EngineKind): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(engine === 'mysql' ? /(--|#)[^\n]*/g : /--[^\n]*/g, '');
}

/**
 * Joins statements into a script that splitStatements reads back as the same statements: a MySQL statement
 * with semicolons of its own (a routine or trigger body) is wrapped in DELIMITER lines.
 */
export function joinStatements(statements: string[], engine: EngineKind): string {
  return statements.map((st) => {
    if (engine === 'mysql' && splitStatements(st, engine).length !== 1) return `DELIMITER $$\n${st}$$\nDELIMITER ;`;
    return `${st};`;
  }).join('\n\n');
}
