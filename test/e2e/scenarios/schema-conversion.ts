// Scenario: Show Schema Conversion — the diff webview lists the objects and a Warning, takes an edit of one
// table's DDL, Validate shows the server's error for a broken edit and passes a good one, the panel and its
// unsaved edit come back after a window reload, Save, Apply.
import { pgAdmin } from '../../helpers/db';
import { readTask, runTaskCommand } from '../lib/ferry-ui';
import { expect, type Scenario } from '../lib/scenario';
import { squash } from '../lib/workbench';

/** The hand edit: film_text.title widened from varchar(255) to varchar(300). */
const TITLE = /("?title"?\s+(?:character varying|varchar)\()255(\))/i;
const EDITED_TABLE = 'film_text';

export const schemaConversion: Scenario = {
  name: 'Show Schema Conversion lists objects with a Warning; Validate rejects a broken edit with the server error and passes a good one; a window reload restores the panel and the edit; Save and Apply',
  dir: '04-schema-conversion',
  timeoutMs: 180_000,
  async run({ wb, workspace, targetDb, names, notes }) {
    await runTaskCommand(wb, 'Ferry: Show Schema Conversion', names.task);
    const list = await wb.webviewElement('[data-object-id]', 90_000);
    await list.waitFor();
    const view = wb.webview();
    const ids = await view.locator('[data-object-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-object-id') ?? ''));
    const tableIds = [...new Set(ids.filter((id) => id.startsWith('table:')))];
    // Checked last, so one listing fault does not hide what the rest of the flow does.
    const listedTwice = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    expect(tableIds.length >= 16, `the object list shows ${tableIds.length} tables (Sakila has 16): ${ids.slice(0, 20).join(', ')}`);
    for (const kind of ['view:', 'index:', 'foreign_key:']) {
      expect(ids.some((id) => id.startsWith(kind)), `the object list has no ${kind} objects: ${ids.slice(0, 30).join(', ')}`);
    }
    await wb.screenshot('object-list');

    // A Warning: film's ENUM/SET/YEAR columns have no exact PostgreSQL type.
    const filmId = tableIds.find((id) => /\.film$/.test(id));
    expect(filmId, `no film table in ${tableIds.join(', ')}`);
    await view.locator(`[data-object-id="${filmId}"]`).first().click();
    const warnings = view.locator('#warnings li');
    await warnings.first().waitFor({ timeout: 20_000 });
    const warningTexts = (await warnings.allInnerTexts()).map(squash);
    expect(warningTexts.length > 0 && warningTexts.every((w) => w.length > 10), `film's warnings: ${warningTexts.join(' | ')}`);
    await wb.screenshot('film-warnings');

    // Edit film_text: first a broken type, which the target server rejects.
    const editedId = tableIds.find((id) => id.endsWith(`.${EDITED_TABLE}`));
    expect(editedId, `no ${EDITED_TABLE} table in ${tableIds.join(', ')}`);
    notes.set('editedObject', editedId);
    // The table's CREATE TABLE entry (an id may also carry e.g. its identity restart; see listedTwice).
    const editor = view.locator('#target-ddl');
    const entries = view.locator(`[data-object-id="${editedId}"]`);
    let generated = '';
    for (let i = 0; i < await entries.count() && !/CREATE TABLE/i.test(generated); i++) {
      await entries.nth(i).click();
      await editor.waitFor();
      await new Promise((r) => setTimeout(r, 200));
      generated = await editor.inputValue();
    }
    expect(TITLE.test(generated), `${EDITED_TABLE}'s converted DDL has no title varchar(255):\n${generated}`);
    await editor.fill(generated.replace(TITLE, 'title no_such_type_e2e'));
    await view.locator('#validate').click();
    const result = view.locator('#validation-result');
    await result.filter({ hasText: /no_such_type_e2e|does not exist|error/i }).waitFor({ timeout: 30_000 });
    const bad = squash(await result.innerText());
    expect(/type "no_such_type_e2e" does not exist/.test(bad), `Validate of the broken edit shows: "${bad}"`);
    await wb.screenshot('validate-broken-edit-server-error');

    // The good edit validates.
    const good = generated.replace(TITLE, '$1300$2');
    await editor.fill(good);
    await view.locator('#validate').click();
    await result.filter({ hasNotText: /no_such_type_e2e/ }).filter({ hasText: /valid|ok|pass/i }).waitFor({ timeout: 30_000 });
    const okText = squash(await result.innerText());
    expect(!/error|fail|does not exist/i.test(okText), `Validate of the good edit shows: "${okText}"`);
    await wb.screenshot('validate-good-edit-passes');

    // A window reload brings the panel back (webview serializer) with the unsaved edit still in the editor.
    await wb.runCommand('Developer: Reload Window');
    await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await wb.webviewElement('[data-object-id]', 90_000);
    const restored = view.locator('#target-ddl');
    await restored.waitFor({ timeout: 30_000 });
    const reloadDeadline = Date.now() + 20_000;
    let restoredText = await restored.inputValue();
    while (restoredText !== good && Date.now() < reloadDeadline) {
      await new Promise((r) => setTimeout(r, 300));
      restoredText = await restored.inputValue();
    }
    expect(restoredText === good, `after a window reload the panel shows:\n${restoredText.slice(0, 400)}`);
    await wb.screenshot('restored-after-reload');

    // Save: the override lands in the task file.
    await view.locator('#save').click();
    const deadline = Date.now() + 20_000;
    let override: string | undefined;
    while (Date.now() < deadline && !override) {
      override = readTask(workspace, names.task).task.schemaOverrides[editedId];
      if (!override) await new Promise((r) => setTimeout(r, 300));
    }
    expect(override && /title"?\s+(character varying|varchar)\(300\)/i.test(override), `the task file's override of ${editedId}: ${override ?? 'missing'}`);
    await wb.screenshot('saved-override');

    // Apply: the target gets the schema with the edited actor table.
    await view.locator('#apply').click();
    await view.locator('#banner').filter({ hasText: /Applied \d+ object/ }).waitFor({ timeout: 90_000 }).catch(async () => {
      const banner = squash(await view.locator('#banner').innerText().catch(() => ''));
      throw new Error(`Apply did not report success; the page says: "${banner}"`);
    });
    await wb.screenshot('applied');
    const c = await pgAdmin(targetDb);
    try {
      const r = await c.query("SELECT character_maximum_length AS len FROM information_schema.columns WHERE table_name = $1 AND column_name = 'title'", [EDITED_TABLE]);
      expect(r.rows.length === 1 && Number(r.rows[0].len) === 300, `target ${EDITED_TABLE}.title length after Apply: ${JSON.stringify(r.rows)}`);
    } finally { await c.end(); }
    expect(listedTwice.length === 0, `the object list shows ${listedTwice.length} objects twice: ${listedTwice.slice(0, 5).join(', ')}`);
  },
};
