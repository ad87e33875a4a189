// Recognises statements in binlog QUERY events: transaction control, DDL, and the tables a DDL touches.
import type { QualifiedName } from '../model';

/** Strips leading comments (`/* … *\/`, `-- …`, `# …`) that clients and the server put before statements. */
function stripLeading(q: string): string {
  let s = q.trimStart();
  for (;;) {
    if (s.startsWith('/*') && !s.startsWith('/*!')) { const e = s.indexOf('*/'); if (e < 0) return s; s = s.slice(e + 2).trimStart(); continue; }
    if (s.startsWith('--') || s.startsWith('#')) { const e = s.indexOf('\n'); if (e < 0) return ''; s = s.slice(e + 1).trimStart(); continue; }
    return s;
  }
}

export function isTransactionControl(q: string): 'begin' | 'commit' | 'rollback' | undefined {
  const s = stripLeading(q).toUpperCase();
  if (s === 'BEGIN' || s.startsWith('XA START') || s === 'START TRANSACTION') return 'begin';
  if (s === 'COMMIT' || s.startsWith('XA COMMIT') || s.startsWith('XA END') || s.startsWith('XA PREPARE')) return s === 'COMMIT' || s.startsWith('XA COMMIT') ? 'commit' : undefined;
  if (s === 'ROLLBACK' || s.startsWith('XA ROLLBACK')) return 'rollback';
  if (s.startsWith('SAVEPOINT') || s.startsWith('ROLLBACK TO')) return undefined;
  return undefined;
}

export function isDdl(q: string): boolean {
  return /^(ALTER\s+(ONLINE\s+|IGNORE\s+)*TABLE|CREATE\s+(OR\s+REPLACE\s+)?(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX|DROP\s+INDEX|DROP\s+TABLE|RENAME\s+TABLE|TRUNCATE(\s+TABLE)?|CREATE\s+(OR\s+REPLACE\s+)?TABLE)\b/i.test(stripLeading(q))
    && !/^(CREATE|DROP)\s+TEMPORARY\b/i.test(stripLeading(q));
}

const IDENT = '(?:`(?:[^`]|``)+`|[A-Za-z0-9_$\\u0080-\\uffff]+)';
const QNAME = `(${IDENT})(?:\\s*\\.\\s*(${IDENT}))?`;
const unquote = (s: string) => (s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s);

function qname(a: string, b: string | undefined, schema: string): QualifiedName {
  return b === undefined ? { schema, name: unquote(a) } : { schema: unquote(a), name: unquote(b) };
}

/** The tables a DDL statement names (ALTER/CREATE/DROP/RENAME/TRUNCATE TABLE, CREATE/DROP INDEX … ON). */
export function ddlTables(q: string, schema: string): QualifiedName[] {
  const s = stripLeading(q);
  const out: QualifiedName[] = [];
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^ALTER\\s+(?:ONLINE\\s+|IGNORE\\s+)*TABLE\\s+(?:IF\\s+EXISTS\\s+)?${QNAME}`, 'i').exec(s))) {
    out.push(qname(m[1], m[2], schema));
    const rename = new RegExp(`\\bRENAME\\s+(?:TO\\s+|AS\\s+)?${QNAME}\\s*$`, 'i').exec(s);
    if (rename) out.push(qname(rename[1], rename[2], schema));
  } else if ((m = new RegExp(`^(?:CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX|DROP\\s+INDEX)\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?${IDENT}\\s+ON\\s+${QNAME}`, 'i').exec(s))) {
    out.push(qname(m[1], m[2], schema));
  } else if ((m = /^(?:TRUNCATE(?:\s+TABLE)?|CREATE\s+(?:OR\s+REPLACE\s+)?TABLE(?:\s+IF\s+NOT\s+EXISTS)?)\s+/i.exec(s))) {
    const n = new RegExp(`^${QNAME}`).exec(s.slice(m[0].length));
    if (n) out.push(qname(n[1], n[2], schema));
  } else if ((m = /^(?:DROP\s+TABLE(?:\s+IF\s+EXISTS)?|RENAME\s+TABLE)\s+/i.exec(s))) {
    const re = new RegExp(QNAME, 'g');
    const rest = s.slice(m[0].length).replace(/\/\*.*?\*\//g, '');
    let n: RegExpExecArray | null;
    while ((n = re.exec(rest))) {
      if (/^(TO|RESTRICT|CASCADE|WAIT|NOWAIT)$/i.test(n[1]) && n[2] === undefined) continue;
      if (/^\d+$/.test(n[1]) && n[2] === undefined) continue;
      out.push(qname(n[1], n[2], schema));
    }
  }
  return out;
}
