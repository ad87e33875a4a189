// Translates MySQL/MariaDB SQL (views, CHECK, DEFAULT and generated-column expressions, as the server stores
// them) into PostgreSQL SQL, or says precisely why it cannot. Token-tree rewriting, not a full SQL parser: it
// knows the constructs MariaDB writes into its catalog and refuses anything it does not know.
import { quotePgIdent, quotePgLiteral } from '../postgres/connect';

/** The construct that could not be translated; the rule set turns it into a manual item with the original SQL. */
export class SqlTranslationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SqlTranslationError';
  }
}

/** How names in the source SQL map to the target (the rule set backs this with ctx.ids). */
export interface SqlNameScope {
  /** The source database: `db`.`t` qualifiers naming it are mapped to the target schema. */
  database: string;
  /** Target schema + name of a source table or view of `database`, undefined when unknown. */
  relation(name: string): { schema: string; name: string } | undefined;
  /** Target name of a column of a source table (table undefined: the expression's own table, or search all). */
  column(table: string | undefined, column: string): string;
  /** Primary key columns of a source table (for GROUP BY functional dependency). */
  primaryKey?(table: string): string[];
}

type Tok =
  | { k: 'ident'; v: string } // `quoted`
  | { k: 'word'; v: string }
  | { k: 'str'; v: string } // unescaped value
  | { k: 'num'; v: string }
  | { k: 'hex'; v: string } // X'..' or 0x..: hex digits
  | { k: 'bits'; v: string } // b'..'
  | { k: 'op'; v: string }
  | { k: 'comma' } | { k: 'dot' };

type Node = Tok | { k: 'group'; items: Node[] };

const KEYWORDS = new Set([
  'select', 'from', 'where', 'group', 'by', 'having', 'order', 'limit', 'offset', 'join', 'inner', 'left', 'right',
  'outer', 'cross', 'natural', 'straight_join', 'on', 'using', 'as', 'and', 'or', 'not', 'in', 'is', 'null', 'like',
  'between', 'case', 'when', 'then', 'else', 'end', 'exists', 'distinct', 'all', 'any', 'some', 'union', 'asc', 'desc',
  'with', 'recursive', 'over', 'partition', 'rows', 'range', 'preceding', 'following', 'unbounded', 'current', 'row',
  'true', 'false', 'unknown', 'interval', 'div', 'mod', 'xor', 'regexp', 'rlike', 'escape', 'separator', 'values',
  'lateral', 'window', 'for', 'lock', 'share', 'mode', 'collate', 'binary', 'sounds', 'into', 'set',
]);

const AGGREGATES = new Set(['sum', 'count', 'avg', 'min', 'max', 'group_concat', 'std', 'stddev', 'stddev_pop',
  'stddev_samp', 'variance', 'var_pop', 'var_samp', 'bit_and', 'bit_or', 'bit_xor', 'json_arrayagg', 'json_objectagg']);

/** Functions PostgreSQL has under the same name with the same meaning. */
const SAME = new Set(['abs', 'ceil', 'ceiling', 'floor', 'round', 'sqrt', 'exp', 'ln', 'log10', 'power', 'sign', 'mod',
  'greatest', 'least', 'coalesce', 'nullif', 'lower', 'upper', 'trim', 'ltrim', 'rtrim', 'replace', 'reverse', 'left',
  'right', 'lpad', 'rpad', 'repeat', 'substr', 'substring', 'char_length', 'character_length', 'octet_length', 'md5',
  'sum', 'count', 'avg', 'min', 'max', 'concat_ws', 'ascii', 'pi', 'radians', 'degrees', 'sin', 'cos', 'tan', 'asin',
  'acos', 'atan', 'atan2', 'cot', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'bit_and',
  'bit_or', 'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'lag', 'lead', 'first_value',
  'last_value', 'nth_value', 'ntile', 'now', 'initcap']);

/** Renames with identical arguments. */
const RENAMED: Record<string, string> = {
  ifnull: 'coalesce', ucase: 'upper', lcase: 'lower', pow: 'power', length: 'octet_length', char: 'chr',
  std: 'stddev_pop', rand: 'random', sha1: 'sha1', localtimestamp: 'localtimestamp', mid: 'substr',
};

const INTERVAL_UNITS: Record<string, string> = {
  microsecond: '1 microsecond', second: '1 second', minute: '1 minute', hour: '1 hour', day: '1 day', week: '7 days',
  month: '1 month', quarter: '3 months', year: '1 year',
};

const EXTRACT_FUNCS: Record<string, string> = {
  year: 'YEAR', month: 'MONTH', day: 'DAY', dayofmonth: 'DAY', hour: 'HOUR', minute: 'MINUTE', quarter: 'QUARTER',
  week: 'WEEK', dayofyear: 'DOY',
};

// ---------------------------------------------------------------- tokenizer

export function tokenize(sql: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const ch = sql[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '-' && sql[i + 1] === '-' && /\s/.test(sql[i + 2] ?? ' ') || ch === '#') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (sql[i + 2] === '!') throw new SqlTranslationError('MySQL versioned comment /*! … */ (executable comment)');
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (ch === '`') {
      let v = '';
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '`') { if (sql[j + 1] === '`') { v += '`'; j += 2; continue; } break; }
        v += sql[j++];
      }
      out.push({ k: 'ident', v });
      i = j + 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      // Catalog texts reach here in standard form (quotes doubled, backslash literal).
      let v = '';
      let j = i + 1;
      while (j < n) {
        if (sql[j] === ch) { if (sql[j + 1] === ch) { v += ch; j += 2; continue; } break; }
        v += sql[j++];
      }
      const prev = out[out.length - 1];
      // charset introducers (_utf8mb4'x', _binary'x') and N'x' only say how to read the bytes
      if (prev && prev.k === 'word' && (/^_[a-z0-9]+$/i.test(prev.v) || /^n$/i.test(prev.v))) out.pop();
      if (prev && prev.k === 'word' && /^x$/i.test(prev.v)) { out.pop(); out.push({ k: 'hex', v }); } else if (prev && prev.k === 'word' && /^b$/i.test(prev.v)) { out.pop(); out.push({ k: 'bits', v }); } else out.push({ k: 'str', v });
      i = j + 1;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const hex = /^0x([0-9a-f]+)/i.exec(sql.slice(i));
      if (hex) { out.push({ k: 'hex', v: hex[1] }); i += hex[0].length; continue; }
      const m = /^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(sql.slice(i)) as RegExpExecArray;
      out.push({ k: 'num', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_$\u0080-\uffff]/.test(ch)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j])) j++;
      out.push({ k: 'word', v: sql.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === ',') { out.push({ k: 'comma' }); i++; continue; }
    if (ch === '.') { out.push({ k: 'dot' }); i++; continue; }
    if (ch === '(' || ch === ')') { out.push({ k: 'op', v: ch }); i++; continue; }
    if (ch === '@') throw new SqlTranslationError('user or system variables (@var / @@var)');
    if (ch === '?') throw new SqlTranslationError('parameter placeholder');
    const three = sql.slice(i, i + 3);
    const two = sql.slice(i, i + 2);
    if (three === '<=>') { out.push({ k: 'op', v: three }); i += 3; continue; }
    if (['<=', '>=', '<>', '!=', '&&', '||', '<<', '>>', ':='].includes(two)) { out.push({ k: 'op', v: two }); i += 2; continue; }
    if ('=<>+-*/%!~^&|;'.includes(ch)) { out.push({ k: 'op', v: ch }); i++; continue; }
    throw new SqlTranslationError(`unexpected character "${ch}"`);
  }
  return out;
}

function tree(tokens: Tok[]): Node[] {
  const stack: Node[][] = [[]];
  for (const t of tokens) {
    if (t.k === 'op' && t.v === '(') { stack.push([]); continue; }
    if (t.k === 'op' && t.v === ')') {
      if (stack.length === 1) throw new SqlTranslationError('unbalanced parentheses');
      const items = stack.pop() as Node[];
      stack[stack.length - 1].push({ k: 'group', items });
      continue;
    }
    if (t.k === 'op' && t.v === ';') continue;
    stack[stack.length - 1].push(t);
  }
  if (stack.length !== 1) throw new SqlTranslationError('unbalanced parentheses');
  return stack[0];
}

const isWord = (n: Node | undefined, ...words: string[]): boolean =>
  !!n && n.k === 'word' && (words.length === 0 || words.includes(n.v.toLowerCase()));
/** An identifier: backquoted, or a bare word that is not a keyword. (No type guard: a keyword is a word too.) */
const isName = (n: Node | undefined): boolean =>
  !!n && (n.k === 'ident' || (n.k === 'word' && !KEYWORDS.has(n.v.toLowerCase())));
const textOf = (n: Node): string => ('v' in n ? n.v : '');

function splitArgs(items: Node[]): Node[][] {
  const args: Node[][] = [[]];
  for (const it of items) {
    if (it.k === 'comma') args.push([]);
    else args[args.length - 1].push(it);
  }
  return args.length === 1 && args[0].length === 0 ? [] : args;
}

// ---------------------------------------------------------------- translation

interface Context {
  scope: SqlNameScope;
  /** alias -> source table name, per query level (innermost last). */
  aliases: Map<string, string>[];
  notes: string[];
}

/** A MySQL expression (CHECK, DEFAULT, generated column) of one table -> PostgreSQL. */
export function translateMysqlExpression(sql: string, scope: SqlNameScope): string {
  const ctx: Context = { scope, aliases: [new Map()], notes: [] };
  return emit(tree(tokenize(sql)), ctx);
}

/** A MySQL SELECT (a view's stored query) -> PostgreSQL, with notes on semantic adjustments made. */
export function translateMysqlQuery(sql: string, scope: SqlNameScope): { sql: string; notes: string[] } {
  const ctx: Context = { scope, aliases: [], notes: [] };
  const nodes = tree(tokenize(sql));
  const out = emitQuery(nodes, ctx);
  return { sql: out, notes: ctx.notes };
}

/** A query level: collects its table aliases first, extends a permissive GROUP BY, then emits. */
function emitQuery(nodes: Node[], ctx: Context): string {
  const aliases = new Map<string, string>();
  collectAliases(nodes, ctx, aliases);
  ctx.aliases.push(aliases);
  try {
    const extended = extendGroupBy(nodes, ctx, aliases);
    return emit(extended, ctx);
  } finally {
    ctx.aliases.pop();
  }
}

/** `db`.`t` `a` / `db`.`t` AS `a` / `t` `a` after FROM, JOIN or a comma of the FROM list (groups included). */
function collectAliases(nodes: Node[], ctx: Context, into: Map<string, string>): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.k === 'group' && !isWord(n.items[0], 'select', 'with')) collectAliases(n.items, ctx, into);
    if (!isName(n)) continue;
    // a relation reference: `db`.`t` (how MariaDB stores every table of a view), or a bare name after FROM/JOIN
    let j = i;
    let table = textOf(n);
    if (nodes[i + 1]?.k === 'dot' && isName(nodes[i + 2]) && nodes[i + 3]?.k !== 'dot' && nodes[i - 1]?.k !== 'dot') {
      if (textOf(n) !== ctx.scope.database) continue;
      table = textOf(nodes[i + 2]);
      j = i + 2;
      if (!ctx.scope.relation(table)) continue;
    } else if (nodes[i + 1]?.k === 'dot' || nodes[i - 1]?.k === 'dot') {
      continue;
    } else {
      const before = nodes[i - 1];
      if (!(isWord(before, 'from', 'join', 'straight_join') || (before?.k === 'comma' && inFromList(nodes, i)))) continue;
    }
    into.set(table, table);
    let k = j + 1;
    if (isWord(nodes[k], 'as')) k++;
    if (isName(nodes[k]) && !isWord(nodes[k], 'on', 'using', 'where', 'group', 'order', 'limit', 'join', 'left', 'right', 'inner', 'cross', 'natural')) {
      into.set((nodes[k] as { v: string }).v, table);
    }
  }
}

function inFromList(nodes: Node[], i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    if (isWord(nodes[j], 'from')) return true;
    if (isWord(nodes[j], 'select', 'where', 'group', 'order', 'having', 'on')) return false;
  }
  return false;
}

/**
 * MySQL (without ONLY_FULL_GROUP_BY) lets a grouped query select columns that are neither grouped nor
 * functionally dependent on the grouped primary key of *their own* table (Sakila's sales_by_store). Such a
 * column is appended to GROUP BY: the result is the same whenever the column is determined by the group
 * (which is what the view relies on; otherwise MySQL's own result is indeterminate). A note records it.
 */
function extendGroupBy(nodes: Node[], ctx: Context, aliases: Map<string, string>): Node[] {
  const gb = nodes.findIndex((n, i) => isWord(n, 'group') && isWord(nodes[i + 1], 'by'));
  if (gb < 0 || !isWord(nodes[0], 'select')) return nodes;
  const end = (from: number): number => {
    for (let i = from; i < nodes.length; i++) if (isWord(nodes[i], 'having', 'order', 'limit', 'window', 'union')) return i;
    return nodes.length;
  };
  const gbEnd = end(gb + 2);
  const groupItems = splitArgs(nodes.slice(gb + 2, gbEnd));
  const key = (chain: string[]): string => chain.join('.').toLowerCase();
  const grouped = new Set(groupItems.map((g) => key(chainOf(g) ?? [])));
  const fromIdx = nodes.findIndex((n) => isWord(n, 'from'));
  const orderIdx = nodes.findIndex((n, i) => isWord(n, 'order') && isWord(nodes[i + 1], 'by') && i > gb);
  const selectList = nodes.slice(1, fromIdx < 0 ? nodes.length : fromIdx);
  const orderList = orderIdx < 0 ? [] : nodes.slice(orderIdx + 2, end(orderIdx + 2) === orderIdx ? nodes.length : nodesEnd(nodes, orderIdx + 2));
  // tables whose whole primary key is grouped (by alias): their columns are functionally dependent
  const dependent = new Set<string>();
  for (const [alias, table] of aliases) {
    const pk = ctx.scope.primaryKey?.(table) ?? [];
    if (pk.length > 0 && pk.every((c) => grouped.has(key([alias, c])) || grouped.has(key([ctx.scope.database, table, c])))) dependent.add(alias.toLowerCase());
  }
  const selectAliases = new Set<string>();
  for (const item of splitArgs(selectList)) {
    const asIdx = item.findIndex((n) => isWord(n, 'as'));
    if (asIdx >= 0 && isName(item[asIdx + 1])) selectAliases.add((item[asIdx + 1] as { v: string }).v.toLowerCase());
  }
  const missing: Node[][] = [];
  const seen = new Set(grouped);
  const visit = (list: Node[]): void => {
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      if (n.k === 'group') {
        if (isWord(n.items[0], 'select')) continue; // a subquery is its own level
        visit(n.items);
        continue;
      }
      if (isName(n) && list[i + 1]?.k === 'group' && AGGREGATES.has(textOf(n).toLowerCase())) { i++; continue; }
      if (!isName(n) || list[i - 1]?.k === 'dot') continue;
      const chain: Node[] = [n];
      let j = i;
      while (list[j + 1]?.k === 'dot' && isName(list[j + 2])) { chain.push(list[j + 1], list[j + 2]); j += 2; }
      const names = chainOf(chain);
      if (!names || names.length < 2) { i = j; continue; }
      const qualifier = names.length === 3 ? names[1] : names[0];
      if (!dependent.has(qualifier.toLowerCase()) && !seen.has(key(names)) && !(names.length === 1 && selectAliases.has(names[0].toLowerCase()))) {
        seen.add(key(names));
        missing.push(chain);
      }
      i = j;
    }
  };
  for (const item of splitArgs(selectList)) {
    const asIdx = item.findIndex((n) => isWord(n, 'as'));
    visit(asIdx >= 0 ? item.slice(0, asIdx) : item);
  }
  visit(orderList);
  if (missing.length === 0) return nodes;
  ctx.notes.push(`GROUP BY extended with ${missing.map((m) => (chainOf(m) ?? []).join('.')).join(', ')}: PostgreSQL requires every selected column to be grouped or determined by a grouped primary key of its own table`);
  const extra: Node[] = [];
  for (const m of missing) extra.push({ k: 'comma' }, ...m);
  return [...nodes.slice(0, gbEnd), ...extra, ...nodes.slice(gbEnd)];
}

function nodesEnd(nodes: Node[], from: number): number {
  for (let i = from; i < nodes.length; i++) if (isWord(nodes[i], 'limit', 'union', 'for', 'lock')) return i;
  return nodes.length;
}

function chainOf(nodes: Node[]): string[] | undefined {
  const names: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (i % 2 === 0) { if (!isName(n)) return undefined; names.push(textOf(n)); } else if (n.k !== 'dot') return undefined;
  }
  return names.length > 0 ? names : undefined;
}

/** Emits a node list at one level: function calls, name chains, operators, literals. */
function emit(nodes: Node[], ctx: Context): string {
  const out: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const next = nodes[i + 1];
    // ---- subquery / parenthesised group
    if (n.k === 'group') {
      if (isWord(n.items[0], 'select', 'with')) out.push(`(${emitQuery(n.items, ctx)})`);
      else out.push(`(${emit(n.items, ctx)})`);
      continue;
    }
    // ---- LIMIT a, b
    if (isWord(n, 'limit') && nodes[i + 1]?.k === 'num' && nodes[i + 2]?.k === 'comma' && nodes[i + 3]?.k === 'num') {
      out.push(`LIMIT ${(nodes[i + 3] as { v: string }).v} OFFSET ${(nodes[i + 1] as { v: string }).v}`);
      i += 3;
      continue;
    }
    // ---- INTERVAL expr unit
    if (isWord(n, 'interval') && next) {
      const end = operandEnd(nodes, i + 1);
      const unit = nodes[end];
      if (!isWord(unit) || !INTERVAL_UNITS[textOf(unit).toLowerCase()]) {
        throw new SqlTranslationError(`INTERVAL with unit ${unit ? textOf(unit) : '?'}`);
      }
      out.push(`((${emit(nodes.slice(i + 1, end), ctx)}) * INTERVAL '${INTERVAL_UNITS[textOf(unit).toLowerCase()]}')`);
      i = end;
      continue;
    }
    // ---- function call
    if ((n.k === 'word' || n.k === 'ident') && next?.k === 'group' && !(n.k === 'word' && KEYWORDS.has(n.v.toLowerCase()) && !['left', 'right', 'mod'].includes(n.v.toLowerCase()))) {
      out.push(callFunction(n.v, next.items, ctx));
      i++;
      continue;
    }
    // ---- name chain
    if (isName(n)) {
      const chain: string[] = [textOf(n)];
      let j = i;
      while (nodes[j + 1]?.k === 'dot' && (isName(nodes[j + 2]) || (nodes[j + 2] as Tok)?.k === 'word')) {
        chain.push((nodes[j + 2] as { v: string }).v);
        j += 2;
      }
      if (nodes[j + 1]?.k === 'dot' && nodes[j + 2]?.k === 'op' && (nodes[j + 2] as { v: string }).v === '*') {
        out.push(`${mapQualifier(chain, ctx)}.*`);
        i = j + 2;
        continue;
      }
      out.push(mapChain(chain, nodes[i - 1], ctx));
      i = j;
      continue;
    }
    // ---- words (keywords)
    if (n.k === 'word') {
      const w = n.v.toLowerCase();
      if (w === 'div') {
        const left = out.pop();
        if (left === undefined || !next) throw new SqlTranslationError('DIV without operands');
        const end = operandEnd(nodes, i + 1);
        out.push(`div(${left}, ${emit(nodes.slice(i + 1, end), ctx)})`);
        i = end - 1;
        continue;
      }
      if (w === 'xor') throw new SqlTranslationError('XOR');
      if (w === 'regexp' || w === 'rlike') { out.push('~'); continue; }
      if (w === 'binary') continue; // BINARY x: a byte-wise comparison; PostgreSQL's default collation compares exactly already
      if (w === 'collate') { i++; continue; } // MySQL collation names do not exist on PostgreSQL
      if (w === 'sounds') throw new SqlTranslationError('SOUNDS LIKE');
      if (w === 'current_timestamp' || w === 'localtimestamp' || w === 'localtime') { out.push('CURRENT_TIMESTAMP'); continue; }
      if (w === 'current_date' || w === 'current_time' || w === 'current_user' || w === 'true' || w === 'false') { out.push(w.toUpperCase()); continue; }
      out.push(n.v.toUpperCase());
      continue;
    }
    switch (n.k) {
      case 'str': out.push(quotePgLiteral(n.v)); break;
      case 'num': out.push(n.v); break;
      case 'hex': out.push(`'\\x${n.v.length % 2 ? '0' : ''}${n.v}'::bytea`); break;
      case 'bits': out.push(`B'${n.v}'`); break;
      case 'comma': out.push(','); break;
      case 'dot': out.push('.'); break;
      case 'op': {
        const v = n.v;
        if (v === '&&') out.push('AND');
        else if (v === '||') out.push('OR');
        else if (v === '!') out.push('NOT');
        else if (v === '<=>') out.push('IS NOT DISTINCT FROM');
        else if (v === ':=') throw new SqlTranslationError('assignment operator :=');
        else if (v === '^') out.push('#');
        else if (v === '/') {
          // MySQL `/` is exact division (5/2 = 2.5000) and x/0 is NULL; PostgreSQL divides integers as integers and raises on 0.
          const left = out.pop();
          if (left === undefined || !next) throw new SqlTranslationError('division without operands');
          const end = operandEnd(nodes, i + 1);
          out.push(`(${left})::numeric / NULLIF(${emit(nodes.slice(i + 1, end), ctx)}, 0)`);
          i = end - 1;
        } else out.push(v);
        break;
      }
      default: break;
    }
  }
  return join(out);
}

/** The end (exclusive) of the operand starting at `start`: [sign] (call | name chain | group | literal). */
function operandEnd(nodes: Node[], start: number): number {
  let i = start;
  while (nodes[i]?.k === 'op' && ['-', '+', '~', '!'].includes(textOf(nodes[i]))) i++;
  const n = nodes[i];
  if (!n) return i;
  if ((n.k === 'word' || n.k === 'ident') && nodes[i + 1]?.k === 'group') return i + 2;
  if (isName(n)) {
    let j = i;
    while (nodes[j + 1]?.k === 'dot' && nodes[j + 2] && (nodes[j + 2].k === 'ident' || nodes[j + 2].k === 'word')) j += 2;
    return j + 1;
  }
  return i + 1;
}

function join(parts: string[]): string {
  let s = '';
  for (const p of parts) {
    if (s === '' || p === ',' || p === '.' || s.endsWith('.') || s.endsWith('(')) s += p;
    else s += ` ${p}`;
  }
  return s.replace(/ ,/g, ',');
}

function mapQualifier(chain: string[], ctx: Context): string {
  if (chain.length === 2 && chain[0] === ctx.scope.database) {
    const rel = ctx.scope.relation(chain[1]);
    if (!rel) throw new SqlTranslationError(`unknown table ${chain[0]}.${chain[1]}`);
    return `${quotePgIdent(rel.schema)}.${quotePgIdent(rel.name)}`;
  }
  if (chain.length === 1) {
    if (findAlias(chain[0], ctx) !== undefined && !isTableName(chain[0], ctx)) return quotePgIdent(chain[0]);
    const rel = ctx.scope.relation(chain[0]);
    return quotePgIdent(rel ? rel.name : chain[0]);
  }
  throw new SqlTranslationError(`reference ${chain.join('.')}`);
}

function findAlias(name: string, ctx: Context): string | undefined {
  for (let i = ctx.aliases.length - 1; i >= 0; i--) {
    const t = ctx.aliases[i].get(name);
    if (t !== undefined) return t;
  }
  return undefined;
}

function isTableName(name: string, ctx: Context): boolean {
  for (const level of ctx.aliases) if (level.get(name) === name) return true;
  return false;
}

/** `db`.`t`.`c`, `db`.`t`, `a`.`c`, `c`: each part mapped through the scope (ctx.ids behind it). */
function mapChain(chain: string[], prev: Node | undefined, ctx: Context): string {
  const { scope } = ctx;
  if (chain.length === 3) {
    if (chain[0] !== scope.database) throw new SqlTranslationError(`reference to another database: ${chain[0]}`);
    const rel = scope.relation(chain[1]);
    if (!rel) throw new SqlTranslationError(`unknown table ${chain[0]}.${chain[1]}`);
    return `${quotePgIdent(rel.schema)}.${quotePgIdent(rel.name)}.${quotePgIdent(scope.column(chain[1], chain[2]))}`;
  }
  if (chain.length === 2) {
    if (chain[0] === scope.database && (isWord(prev, 'from', 'join', 'straight_join') || prev?.k === 'comma' || scope.relation(chain[1]))) {
      const rel = scope.relation(chain[1]);
      if (!rel) throw new SqlTranslationError(`unknown table ${chain[0]}.${chain[1]}`);
      return `${quotePgIdent(rel.schema)}.${quotePgIdent(rel.name)}`;
    }
    const table = findAlias(chain[0], ctx);
    if (table !== undefined) {
      const qualifier = table === chain[0] ? quotePgIdent(scope.relation(table)?.name ?? table) : quotePgIdent(chain[0]);
      return `${qualifier}.${quotePgIdent(scope.column(table, chain[1]))}`;
    }
    const rel = scope.relation(chain[0]);
    if (rel) return `${quotePgIdent(rel.name)}.${quotePgIdent(scope.column(chain[0], chain[1]))}`;
    throw new SqlTranslationError(`unknown qualifier ${chain[0]} in ${chain.join('.')}`);
  }
  if (chain.length === 1) {
    const name = chain[0];
    // a table alias being declared (`film` `f`) or a select-list alias (AS `x`) is kept as written
    if (isWord(prev, 'as') || (isName(prev) && findAlias(name, ctx) !== undefined)) return quotePgIdent(name);
    if (findAlias(name, ctx) !== undefined && !isTableName(name, ctx)) return quotePgIdent(name);
    if (isWord(prev, 'from', 'join', 'straight_join')) {
      const rel = scope.relation(name);
      if (rel) return `${quotePgIdent(rel.schema)}.${quotePgIdent(rel.name)}`;
    }
    return quotePgIdent(scope.column(undefined, name));
  }
  throw new SqlTranslationError(`reference ${chain.join('.')}`);
}

/** Truthiness: MySQL accepts numbers as conditions, PostgreSQL only booleans. */
function condition(args: Node[], ctx: Context): string {
  const sql = emit(args, ctx);
  const booleanish = args.some((n) => (n.k === 'op' && ['=', '<', '>', '<=', '>=', '<>', '!=', '<=>', '!', '&&', '||'].includes(n.v))
    || isWord(n, 'is', 'in', 'like', 'and', 'or', 'not', 'exists', 'between', 'regexp', 'rlike', 'true', 'false'));
  return booleanish ? sql : `(${sql}) <> 0`;
}

function callFunction(rawName: string, items: Node[], ctx: Context): string {
  const name = rawName.toLowerCase();
  const args = splitArgs(items);
  const a = (i: number): string => {
    if (!args[i]) throw new SqlTranslationError(`${rawName}() with too few arguments`);
    return emit(args[i], ctx);
  };
  const all = (): string => args.map((x) => emit(x, ctx)).join(', ');
  switch (name) {
    case 'if':
      if (args.length !== 3) throw new SqlTranslationError('IF() needs 3 arguments');
      return `CASE WHEN ${condition(args[0], ctx)} THEN ${a(1)} ELSE ${a(2)} END`;
    case 'isnull': return `((${a(0)}) IS NULL)`;
    case 'concat':
      // MySQL CONCAT is NULL when any argument is NULL, like ||; PostgreSQL's concat() would skip NULLs.
      if (args.length === 1) return asText(args[0], ctx);
      return `(${args.map((x) => asText(x, ctx)).join(' || ')})`;
    case 'group_concat': return groupConcat(items, ctx);
    case 'cast': return cast(items, ctx);
    case 'convert': {
      const usingIdx = items.findIndex((n) => isWord(n, 'using'));
      if (usingIdx >= 0) return emit(items.slice(0, usingIdx), ctx);
      if (args.length === 2) return cast([...args[0], { k: 'word', v: 'AS' }, ...args[1]], ctx);
      throw new SqlTranslationError('CONVERT() form');
    }
    case 'curdate': case 'current_date': return 'CURRENT_DATE';
    case 'curtime': case 'current_time': return 'LOCALTIME';
    case 'now': case 'current_timestamp': case 'localtimestamp': case 'localtime': case 'sysdate':
      return args.length > 0 ? `CURRENT_TIMESTAMP(${a(0)})` : 'CURRENT_TIMESTAMP';
    case 'utc_timestamp': return "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')";
    case 'date': return `CAST(${a(0)} AS date)`;
    case 'time': return `CAST(${a(0)} AS time)`;
    case 'datediff': return `(CAST(${a(0)} AS date) - CAST(${a(1)} AS date))`;
    case 'date_add': case 'adddate': return `(${a(0)} + ${intervalArg(args[1], ctx)})`;
    case 'date_sub': case 'subdate': return `(${a(0)} - ${intervalArg(args[1], ctx)})`;
    case 'last_day': return `CAST(date_trunc('month', ${a(0)}) + INTERVAL '1 month - 1 day' AS date)`;
    case 'dayofweek': return `(EXTRACT(DOW FROM ${a(0)})::int + 1)`;
    case 'weekday': return `((EXTRACT(ISODOW FROM ${a(0)})::int) - 1)`;
    case 'unix_timestamp': return args.length === 0 ? 'floor(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP))::bigint' : `EXTRACT(EPOCH FROM ${a(0)})`;
    case 'from_unixtime': return `to_timestamp(${a(0)})`;
    case 'locate': return args.length === 2 ? `strpos(${a(1)}, ${a(0)})` : (() => { throw new SqlTranslationError('LOCATE() with a start position'); })();
    case 'instr': return `strpos(${a(0)}, ${a(1)})`;
    case 'space': return `repeat(' ', ${a(0)})`;
    case 'truncate': return `trunc(${a(0)}, ${a(1)})`;
    case 'log': return args.length === 1 ? `ln(${a(0)})` : `log(${a(0)}, ${a(1)})`;
    case 'log2': return `log(2, ${a(0)})`;
    case 'json_valid': throw new SqlTranslationError('JSON_VALID (the json type validates its values itself)');
    case 'char_length': case 'character_length': return `char_length(${a(0)})`;
    case 'substring_index': throw new SqlTranslationError('SUBSTRING_INDEX()');
    case 'date_format': throw new SqlTranslationError('DATE_FORMAT() (format letters differ from to_char)');
    // MySQL UUID() is version 1, gen_random_uuid() version 4: both unique 36-character texts
    case 'uuid': return 'CAST(gen_random_uuid() AS text)';
    case 'found_rows': case 'last_insert_id': case 'database': case 'schema': case 'connection_id': case 'get_lock': case 'release_lock': case 'sleep':
      throw new SqlTranslationError(`${rawName}()`);
    default: break;
  }
  if (EXTRACT_FUNCS[name]) return `EXTRACT(${EXTRACT_FUNCS[name]} FROM ${a(0)})::int`;
  if (name === 'second') return `floor(EXTRACT(SECOND FROM ${a(0)}))::int`;
  if (RENAMED[name]) return `${RENAMED[name]}(${all()})`;
  if (name === 'count' && args.length === 1 && args[0].length === 1 && args[0][0].k === 'op' && (args[0][0] as { v: string }).v === '*') return 'count(*)';
  if (SAME.has(name)) {
    const distinct = args[0] && isWord(args[0][0], 'distinct');
    if (distinct) return `${name}(DISTINCT ${emit(args[0].slice(1), ctx)}${args.length > 1 ? `, ${args.slice(1).map((x) => emit(x, ctx)).join(', ')}` : ''})`;
    return `${name}(${all()})`;
  }
  throw new SqlTranslationError(`function ${rawName}() has no known PostgreSQL equivalent (or is a user routine)`);
}

/** An operand of ||: string literals and CONCAT results are text already; anything else is cast. */
function asText(arg: Node[], ctx: Context): string {
  if (arg.length === 1 && arg[0].k === 'str') return quotePgLiteral(arg[0].v);
  if (arg.length === 2 && isWord(arg[0], 'concat') && arg[1].k === 'group') return emit(arg, ctx);
  return `CAST(${emit(arg, ctx)} AS text)`;
}

function intervalArg(arg: Node[] | undefined, ctx: Context): string {
  if (!arg || !isWord(arg[0], 'interval')) {
    if (!arg) throw new SqlTranslationError('DATE_ADD without interval');
    return `(${emit(arg, ctx)}) * INTERVAL '1 day'`;
  }
  return emit(arg, ctx);
}

/** GROUP_CONCAT([DISTINCT] e1[, e2…] [ORDER BY …] [SEPARATOR 's']) -> string_agg(…). */
function groupConcat(items: Node[], ctx: Context): string {
  let list = items;
  let distinct = false;
  if (isWord(list[0], 'distinct')) { distinct = true; list = list.slice(1); }
  let separator = ',';
  const sepIdx = list.findIndex((n) => isWord(n, 'separator'));
  if (sepIdx >= 0) {
    const s = list[sepIdx + 1];
    if (!s || s.k !== 'str') throw new SqlTranslationError('GROUP_CONCAT separator is not a string');
    separator = s.v;
    list = list.slice(0, sepIdx);
  }
  let order: Node[] | undefined;
  const orderIdx = list.findIndex((n, i) => isWord(n, 'order') && isWord(list[i + 1], 'by'));
  if (orderIdx >= 0) { order = list.slice(orderIdx + 2); list = list.slice(0, orderIdx); }
  const exprs = splitArgs(list);
  const value = exprs.length === 1 ? asText(exprs[0], ctx) : `(${exprs.map((e) => asText(e, ctx)).join(' || ')})`;
  let orderSql = '';
  if (order) {
    const parts = splitArgs(order);
    if (distinct) {
      const valueText = emit(exprs.length === 1 ? exprs[0] : list, ctx);
      for (const p of parts) {
        const pe = emit(p.filter((n) => !isWord(n, 'asc', 'desc')), ctx);
        if (pe !== valueText) {
          throw new SqlTranslationError('GROUP_CONCAT(DISTINCT … ORDER BY <other expression>): PostgreSQL requires the ORDER BY of a DISTINCT aggregate to be its argument');
        }
      }
      orderSql = ` ORDER BY ${value}${parts.some((p) => p.some((n) => isWord(n, 'desc'))) ? ' DESC' : ''}`;
    } else {
      orderSql = ` ORDER BY ${parts.map((p) => emit(p, ctx)).join(', ')}`;
    }
  }
  return `string_agg(${distinct ? 'DISTINCT ' : ''}${value}, ${quotePgLiteral(separator)}${orderSql})`;
}

function cast(items: Node[], ctx: Context): string {
  const asIdx = items.findIndex((n) => isWord(n, 'as'));
  if (asIdx < 0) throw new SqlTranslationError('CAST without AS');
  const expr = emit(items.slice(0, asIdx), ctx);
  const typeNodes = items.slice(asIdx + 1);
  const t = (typeNodes[0] as { v?: string }).v?.toLowerCase() ?? '';
  const args = typeNodes[1]?.k === 'group' ? splitArgs(typeNodes[1].items).map((x) => emit(x, ctx)) : [];
  const rest = typeNodes.slice(1).filter((n) => n.k === 'word').map((n) => (n as { v: string }).v.toLowerCase());
  let pg: string;
  switch (t) {
    case 'char': case 'nchar': case 'varchar': pg = args.length > 0 ? `varchar(${args[0]})` : 'text'; break;
    case 'signed': pg = 'bigint'; break;
    case 'unsigned': pg = 'numeric(20,0)'; break;
    case 'integer': case 'int': pg = rest.includes('unsigned') ? 'numeric(20,0)' : 'bigint'; break;
    case 'decimal': case 'numeric': pg = args.length > 0 ? `numeric(${args.join(',')})` : 'numeric(10,0)'; break;
    case 'date': pg = 'date'; break;
    case 'datetime': pg = args.length > 0 ? `timestamp(${args[0]})` : 'timestamp(0)'; break;
    case 'time': pg = 'interval'; break;
    case 'binary': pg = 'bytea'; break;
    case 'double': case 'float': case 'real': pg = t === 'float' ? 'real' : 'double precision'; break;
    case 'json': pg = 'json'; break;
    default: throw new SqlTranslationError(`CAST to ${t}`);
  }
  return `CAST(${expr} AS ${pg})`;
}
