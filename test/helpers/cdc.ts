// Reading decoded transactions straight off a change stream (binlog or pgoutput reader) in reader tests.
import type { ChangeStream, SourceTransaction, StreamItem } from '../../src/engine/cdc/events';

/** The next `count` transactions of the stream (position items skipped); fewer if the stream ends. */
export async function collectTransactions(stream: ChangeStream, count: number): Promise<SourceTransaction[]> {
  const out: SourceTransaction[] = [];
  const it = stream[Symbol.asyncIterator]();
  while (out.length < count) {
    const r = await it.next() as IteratorResult<StreamItem>;
    if (r.done) break;
    if (r.value.kind === 'transaction') out.push(r.value.tx);
  }
  return out;
}
