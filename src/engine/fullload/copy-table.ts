// copyTableOnce: a plain copy of one table through the real reader, converter and writer (no snapshot position, no checkpoint).
import type { ConnectionConfig } from '../connection';
import type { TableMapping } from '../convert/types';
import { TaskEvents } from '../events';
import { buildCopySpec } from './copy-spec';
import { copyChunks } from './copier';
import { openReadSession, openTarget } from './endpoints';
import { ProgressTracker } from './progress';

export async function copyTableOnce(source: ConnectionConfig, target: ConnectionConfig, mapping: TableMapping,
  opts: { signal?: AbortSignal } = {}): Promise<{ rows: number }> {
  const spec = buildCopySpec(mapping);
  const events = new TaskEvents('copy-table');
  const progress = new ProgressTracker(events);
  progress.addTable(spec.tableId, 0);
  const reader = await openReadSession(source);
  try {
    const writer = await openTarget(target);
    try {
      const r = await copyChunks({
        task: 'copy-table', items: [{ spec, chunk: { id: 1, lower: null, upper: null, estimatedRows: 0 }, of: 1 }],
        sources: [reader], targets: [writer], events, progress, signal: opts.signal ?? new AbortController().signal,
      });
      return { rows: r.rows };
    } finally {
      await writer.close();
    }
  } finally {
    await reader.close();
  }
}
