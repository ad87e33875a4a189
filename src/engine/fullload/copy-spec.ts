// Builds a table's CopySpec: which columns travel and the row converter that applies ColumnMapping.convert once.
import type { SourceValue, TableMapping } from '../convert/types';
import { FerryError, ValueConversionError } from '../errors';
import { describeKey, describeValue } from './planner';
import type { CopySpec, TargetRow } from './types';

export function tableId(mapping: TableMapping): string {
  return `${mapping.source.schema}.${mapping.source.name}`;
}

export function buildCopySpec(mapping: TableMapping): CopySpec {
  // Generated target columns compute their own values; the target refuses explicit ones.
  // A column generated on the target computes itself; a source-generated column that the target keeps as a
  // plain column (its expression could not be translated) is copied with the values the source computed.
  const columns = mapping.columns.filter((c) => !c.target.generated);
  if (columns.length === 0) {
    throw new FerryError('NO_COLUMNS', `table ${tableId(mapping)} has no column to copy`, { fix: 'exclude the table from the task' });
  }
  const id = tableId(mapping);
  const keyIndexes = mapping.key.map((k) => columns.findIndex((c) => c.source.name === k));
  const converters = columns.map((c) => c.convert);
  const n = columns.length;
  const hasConverter = converters.some((c) => c !== undefined);

  const convertRow = (row: SourceValue[]): TargetRow => {
    if (row.length !== n) {
      throw new FerryError('ROW_SHAPE', `table ${id}: the source returned ${row.length} values for ${n} columns`);
    }
    if (!hasConverter) return row;
    const out: TargetRow = new Array(n);
    for (let i = 0; i < n; i++) {
      const v = row[i];
      const convert = converters[i];
      if (v === null || convert === undefined) { out[i] = v; continue; }
      try {
        out[i] = convert(v);
      } catch (err) {
        const key = keyIndexes.every((k) => k >= 0)
          ? `key (${describeKey(mapping.key, keyIndexes.map((k) => row[k] as string | Buffer))})`
          : `row without key (${columns.slice(0, 3).map((c, j) => `${c.source.name}=${describeValue(row[j])}`).join(', ')}…)`;
        const reason = err instanceof Error ? err.message : String(err);
        throw new ValueConversionError(
          `table ${id}, ${key}, column ${columns[i].source.name}: value ${describeValue(v)} cannot be converted: ${reason}`,
          (err as FerryError).fix ?? 'fix the value on the source, or change the column type in the schema overrides (or enable options.lossless)');
      }
    }
    return out;
  };
  return { mapping, columns, tableId: id, convertRow };
}
