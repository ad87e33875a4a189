// One CDC apply batch sent to a MySQL/MariaDB target as few texts of statements as its semantics allow: values
// inlined as literals by Ferry's quoting rules, START TRANSACTION … applied marks … COMMIT in one round trip.
import type { Connection } from 'mysql2/promise';
import type { TargetValue } from '../convert/types';

/**
 * A value as a literal of a Ferry session (sessions.ts: NO_BACKSLASH_ESCAPES, utf8mb4): in a quoted string only
 * the quote itself needs doubling; bytes travel as X'hex', a binary string exactly like a binary parameter (MariaDB
 * does not read it as a number when assigned to a numeric column). Numbers arrive as text and stay quoted text, as
 * they were sent as string parameters before: the server converts them exactly as it would a parameter.
 */
export function mysqlLiteral(v: TargetValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return v.includes("'") ? `'${v.replace(/'/g, "''")}'` : `'${v}'`;
  return `X'${v.toString('hex')}'`;
}

/** A row of values as `(v1, v2, …)`. */
export function mysqlRowLiteral(values: readonly TargetValue[]): string {
  let s = '(';
  for (let i = 0; i < values.length; i++) s += (i ? ', ' : '') + mysqlLiteral(values[i]);
  return s + ')';
}

/** A statement as its SQL split at the value positions: inlined into a batch text, or prepared when it is huge. */
export class Statement {
  private readonly parts: string[] = [''];
  readonly values: TargetValue[] = [];

  sql(text: string): this {
    this.parts[this.parts.length - 1] += text;
    return this;
  }

  value(v: TargetValue): this {
    this.values.push(v);
    this.parts.push('');
    return this;
  }

  /** The text with every value as a literal. */
  inline(): string {
    let s = this.parts[0];
    for (let i = 0; i < this.values.length; i++) s += mysqlLiteral(this.values[i]) + this.parts[i + 1];
    return s;
  }

  /** The text with `?` placeholders for execute(); `?` inside quoted identifiers is not a placeholder. */
  prepared(): string {
    return this.parts.join('?');
  }
}

/** `INSERT … VALUES` head and tail of one table; consecutive rows for the same statement share one INSERT. */
export interface RowInsert {
  head: string;
  tail: string;
}

/** What the server said about one statement. */
export interface StatementResult {
  affectedRows: number;
  info: string;
}

/** Text queued before the batch goes on the wire, so a large batch does not sit in memory twice. */
const SEND_CHARS = 2 * 1024 * 1024;

/**
 * The statements of one target transaction, queued and sent as one multi-statement text per round trip
 * (the session has multipleStatements on). The server stops a text at its first failing statement, so the
 * COMMIT at the end of the last text runs only when everything before it succeeded.
 */
export class BatchText {
  private pending: string[] = [];
  private chars = 0;
  private open?: { insert: RowInsert; rows: string[] };
  private started = false;
  /** Longest statement text inlined; a longer one is sent as a prepared statement (half the bytes for binary values). */
  private readonly maxInline: number;

  constructor(private readonly c: Connection, maxPacket: number) {
    // A JavaScript character takes up to 3 bytes in utf8mb4; the text must stay under max_allowed_packet.
    this.maxInline = Math.max(64 * 1024, Math.floor(maxPacket / 3) - 1024);
  }

  /** Queues a statement whose result nobody waits for. */
  async add(stmt: Statement): Promise<void> {
    this.closeRows();
    const text = stmt.inline();
    if (text.length > this.maxInline) { await this.execute(stmt.prepared(), stmt.values); return; }
    this.push(text);
    if (this.chars > SEND_CHARS) await this.send(false);
  }

  /** Queues one row of an INSERT; it joins the rows of the statement queued just before when that is the same INSERT. */
  async addRow(insert: RowInsert, values: readonly TargetValue[]): Promise<void> {
    const row = mysqlRowLiteral(values);
    if (row.length > this.maxInline) {
      this.closeRows();
      await this.execute(`${insert.head}(${values.map(() => '?').join(', ')})${insert.tail}`, [...values]);
      return;
    }
    if (this.open?.insert !== insert || this.open.rows.length >= 1000) {
      this.closeRows();
      this.open = { insert, rows: [] };
      this.chars += insert.head.length + insert.tail.length;
    }
    this.open.rows.push(row);
    this.chars += row.length + 2;
    if (this.chars > SEND_CHARS) await this.send(false);
  }

  /** Sends what is queued plus `stmt`, and returns the server's answer to `stmt`. */
  async result(stmt: Statement): Promise<StatementResult> {
    this.closeRows();
    const text = stmt.inline();
    if (text.length > this.maxInline) return this.execute(stmt.prepared(), stmt.values);
    this.push(text);
    const results = await this.send(false);
    return results[results.length - 1];
  }

  /** Sends the rest and COMMIT (run by the server only if every statement before it succeeded). */
  async commit(): Promise<void> {
    this.closeRows();
    this.push('COMMIT');
    await this.send(true);
  }

  private push(text: string): void {
    this.pending.push(text);
    this.chars += text.length + 2;
  }

  private closeRows(): void {
    if (!this.open) return;
    this.pending.push(this.open.insert.head + this.open.rows.join(', ') + this.open.insert.tail);
    this.open = undefined;
  }

  private async send(last: boolean): Promise<StatementResult[]> {
    if (!this.started) { this.pending.unshift('START TRANSACTION'); this.started = true; }
    const text = this.pending.join(';\n');
    this.pending = [];
    this.chars = 0;
    if (last) this.started = false;
    const [res] = await this.c.query({ sql: text });
    // One statement answers with one header, several with an array of them.
    const list = (Array.isArray(res) ? res : [res]) as unknown as { affectedRows?: number; info?: string }[];
    return list.map((r) => ({ affectedRows: r.affectedRows ?? 0, info: r.info ?? '' }));
  }

  private async execute(sql: string, values: TargetValue[]): Promise<StatementResult> {
    if (this.pending.length > 0 || !this.started) await this.send(false);
    const [r] = await this.c.execute(sql, values);
    const h = r as unknown as { affectedRows?: number; info?: string };
    return { affectedRows: h.affectedRows ?? 0, info: h.info ?? '' };
  }
}

/** Rows an UPDATE matched, from the server's info line (affectedRows counts changed rows only: no FOUND_ROWS). */
export function matchedRows(r: StatementResult): number {
  const m = /Rows matched:\s*(\d+)/.exec(r.info);
  // Without the info line, changed rows: 0 for a matched row left as it was only repeats an idempotent upsert.
  return m ? Number(m[1]) : r.affectedRows;
}
