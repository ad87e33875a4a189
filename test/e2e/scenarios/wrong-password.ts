// Scenario: a failure a user meets — a wrong password gives a clear message and an action that fixes it.
import { answerConnectionForm } from '../lib/ferry-ui';
import { expect, type Scenario } from '../lib/scenario';

export const wrongPassword: Scenario = {
  name: 'A wrong password gives a clear message with "Update password", and the updated password connects',
  dir: '06-wrong-password',
  timeoutMs: 120_000,
  async run({ wb, server, mysql, sourceDb }) {
    const name = 'E2E MariaDB typo';
    const wrong = 'not-the-password-e2e';
    await wb.clickActivity('Ferry');
    await wb.clearNotifications();
    await wb.runCommand('Ferry: New Connection');
    await answerConnectionForm(wb, { engine: 'MySQL / MariaDB', name, server: mysql, database: sourceDb, password: wrong });
    const error = await wb.waitForNotification(new RegExp(`Ferry \\(${name}\\)`), { timeout: 60_000, failure: new RegExp(`${name} connected`) });
    await wb.screenshot('wrong-password-error');
    // Clear: says what was refused, for which server user, and what to do.
    expect(/password|access denied|authentication/i.test(error.text), `the error does not say the password was refused: "${error.text}"`);
    expect(error.text.includes(mysql.user) && error.text.includes(String(mysql.port)), `the error does not name the server user: "${error.text}"`);
    expect(!error.text.includes(wrong), 'the error shows the typed password');
    expect(error.buttons.includes('Update password'), `the error offers ${error.buttons.join(', ') || 'no action'}, not "Update password"`);

    // The action asks for the password again (hidden input), stores it; the next test connects.
    await wb.clickNotificationButton(new RegExp(`Ferry \\(${name}\\)`), 'Update password');
    await wb.waitForQuickInput(/password/i);
    expect(await wb.quickInput.locator('.quick-input-box input').first().getAttribute('type') === 'password', 'the password box shows the typed text');
    await wb.screenshot('update-password-prompt');
    await wb.answerInput(/password/i, mysql.password);
    await wb.clearNotifications();
    await wb.contextMenu('Connections', name, 'Test Connection');
    const ok = await wb.waitForNotification(new RegExp(`${name} connected`), { timeout: 60_000, failure: new RegExp(`Ferry \\(${name}\\)`) });
    expect(/MariaDB/.test(ok.text), `after the update: "${ok.text}"`);
    await wb.screenshot('connected-after-update');

    // Neither password was written to the Ferry log.
    const log = server.channelLog('Ferry');
    expect(!log.includes(wrong) && !log.includes(mysql.password), 'the Ferry log contains a password');
  },
};
