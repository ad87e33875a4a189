// The runner resumes a schema phase that a kill interrupted: objects that exist are stepped over, the rest
// is applied, and the task goes on to copy the rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport } from '../../src/engine/convert/report';
import { openMetaStore } from '../../src/engine/meta';
import { TaskRunner } from '../../src/engine/runner';
import { applyPhases, convertTaskSchema } from '../../src/engine/schema';
import { taskConnections, validateTask } from '../../src/engine/task';
import {
  MYSQL_PASSWORD, PG_PASSWORD, createMysqlDb, createPgDb, dropMysqlDb, dropPgDb, loadSakila, mariadb, mysqlUrl, pgUrl, psql,
} from '../helpers/db';

for (const engine of ['postgres', 'mysql'] as const) {
  test(`a schema phase interrupted half-way on ${engine} continues and the full load completes`, async (t) => {
    const src = await loadSakila('resume_src');
    const dst = engine === 'postgres' ? await createPgDb('resume_dst') : await createMysqlDb('resume_dst');
    t.after(async () => { await dropMysqlDb(src); if (engine === 'postgres') await dropPgDb(dst); else await dropMysqlDb(dst); });
    const task = validateTask({ name: `resume-${engine}`, source: mysqlUrl(src), target: engine === 'postgres' ? pgUrl(dst) : mysqlUrl(dst), phases: ['schema', 'full'] });
    const passwords = { source: MYSQL_PASSWORD, target: engine === 'postgres' ? PG_PASSWORD : MYSQL_PASSWORD };
    const { source, target } = taskConnections(task, passwords);

    // What a run killed in the middle of its schema phase leaves behind: the start mark and half the tables.
    const report = buildReport(await convertTaskSchema(task, source, target), task.schemaOverrides);
    const preData = report.objects.filter((o) => o.phase === 'pre-data' && o.targetDdl.trim() !== '');
    const firstHalf = new Set(preData.slice(0, Math.ceil(preData.length / 2)).map((o) => o.id));
    const meta = await openMetaStore(target, task.name);
    await meta.saveTask({ details: { schemaStarted: true } });
    await meta.close();
    const partial = await applyPhases(target, report, ['pre-data'], { only: (o) => firstHalf.has(o.id) });
    assert.ok(partial.every((r) => r.ok) && partial.length === firstHalf.size);

    await new TaskRunner(task, passwords).run({ until: 'full' });

    const count = (table: string) => Number(engine === 'postgres'
      ? psql(dst, `SELECT count(*) FROM public.${table}`).trim()
      : mariadb(dst, `SELECT count(*) FROM \`${table}\``).trim());
    assert.equal(count('rental'), Number(mariadb(src, 'SELECT count(*) FROM rental').trim()));
    assert.equal(count('film_actor'), 5462);
    const m2 = await openMetaStore(target, task.name);
    const record = await m2.loadTask();
    await m2.close();
    assert.equal(record?.state, 'finished');
    assert.equal(record?.details.postDataApplied, true);
  });
}
