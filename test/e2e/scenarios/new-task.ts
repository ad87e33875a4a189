// Scenario: New Migration Task Sakila (MariaDB) -> PostgreSQL through the three steps; the pre-check results
// are shown; the task file appears in .ferry/ without any password in it.
import { existsSync } from 'node:fs';
import { readTask, taskFile } from '../lib/ferry-ui';
import { expect, type Scenario } from '../lib/scenario';

export const newTask: Scenario = {
  name: 'New Migration Task Sakila -> PostgreSQL in three steps shows the pre-check and writes a task file without a password',
  dir: '03-new-task',
  timeoutMs: 180_000,
  async run({ wb, workspace, mysql, pg, sourceDb, targetDb, names }) {
    await wb.clickActivity('Ferry');
    await wb.clearNotifications();
    await wb.runCommand('Ferry: New Migration Task');

    // Step 1: source and target.
    await wb.pick(/migrate from/i, names.mysqlConnection);
    await wb.pick(new RegExp(`Database on ${names.mysqlConnection}`), sourceDb);
    await wb.pick(/migrate to\b/i, names.pgConnection);
    await wb.pick(new RegExp(`Database on ${names.pgConnection}`), targetDb);

    // Step 2: objects (all Sakila tables offered and checked), migration types, parallelism, name.
    await wb.waitForQuickInput(/Tables to migrate/i, 60_000);
    const tables = await wb.quickPickItems();
    for (const t of ['actor', 'film', 'payment', 'rental', 'inventory']) {
      expect(tables.some((r) => r.startsWith(`${t} `)), `the objects step does not offer ${t}: ${tables.join(' | ')}`);
    }
    await wb.screenshot('step2-objects');
    await wb.acceptQuickInput();
    await wb.waitForQuickInput(/What the task does/i);
    const types = await wb.quickPickItems();
    expect(['Schema', 'Full load', 'Incremental'].every((t) => types.some((r) => r.startsWith(t))), `migration types offered: ${types.join(' | ')}`);
    await wb.screenshot('step2-migration-types');
    await wb.acceptQuickInput();
    await wb.answerInput(/Tables\/chunks copied/i, '2');
    await wb.answerInput(/Task name/i, names.task);

    // Step 3: the pre-check results, then save.
    const title = await wb.waitForQuickInput(/pre-check: \d+ passed/i, 90_000);
    const checks = await wb.quickPickItems();
    expect(checks.length >= 4, `the pre-check shows too few rows: ${checks.join(' | ')}`);
    await wb.screenshot('step3-precheck-results');
    // Filtering the results, as a user looking for one check does: the binlog settings were checked.
    const binlog = await wb.filterQuickPick('binlog');
    expect(binlog.some((r) => /binlog/i.test(r) && /pass|warn|fail/.test(r)), `the pre-check shows no binlog check: ${binlog.join(' | ')}`);
    await wb.screenshot('step3-precheck-binlog');
    await wb.filterQuickPick('');
    const failedChecks = Number(/(\d+) failed/.exec(title)?.[1] ?? '0');
    expect(failedChecks === 0, `the pre-check of Sakila -> PostgreSQL failed ${failedChecks} checks: ${checks.slice(0, 6).join(' | ')}`);
    await wb.pick(/pre-check:/i, /Save task/);
    const saved = await wb.waitForNotification(new RegExp(`task ${names.task} saved`), { timeout: 30_000 });
    expect(saved.buttons.includes('Show Schema Conversion'), `the saved notification offers: ${saved.buttons.join(', ')}`);
    await wb.screenshot('task-saved');

    // The task file: in .ferry/, naming both sides, holding no password anywhere.
    const file = taskFile(workspace, names.task);
    expect(existsSync(file), `no task file at ${file}`);
    const { task, text } = readTask(workspace, names.task);
    expect(task.source === `mysql://${mysql.user}@${mysql.host}:${mysql.port}/${sourceDb}`, `task source is ${task.source}`);
    expect(task.target === `postgres://${pg.user}@${pg.host}:${pg.port}/${targetDb}`, `task target is ${task.target}`);
    expect(task.parallelism === 2, `task parallelism is ${task.parallelism}`);
    expect(task.phases.join(',') === 'schema,full,incremental', `task phases are ${task.phases.join(',')}`);
    for (const pw of new Set([mysql.password, pg.password])) expect(!text.includes(pw), 'the task file contains a password');
    await wb.waitForTreeRow('Tasks', names.task);
    const row = (await wb.treeRows('Tasks')).find((r) => r.startsWith(names.task));
    expect(row && /not started/i.test(row), `the Tasks view shows "${row}" for the new task`);
    await wb.screenshot('task-in-tree');
  },
};
