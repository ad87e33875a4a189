// Scenario: Start — the task row shows progress, then "caught up" with lag while a writer keeps changing
// the source; the output channel shows the phases; Verify reports equal; Cutover ends with the switch report.
// Afterwards the engine's own verify proves the target holds Sakila, the hand edit and the writer's changes.
import { mariadb, pgAdmin } from '../../helpers/db';
import { readTask, waitForTaskRow } from '../lib/ferry-ui';
import { expect, type Scenario } from '../lib/scenario';
import { SourceWriter } from '../lib/source-writer';

export const startVerifyCutover: Scenario = {
  name: 'Start shows progress then "caught up" with lag under a live writer; the log shows the phases; Verify is equal; Cutover reports the switch',
  dir: '05-start-verify-cutover',
  timeoutMs: 300_000,
  async run({ wb, server, mysql, pg, sourceDb, targetDb, names, notes }) {
    await wb.clickActivity('Ferry');
    await wb.clearNotifications();
    await wb.waitForTreeRow('Tasks', names.task);
    const writer = await SourceWriter.start(sourceDb, 5);
    let writerStopped = false;
    try {
      await wb.screenshot('task-before-start');
      await wb.contextMenu('Tasks', names.task, 'Start');
      let shotProgress = false;
      const states = await waitForTaskRow(wb, names.task, /caught up.*lag \d/i, {
        timeout: 180_000, fail: /failed/i,
        onChange: async (text) => {
          if (!shotProgress && /\d+%|rows\/s/.test(text)) { shotProgress = true; await wb.screenshot('progress'); }
        },
      });
      expect(states.some((s) => /running/i.test(s)), `the task row never showed "running": ${states.join(' → ')}`);
      await wb.screenshot('caught-up-with-lag');
      // The table children carry their copied rows.
      await wb.expand('Tasks', names.task);
      const rows = await wb.treeRows('Tasks');
      expect(rows.some((r) => /^(\S+\.)?film .*1,000 .*rows/.test(r)), `the task's table rows: ${rows.join(' | ')}`);
      await wb.screenshot('task-tables');

      // Let the writer run on against the caught-up task, then stop it and wait until the target catches up.
      await new Promise((r) => setTimeout(r, 5000));
      const tally = await writer.stop();
      writerStopped = true;
      notes.set('writer', JSON.stringify(tally));
      expect(tally.inserted > 0 && tally.updated > 0, `the writer changed nothing: ${JSON.stringify(tally)}`);
      await new Promise((r) => setTimeout(r, 3000));
      await waitForTaskRow(wb, names.task, /caught up.*lag \d/i, { timeout: 60_000, fail: /failed/i });

      // The output channel shows each phase.
      const phaseLines = await wb.outputLines('Ferry', 'phase');
      await wb.screenshot('output-channel-phases');
      const log = server.channelLog('Ferry');
      // The schema was applied from the diff view (previous scenario), so the run reports that phase skipped.
      for (const [phase, status] of [['schema', 'skipped'], ['full', 'started'], ['indexes', 'started'], ['incremental', 'started']]) {
        expect(new RegExp(`\\[${names.task}\\].*phase ${phase} ${status}`).test(log), `the Ferry log has no "phase ${phase} ${status}" line:\n${log.split('\n').slice(-30).join('\n')}`);
      }
      expect(phaseLines.some((l) => /phase \w+ (started|finished)/.test(l)), `the Output view (filtered on "phase") shows: ${phaseLines.join(' | ')}`);

      // Verify from the palette: equal.
      await wb.clearNotifications();
      await wb.runCommand('Ferry: Verify');
      await wb.pick(/Verify which task/i, names.task);
      const verified = await wb.waitForNotification(new RegExp(`${names.task} (verified|differs)`), { timeout: 120_000 });
      await wb.screenshot('verify-report');
      expect(/source and target are equal/.test(verified.text), `Verify says: "${verified.text}"`);

      // Cutover without making the shared test server read-only.
      await wb.clearNotifications();
      await wb.runCommand('Ferry: Cutover');
      await wb.pick(/Cut over which task/i, names.task);
      await wb.pick(/cutover of/i, /Switch without touching the source/);
      const switched = await wb.waitForNotification(new RegExp(`${names.task} (switched over|cutover)`), { timeout: 180_000 });
      await wb.screenshot('cutover-report');
      expect(/switched over at .*rows verified equal/.test(switched.text), `Cutover says: "${switched.text}"`);
      const report = await wb.activeEditorText();
      expect(/Switch-over complete/.test(report), `the cutover report shows:\n${report.slice(0, 500)}`);
      notes.set('cutoverReport', report);
      await waitForTaskRow(wb, names.task, /switched/i, { timeout: 30_000 });
      await wb.screenshot('task-switched');
    } finally {
      if (!writerStopped) await writer.stop().catch(() => undefined);
    }

    // The engine's verify, independent of the UI: Sakila, the writer's changes and the hand edit are in the target.
    // Loaded here, not at the top: a broken engine build fails this scenario, not the whole suite.
    const { verifyTask } = await import('../../../src/engine/api');
    const { task } = readTask(server.workspace, names.task);
    const report = await verifyTask(task, { source: mysql.password, target: pg.password });
    const differing = report.tables.filter((t) => t.sourceRows !== t.targetRows || t.differences.length > 0 || t.mismatchedChunks > 0);
    expect(report.equal && differing.length === 0, `engine verify: not equal in ${differing.map((t) => `${t.table} (${t.sourceRows}/${t.targetRows})`).join(', ')}`);
    expect(report.tables.length >= 16, `engine verify compared ${report.tables.length} tables`);
    const writerActors = Number(mariadb(sourceDb, "SELECT COUNT(*) FROM actor WHERE first_name = 'E2E'").trim());
    const c = await pgAdmin(targetDb);
    try {
      const r = await c.query("SELECT COUNT(*)::int AS n FROM actor WHERE first_name = 'E2E'");
      expect(r.rows[0].n === writerActors && writerActors > 0, `writer's actors: source ${writerActors}, target ${r.rows[0].n}`);
      const len = await c.query("SELECT character_maximum_length AS len FROM information_schema.columns WHERE table_name = 'film_text' AND column_name = 'title'");
      expect(Number(len.rows[0]?.len) === 300, `the hand-edited film_text.title is ${JSON.stringify(len.rows)} in the target (${notes.get('editedObject')})`);
    } finally { await c.end(); }

    // What the user read must be clean: no unrendered values in the report, no error lines for a run that worked.
    const shown = notes.get('cutoverReport') ?? '';
    expect(!/\[object Object\]|undefined|NaN/.test(shown), `the cutover report shows an unrendered value:\n${shown.split('\n').filter((l) => /\[object Object\]|undefined|NaN/.test(l)).join('\n')}`);
    const errors = server.channelLog('Ferry').split('\n').filter((l) => l.includes(`[error] [${names.task}]`));
    expect(errors.length === 0, `the Ferry log has error lines for a migration that succeeded:\n${errors.join('\n')}`);
  },
};
