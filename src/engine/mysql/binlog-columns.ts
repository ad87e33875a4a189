// Loads the live column definitions the binlog decoder needs (signedness, charset, ENUM/SET labels) from
// information_schema, since MariaDB's TABLE_MAP carries no such metadata by default.
import type { Connection } from 'mysql2/promise';
import type { QualifiedName } from '../model';
import { qualifiedKey } from '../model';
import type { BinlogColumn } from './binlog-values';

interface ColumnRow {
  TABLE_SCHEMA: string; TABLE_NAME: string; COLUMN_NAME: string; DATA_TYPE: string; COLUMN_TYPE: string;
  CHARACTER_SET_NAME: string | null; CHARACTER_OCTET_LENGTH: string | null; NUMERIC_SCALE: string | null;
}

/** Parses the labels of `enum('a','b''c')` / `set(...)` column types. */
export function parseLabels(columnType: string): string[] {
  const body = columnType.slice(columnType.indexOf('(') + 1, columnType.lastIndexOf(')'));
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) out.push(m[1].replace(/''/g, "'"));
  return out;
}

export function binlogColumn(r: Pick<ColumnRow, 'COLUMN_NAME' | 'DATA_TYPE' | 'COLUMN_TYPE' | 'CHARACTER_SET_NAME' | 'CHARACTER_OCTET_LENGTH' | 'NUMERIC_SCALE'>): BinlogColumn {
  const dataType = r.DATA_TYPE.toLowerCase();
  const type = r.COLUMN_TYPE.toLowerCase();
  const col: BinlogColumn = { name: r.COLUMN_NAME, dataType, unsigned: /\bunsigned\b/.test(type) };
  if (r.CHARACTER_SET_NAME) col.charset = r.CHARACTER_SET_NAME;
  else if (/char|text|enum|set/.test(dataType)) col.charset = 'binary';
  if (dataType === 'enum' || dataType === 'set') col.labels = parseLabels(r.COLUMN_TYPE);
  if (dataType === 'binary') col.binaryLength = Number(r.CHARACTER_OCTET_LENGTH ?? 0);
  if ((dataType === 'float' || dataType === 'double') && /\(\d+,\d+\)/.test(type) && r.NUMERIC_SCALE !== null) col.fixedDecimals = Number(r.NUMERIC_SCALE);
  return col;
}

/** The live columns of each table, in ordinal order, keyed by `schema.name`. */
export async function loadBinlogColumns(conn: Connection, tables: QualifiedName[]): Promise<Map<string, BinlogColumn[]>> {
  const out = new Map<string, BinlogColumn[]>();
  if (tables.length === 0) return out;
  const conds = tables.map(() => '(TABLE_SCHEMA = ? AND TABLE_NAME = ?)').join(' OR ');
  const [rows] = await conn.execute(
    `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, CHARACTER_OCTET_LENGTH, NUMERIC_SCALE
       FROM information_schema.COLUMNS WHERE ${conds} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
    tables.flatMap((t) => [t.schema, t.name])) as unknown as [ColumnRow[]];
  for (const r of rows) {
    const key = qualifiedKey({ schema: r.TABLE_SCHEMA, name: r.TABLE_NAME });
    let list = out.get(key);
    if (!list) { list = []; out.set(key, list); }
    list.push(binlogColumn(r));
  }
  return out;
}
