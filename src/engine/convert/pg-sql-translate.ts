// Translates PostgreSQL SQL as the catalog prints it (pg_get_viewdef, CHECK and DEFAULT expressions) into
// MySQL/MariaDB SQL, or says precisely why it cannot. Only constructs whose meaning is kept are rewritten.
import type { QualifiedName } from '../model';
import { quoteMysqlIdent } from '../mysql/connect';

export type TranslateResult = { ok: true; sql: string } | { ok: false; reason: string };

export interface TranslateEnv {
  /** PostgreSQL schemas whose `schema.name` references are relations to be mapped. */
  schemas: string[];
  /** Target name of a source relation (ctx.ids.table). */
  relation(q: QualifiedName): QualifiedName;
  /** Replaces the bare word VALUE (domain CHECK expressions) with this column. */
  valueColumn?: string;
}

type Tok =
  | { t: 'ident'; v: string; quoted: boolean }
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'op'; v: string }
  | { t: 'group'; items: Tok[] }
  | { t: 'raw'; v: string };

class Untranslatable extends Error {}

const KEYWORDS = new Set(['select', 'from', 'where', 'group', 'by', 'order', 'having', 'limit', 'offset', 'as', 'and', 'or', 'not',
  'case', 'when', 'then', 'else', 'end', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'on', 'using', 'in', 'is',
  'null', 'like', 'ilike', 'between', 'distinct', 'union', 'all', 'except', 'intersect', 'asc', 'desc', 'nulls', 'first', 'last',
  'true', 'false', 'exists', 'with', 'any', 'some', 'array', 'lateral', 'filter', 'over', 'partition', 'window', 'similar', 'escape',
  'interval', 'values', 'collate', 'for', 'separator', 'current_date', 'current_time', 'current_timestamp', 'localtime',
  'localtimestamp', 'current_user', 'session_user', 'unknown', 'only']);

/** Tokenises PostgreSQL SQL; parentheses become nested groups. */
function tokenize(sql: string): Tok[] {
  const stack: Tok[][] = [[]];
  const push = (tok: Tok) => stack[stack.length - 1].push(tok);
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '-' && sql[i + 1] === '-') { const j = sql.indexOf('\n', i); i = j < 0 ? sql.length : j; continue; }
    if (ch === '/' && sql[i + 1] === '*') { const j = sql.indexOf('*/', i + 2); i = j < 0 ? sql.length : j + 2; continue; }
    if (ch === '(') { stack.push([]); i++; continue; }
    if (ch === ')') {
      if (stack.length === 1) throw new Untranslatable('unbalanced parentheses');
      const items = stack.pop()!;
      push({ t: 'group', items });
      i++;
      continue;
    }
    if (ch === "'" || ((ch === 'E' || ch === 'e') && sql[i + 1] === "'")) {
      const escaped = ch !== "'";
      let j = escaped ? i + 2 : i + 1;
      let v = '';
      while (j < sql.length) {
        if (escaped && sql[j] === '\\') {
          const n = sql[j + 1];
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === 'b' ? '\b' : n === 'f' ? '\f' : n;
          j += 2;
          continue;
        }
        if (sql[j] === "'") { if (sql[j + 1] === "'") { v += "'"; j += 2; continue; } break; }
        v += sql[j++];
      }
      push({ t: 'str', v });
      i = j + 1;
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let v = '';
      while (j < sql.length) {
        if (sql[j] === '"') { if (sql[j + 1] === '"') { v += '"'; j += 2; continue; } break; }
        v += sql[j++];
      }
      push({ t: 'ident', v, quoted: true });
      i = j + 1;
      continue;
    }
    if (ch === '$') throw new Untranslatable('dollar-quoted strings or parameters');
    const num = /^(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)/.exec(sql.slice(i));
    if (num) { push({ t: 'num', v: num[1] }); i += num[1].length; continue; }
    const word = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(sql.slice(i));
    if (word) { push({ t: 'ident', v: word[0], quoted: false }); i += word[0].length; continue; }
    const op = /^(::|<>|!=|<=|>=|\|\||!~~\*|!~~|~~\*|~~|->>|->|#>>|#>|@>|<@|\?\||\?&|&&|[-+*/%<>=,.;~!@#^&|?[\]])/.exec(sql.slice(i));
    if (op) { push({ t: 'op', v: op[1] }); i += op[1].length; continue; }
    throw new Untranslatable(`unexpected character "${ch}"`);
  }
  if (stack.length !== 1) throw new Untranslatable('unbalanced parentheses');
  return stack[0];
}

const isWord = (tok: Tok | undefined, w: string) => tok?.t === 'ident' && !tok.quoted && tok.v.toLowerCase() === w;
const isOp = (tok: Tok | undefined, o: string) => tok?.t === 'op' && tok.v === o;

/** PostgreSQL type names (as printed after ::) -> the MySQL CAST target, '' to drop the cast, undefined = unknown. */
function castTarget(typeWords: string, args: string | undefined): string | undefined {
  const t = typeWords.toLowerCase().replace(/^(pg_catalog|public)\./, '');
  if (/^(text|character varying|varchar|character|char|bpchar|name|citext|unknown)$/.test(t)) return '';
  if (/^(integer|int|int4|smallint|int2|bigint|int8)$/.test(t)) return 'SIGNED';
  if (/^(numeric|decimal)$/.test(t)) return args ? `DECIMAL(${args})` : 'DECIMAL(65,30)';
  if (/^(double precision|float8|real|float4)$/.test(t)) return 'DOUBLE';
  if (t === 'date') return 'DATE';
  if (/^timestamp( without time zone)?$/.test(t)) return `DATETIME(${args ?? '6'})`;
  if (/^(time|time without time zone)$/.test(t)) return `TIME(${args ?? '6'})`;
  if (t === 'boolean' || t === 'bool') return '';
  return undefined;
}

/** Reads the type after `::` starting at index i; returns its words, (args) and the index after it. */
function readCastType(items: Tok[], i: number): { words: string; args?: string; end: number } {
  const words: string[] = [];
  let j = i;
  while (j < items.length) {
    const tok = items[j];
    if (tok.t === 'ident' && (words.length === 0 || /^(varying|precision|without|with|time|zone)$/i.test(tok.v))) {
      words.push(tok.quoted ? tok.v : tok.v.toLowerCase());
      j++;
      if (isOp(items[j], '.') && items[j + 1]?.t === 'ident') { words.push('.'); j++; continue; }
      continue;
    }
    if (tok.t === 'group' && words.length > 0 && !words.includes('(')) {
      const args = tok.items.map((x) => (x.t === 'num' ? x.v : x.t === 'op' ? x.v : '?')).join('');
      if (!/^\d+(,\d+)?$/.test(args)) break;
      j++;
      // (n) may sit between "timestamp" and "with time zone": keep reading words.
      const rest = readCastType(items, j);
      const more = rest.words ? ` ${rest.words}` : '';
      if (isOp(items[rest.end], '[')) throw new Untranslatable('array casts');
      return { words: (words.join(' ').replace(/ \. /g, '.') + more).trim(), args, end: rest.words ? rest.end : j };
    }
    break;
  }
  if (isOp(items[j], '[')) throw new Untranslatable('array casts');
  return { words: words.join(' ').replace(/ \. /g, '.'), end: j };
}

/** The start index of the primary expression that ends just before index `end` (what a `::` applies to). */
function primaryStart(items: Tok[], end: number): number {
  let s = end - 1;
  if (s < 0) throw new Untranslatable('a cast without an operand');
  if (items[s].t === 'group' && items[s - 1]?.t === 'ident' && !KEYWORDS.has((items[s - 1] as { v: string }).v.toLowerCase())) s -= 1;
  while (isOp(items[s - 1], '.') && items[s - 2]?.t === 'ident') s -= 2;
  return s;
}

/** Precedence boundary for `||` and ILIKE operands: tokens that end an operand chain. */
function isBoundary(tok: Tok): boolean {
  if (tok.t === 'op') return !['+', '-', '*', '/', '%', '.', '||'].includes(tok.v);
  if (tok.t === 'ident' && !tok.quoted) return KEYWORDS.has(tok.v.toLowerCase()) && !['true', 'false', 'null'].includes(tok.v.toLowerCase());
  return false;
}

class Translator {
  constructor(private readonly env: TranslateEnv) {}

  /** Rewrites one token list (a parenthesised group or the whole text), recursing into groups. */
  list(items: Tok[]): Tok[] {
    let out: Tok[] = items.map((tok) => (tok.t === 'group' ? { t: 'group', items: this.list(tok.items) } as Tok : tok));
    out = this.casts(out);
    out = this.functions(out);
    out = this.likes(out);
    out = this.concat(out);
    return out;
  }

  private casts(items: Tok[]): Tok[] {
    const out = [...items];
    for (let i = 0; i < out.length; i++) {
      if (!isOp(out[i], '::')) continue;
      const start = primaryStart(out, i);
      const { words, args, end } = readCastType(out, i + 1);
      if (!words) throw new Untranslatable('a cast without a type');
      const target = castTarget(words, args);
      if (target === undefined) throw new Untranslatable(`a cast to ${words}`);
      const operand = out.slice(start, i);
      const replacement: Tok[] = target === '' ? operand
        : [{ t: 'ident', v: 'CAST', quoted: false }, { t: 'group', items: [...operand, { t: 'raw', v: `AS ${target}` }] }];
      out.splice(start, end - start, ...replacement);
      i = start + replacement.length - 1;
    }
    return out;
  }

  private functions(items: Tok[]): Tok[] {
    const out: Tok[] = [];
    for (let i = 0; i < items.length; i++) {
      const tok = items[i];
      const next = items[i + 1];
      // schema.name: a relation (or a function, which we cannot map).
      if (tok.t === 'ident' && isOp(next, '.') && items[i + 2]?.t === 'ident' && this.env.schemas.includes(tok.v)
        && !isOp(out[out.length - 1], '.')) {
        const name = items[i + 2] as Extract<Tok, { t: 'ident' }>;
        if (items[i + 3]?.t === 'group') throw new Untranslatable(`the user-defined function ${tok.v}.${name.v}()`);
        const q = this.env.relation({ schema: tok.v, name: name.v });
        out.push({ t: 'raw', v: `${quoteMysqlIdent(q.schema)}.${quoteMysqlIdent(q.name)}` });
        i += 2;
        continue;
      }
      if (tok.t === 'ident' && !tok.quoted && next?.t === 'group' && !isOp(out[out.length - 1], '.')) {
        const fn = tok.v.toLowerCase();
        if (fn === 'string_agg') { out.push(...this.stringAgg(next.items)); i++; continue; }
        if (fn === 'date_part') { out.push(this.datePart(next.items)); i++; continue; }
        if (fn === 'length' || fn === 'char_length' || fn === 'character_length') { out.push({ t: 'ident', v: 'CHAR_LENGTH', quoted: false }, next); i++; continue; }
        if (fn === 'now' && next.items.length === 0) { out.push({ t: 'raw', v: 'current_timestamp(6)' }); i++; continue; }
        if (/range$/.test(fn) || /^(array_agg|array_to_string|unnest|generate_series|to_char|to_date|regexp_replace|age|justify_\w+|nextval|currval|setval|row_to_json|json_agg|jsonb_\w+|json_build_\w+)$/.test(fn)) {
          throw new Untranslatable(`the PostgreSQL function ${fn}()`);
        }
      }
      out.push(tok);
    }
    return out;
  }

  /** string_agg([DISTINCT] x, sep [ORDER BY …]) -> GROUP_CONCAT([DISTINCT] x [ORDER BY …] SEPARATOR sep). */
  private stringAgg(args: Tok[]): Tok[] {
    const orderAt = args.findIndex((t, k) => isWord(t, 'order') && isWord(args[k + 1], 'by'));
    const main = orderAt >= 0 ? args.slice(0, orderAt) : args;
    const order = orderAt >= 0 ? args.slice(orderAt) : [];
    const comma = main.map((t, k) => (isOp(t, ',') ? k : -1)).filter((k) => k >= 0);
    if (comma.length !== 1) throw new Untranslatable('string_agg with an unexpected argument list');
    const value = main.slice(0, comma[0]);
    const sep = main.slice(comma[0] + 1);
    if (sep.length !== 1 || sep[0].t !== 'str') throw new Untranslatable('string_agg with a non-literal separator');
    return [{ t: 'ident', v: 'GROUP_CONCAT', quoted: false },
      { t: 'group', items: [...value, ...order, { t: 'raw', v: 'SEPARATOR' }, sep[0]] }];
  }

  private datePart(args: Tok[]): Tok {
    const field = args[0];
    if (field?.t !== 'str' || !isOp(args[1], ',')) throw new Untranslatable('date_part with a non-literal field');
    const f = field.v.toLowerCase();
    const map: Record<string, string> = { year: 'YEAR', month: 'MONTH', day: 'DAY', hour: 'HOUR', minute: 'MINUTE', quarter: 'QUARTER', week: 'WEEK' };
    if (!map[f]) throw new Untranslatable(`date_part('${field.v}', …)`);
    return { t: 'group', items: [{ t: 'raw', v: `EXTRACT(${map[f]} FROM` }, { t: 'group', items: args.slice(2) }, { t: 'raw', v: ')' }] };
  }

  /** a ILIKE b -> LOWER(a) LIKE LOWER(b); ~~ / !~~ are LIKE / NOT LIKE. */
  private likes(items: Tok[]): Tok[] {
    const out = [...items];
    for (let i = 0; i < out.length; i++) {
      const tok = out[i];
      const ilike = isWord(tok, 'ilike') || isOp(tok, '~~*') || isOp(tok, '!~~*');
      if (isOp(tok, '~~')) { out[i] = { t: 'raw', v: 'LIKE' }; continue; }
      if (isOp(tok, '!~~')) { out[i] = { t: 'raw', v: 'NOT LIKE' }; continue; }
      if (!ilike) continue;
      const negated = isOp(tok, '!~~*');
      let s = i - 1;
      while (s > 0 && !isBoundary(out[s - 1])) s--;
      let e = i + 1;
      while (e < out.length && !isBoundary(out[e])) e++;
      if (s < 0 || s >= i || e === i + 1) throw new Untranslatable('ILIKE without operands');
      const left = out.slice(s, i);
      const right = out.slice(i + 1, e);
      const repl: Tok[] = [{ t: 'raw', v: 'LOWER' }, { t: 'group', items: left }, { t: 'raw', v: negated ? 'NOT LIKE' : 'LIKE' },
        { t: 'raw', v: 'LOWER' }, { t: 'group', items: right }];
      out.splice(s, e - s, ...repl);
      i = s + repl.length - 1;
    }
    return out;
  }

  /** a || b || c -> CONCAT(a, b, c) (|| binds tighter than comparisons and looser than + - * /). */
  private concat(items: Tok[]): Tok[] {
    const out = [...items];
    for (let i = 0; i < out.length; i++) {
      if (!isOp(out[i], '||')) continue;
      let s = i - 1;
      while (s > 0 && !isBoundary(out[s - 1])) s--;
      const operands: Tok[][] = [out.slice(s, i)];
      let j = i;
      while (isOp(out[j], '||')) {
        let e = j + 1;
        while (e < out.length && !isBoundary(out[e]) && !isOp(out[e], '||')) e++;
        operands.push(out.slice(j + 1, e));
        j = e;
      }
      if (operands.some((o) => o.length === 0)) throw new Untranslatable('|| without operands');
      const args: Tok[] = [];
      operands.forEach((o, k) => { if (k > 0) args.push({ t: 'op', v: ',' }); args.push(...o); });
      const repl: Tok[] = [{ t: 'ident', v: 'CONCAT', quoted: false }, { t: 'group', items: args }];
      out.splice(s, j - s, ...repl);
      i = s + 1;
    }
    return out;
  }
}

/** Writes tokens back as MySQL SQL. */
function render(items: Tok[], env: TranslateEnv): string {
  let out = '';
  const append = (s: string, glue: boolean) => { out += (out === '' || glue ? '' : ' ') + s; };
  items.forEach((tok, k) => {
    const prev = items[k - 1];
    const glue = prev !== undefined && (isOp(prev, '.') || (tok.t === 'op' && (tok.v === '.' || tok.v === ',')) || (tok.t === 'group' && prev.t === 'ident' && !KEYWORDS.has(prev.v.toLowerCase()) && !prev.quoted)
      || (tok.t === 'group' && prev.t === 'raw' && /^[A-Z_]+$/.test(prev.v)));
    switch (tok.t) {
      case 'ident':
        if (!tok.quoted && env.valueColumn !== undefined && tok.v.toLowerCase() === 'value') { append(quoteMysqlIdent(env.valueColumn), glue); break; }
        append(tok.quoted || (!KEYWORDS.has(tok.v.toLowerCase()) && !/^[A-Z_]+$/.test(tok.v) && !(items[k + 1]?.t === 'group')) ? quoteMysqlIdent(tok.v) : tok.v, glue);
        break;
      case 'str': append(`'${tok.v.replace(/'/g, "''")}'`, glue); break;
      case 'num': append(tok.v, glue); break;
      case 'raw': append(tok.v, glue); break;
      case 'group': append(`(${render(tok.items, env)})`, glue); break;
      case 'op':
        if (['~', '~*', '!~', '!~*', '->', '->>', '#>', '#>>', '@>', '<@', '?|', '?&', '&&', '[', ']', '^', '#', '@', '|', '&', '!', '?', ';'].includes(tok.v)) {
          throw new Untranslatable(`the PostgreSQL operator ${tok.v}`);
        }
        append(tok.v, glue);
        break;
    }
  });
  return out;
}

/** Translates a PostgreSQL expression or query into MySQL/MariaDB SQL. */
export function translatePgSql(sql: string, env: TranslateEnv): TranslateResult {
  try {
    const tokens = tokenize(sql);
    for (const tok of flatten(tokens)) {
      if (tok.t === 'ident' && !tok.quoted) {
        const w = tok.v.toLowerCase();
        if (['array', 'any', 'some', 'lateral', 'similar', 'filter', 'window', 'interval', 'except', 'intersect'].includes(w)) {
          throw new Untranslatable(`the PostgreSQL construct ${tok.v.toUpperCase()}`);
        }
      }
    }
    const text = render(new Translator(env).list(tokens), env);
    if (/\bDISTINCT\s+ON\b/i.test(text)) throw new Untranslatable('DISTINCT ON');
    return { ok: true, sql: text };
  } catch (err) {
    if (err instanceof Untranslatable) return { ok: false, reason: err.message };
    throw err;
  }
}

function* flatten(items: Tok[]): Generator<Tok> {
  for (const tok of items) {
    if (tok.t === 'group') yield* flatten(tok.items); else yield tok;
  }
}
