// Child process for the kill -9 test: runs runIncremental until killed. Input: one JSON argument.
import { parseConnectionUrl, withPassword } from '../../src/engine/connection';
import { TaskEvents } from '../../src/engine/events';
import { validateTask } from '../../src/engine/task';
import { runIncremental } from '../../src/engine/cdc/replicator';

const input = JSON.parse(process.argv[2]);
const task = validateTask(input.task);
const source = withPassword(parseConnectionUrl(task.source), process.env.FERRY_SOURCE_PASSWORD);
const target = withPassword(parseConnectionUrl(task.target), process.env.FERRY_TARGET_PASSWORD);
const events = new TaskEvents(task.name);
events.onType('checkpoint', () => process.stdout.write('checkpoint\n'));
runIncremental({ task, source, target, tables: input.tables, start: input.start, events, signal: new AbortController().signal, parallelism: 4 })
  .catch((e: Error) => { process.stderr.write(`${e.message}\n`); process.exit(1); });
