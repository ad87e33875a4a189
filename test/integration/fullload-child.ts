// Child process of the kill -9 test: runs one full load from a JSON job in FERRY_FULLLOAD_JOB and never returns early.
import { TaskEvents } from '../../src/engine/events';
import { connectMysql } from '../../src/engine/mysql/connect';
import { connectPostgres } from '../../src/engine/postgres/connect';
import { introspectMysql } from '../../src/engine/mysql/introspect';
import { introspectPostgres } from '../../src/engine/postgres/introspect';
import { runFullLoad } from '../../src/engine/fullload';
import { identityMappings, makeTask, mysqlConn, pgConn } from './fullload-helpers';
import { mysqlUrl, pgUrl } from '../helpers/db';

interface Job { engine: 'mysql' | 'postgres'; src: string; dst: string; task: string; chunkRows: number; parallelism: number }

export async function fullLoadJob(job: Job, events = new TaskEvents(job.task), signal = new AbortController().signal) {
  const conn = job.engine === 'mysql' ? mysqlConn : pgConn;
  let schema;
  if (job.engine === 'mysql') {
    const c = await connectMysql(conn(job.src));
    schema = await introspectMysql(c, job.src);
    await c.end();
  } else {
    const c = await connectPostgres(conn(job.src));
    schema = await introspectPostgres(c);
    await c.end();
  }
  const tables = identityMappings(schema, (t) => (job.engine === 'mysql' ? job.dst : t.schema));
  const url = job.engine === 'mysql' ? mysqlUrl : pgUrl;
  const task = makeTask(job.task, url(job.src), url(job.dst), job.engine === 'postgres' ? ['full', 'incremental'] : ['full']);
  return runFullLoad({ task, source: conn(job.src), target: conn(job.dst), tables, events, signal, parallelism: job.parallelism, chunkRows: job.chunkRows });
}

if (require.main === module) {
  fullLoadJob(JSON.parse(process.env.FERRY_FULLLOAD_JOB ?? '{}') as Job).then(
    () => process.exit(0),
    (err) => { process.stderr.write(`${(err as Error).message}\n`); process.exit(1); });
}
