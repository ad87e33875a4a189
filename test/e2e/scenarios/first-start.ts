// Scenario: the first start after installing the .vsix — the Ferry icon and both views with welcome content.
import { expect, type Scenario } from '../lib/scenario';

export const firstStart: Scenario = {
  name: 'First start: the Ferry activity-bar icon and both tree views with their welcome content',
  dir: '01-first-start',
  timeoutMs: 90_000,
  async run({ wb }) {
    const icon = wb.activityItem('Ferry');
    await icon.waitFor({ timeout: 60_000 });
    await wb.screenshot('activity-bar-icon');
    await wb.clickActivity('Ferry');

    for (const [view, action] of [['Connections', /connection/i], ['Tasks', /task/i]] as const) {
      const pane = await wb.view(view);
      const welcome = pane.locator('.welcome-view-content');
      await welcome.waitFor({ timeout: 30_000 });
      const text = await wb.welcomeText(view);
      expect(text.length > 20, `the ${view} view's welcome content is too short: "${text}"`);
      const buttons = (await welcome.locator('.monaco-button').allInnerTexts()).map((b) => b.trim());
      expect(buttons.some((b) => action.test(b)), `the ${view} welcome offers no ${action} button; buttons: ${buttons.join(', ') || 'none'}`);
      const rows = await wb.treeRows(view);
      expect(rows.length === 0, `the ${view} view should be empty on first start, shows: ${rows.join(' | ')}`);
    }
    await wb.screenshot('views-with-welcome-content');
  },
};
