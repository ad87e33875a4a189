// Drives the VS Code workbench in Chromium the way a user does: palette, activity bar, trees, quick inputs,
// notifications, the Output view and webviews; takes a screenshot at every step.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { CHROMIUM } from './paths';

/** Chromium flags for a headless, offline, container run (E2E.md). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function launchBrowser(headed: boolean): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: !headed, args: CHROMIUM_ARGS });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Text of an element with runs of white space folded, as a user reads it. */
export const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Notification { text: string; buttons: string[] }

export class Workbench {
  private shot = 0;
  /** Screenshots of the current scenario go to screenshots/<scenarioDir>/NN-name.png. */
  scenarioDir = 'misc';

  constructor(readonly page: Page, private readonly screenshotRoot: string) {}

  static async open(browser: Browser, url: string, screenshotRoot: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const wb = new Workbench(page, screenshotRoot);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The status bar renders once the workbench has restored its parts; before that clicks can get lost.
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
    return wb;
  }

  startScenario(dir: string): void {
    this.scenarioDir = dir;
    this.shot = 0;
  }

  /** Saves a full-window PNG; returns its path. */
  async screenshot(name: string): Promise<string> {
    const dir = path.join(this.screenshotRoot, this.scenarioDir);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${String(++this.shot).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  // ---- command palette and quick input ---------------------------------------------------------------

  get quickInput(): Locator { return this.page.locator('.quick-input-widget'); }
  private get quickInputBox(): Locator { return this.quickInput.locator('.quick-input-box input').first(); }

  /** Runs a command by its palette title (e.g. "Ferry: New Connection") via F1, picking the exact entry. */
  async runCommand(title: string): Promise<void> {
    await this.closeQuickInput();
    await this.page.keyboard.press('F1');
    await this.quickInputBox.waitFor({ state: 'visible', timeout: 15_000 });
    await this.quickInputBox.fill(`>${title}`);
    const row = this.quickInput.locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`) }) }).first();
    try {
      await row.waitFor({ timeout: 15_000 });
    } catch {
      const offered = await this.quickPickItems();
      throw new Error(`the command palette has no command "${title}"; it offers: ${offered.slice(0, 8).join(' | ') || 'nothing'}`);
    }
    await row.click();
  }

  async closeQuickInput(): Promise<void> {
    if (await this.quickInput.isVisible()) {
      await this.page.keyboard.press('Escape');
      await this.quickInput.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    }
  }

  /** Waits for a quick input (input box or pick) whose title, placeholder or prompt matches. */
  async waitForQuickInput(match: RegExp, timeout = 30_000): Promise<string> {
    const deadline = Date.now() + timeout;
    let seen = '';
    while (Date.now() < deadline) {
      if (await this.quickInput.isVisible()) {
        seen = await this.quickInputDescription();
        if (match.test(seen)) return seen;
      }
      await sleep(150);
    }
    throw new Error(`no quick input matching ${match} appeared within ${timeout / 1000} s (last seen: "${seen || 'none'}")`);
  }

  /** Title, placeholder, prompt and validation message of the open quick input, as one line. */
  async quickInputDescription(): Promise<string> {
    // No helper functions inside evaluate(): tsx would wrap them in a __name() call the page does not have.
    const parts = await this.quickInput.evaluate((el) => [
      Array.from(el.querySelectorAll('.quick-input-title')).map((e) => (e as HTMLElement).innerText).join(' '),
      (el.querySelector('.quick-input-box input') as HTMLInputElement | null)?.placeholder ?? '',
      el.querySelector('.quick-input-box input')?.getAttribute('aria-label') ?? '',
      Array.from(el.querySelectorAll('.quick-input-message')).map((e) => (e as HTMLElement).innerText).join(' '),
    ]);
    return parts.join(' | ').replace(/\s+/g, ' ');
  }

  /** Message under an input box (prompt or validation error). */
  async quickInputMessage(): Promise<string> {
    return squash(await this.quickInput.locator('.quick-input-message').innerText().catch(() => ''));
  }

  /** Types into the open input box and presses Enter. */
  async answerInput(prompt: RegExp, text: string): Promise<void> {
    await this.waitForQuickInput(prompt);
    await this.quickInputBox.fill(text);
    await sleep(100);
    await this.quickInputBox.press('Enter');
    await this.waitForQuickInputChange(prompt);
  }

  /** Rows of the open quick pick, each as "label description". */
  async quickPickItems(): Promise<string[]> {
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    const texts = await rows.evaluateAll((els) => els.map((el) => [el.querySelector('.label-name')?.textContent ?? el.textContent ?? '',
      el.querySelector('.label-description')?.textContent ?? ''].join(' ')));
    return texts.map(squash);
  }

  private pickRow(label: string | RegExp): Locator {
    const re = typeof label === 'string' ? new RegExp(`^\\s*${escapeRegExp(label)}`) : label;
    return this.quickInput.locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: re }) }).first();
  }

  /** In a single-select quick pick, chooses the item whose label starts with `label`. */
  async pick(prompt: RegExp, label: string | RegExp): Promise<void> {
    await this.waitForQuickInput(prompt);
    const row = this.pickRow(label);
    // Long lists render only the rows in view: filter by typing, as a user does, when the item is not there.
    const shown = await row.waitFor({ timeout: 3000 }).then(() => true, () => false);
    if (!shown && typeof label === 'string') await this.quickInputBox.fill(label.replace(/^\$\([\w-]+\)\s*/, ''));
    try {
      await row.waitFor({ timeout: 30_000 });
    } catch {
      throw new Error(`quick pick ${prompt} has no item ${label}; it offers: ${(await this.quickPickItems()).join(' | ')}`);
    }
    await row.click();
    await this.waitForQuickInputChange(prompt);
  }

  /** In a multi-select quick pick, makes exactly `labels` checked (others unchecked), then accepts with OK. */
  async pickMany(prompt: RegExp, labels: (string | RegExp)[]): Promise<void> {
    await this.waitForQuickInput(prompt);
    await this.quickInput.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 30_000 });
    // Start from nothing checked: the header's toggle-all checks everything, a second click clears it.
    const toggleAll = this.quickInput.locator('.quick-input-header .monaco-checkbox').first();
    const selectedCount = async () => Number((await this.quickInput.locator('.quick-input-count .monaco-count-badge').innerText().catch(() => '0')).replace(/\D+/g, '') || 0);
    if (await selectedCount() > 0) {
      if ((await toggleAll.getAttribute('aria-checked')) !== 'true') await toggleAll.click();
      await toggleAll.click();
    }
    for (const label of labels) {
      const row = this.pickRow(label);
      try { await row.waitFor({ timeout: 10_000 }); } catch {
        throw new Error(`quick pick ${prompt} has no item ${label}; it offers: ${(await this.quickPickItems()).join(' | ')}`);
      }
      if ((await row.getAttribute('aria-checked')) !== 'true') await row.locator('.monaco-checkbox').first().click();
    }
    let count = await selectedCount();
    for (let i = 0; i < 20 && count !== labels.length; i++) { await sleep(100); count = await selectedCount(); }
    if (count !== labels.length) throw new Error(`quick pick ${prompt}: ${count} items checked, wanted ${labels.length}`);
    await this.acceptQuickInput();
    await this.waitForQuickInputChange(prompt);
  }

  /** Presses the quick input's OK button when it has one, Enter otherwise. */
  async acceptQuickInput(): Promise<void> {
    const ok = this.quickInput.locator('.quick-input-action .monaco-button, .quick-input-ok .monaco-button').filter({ hasText: /^OK$/ }).first();
    if (await ok.isVisible().catch(() => false)) await ok.click();
    else await this.quickInputBox.press('Enter');
  }

  /** Waits until the quick input shows something else (next step) or closes. */
  private async waitForQuickInputChange(previous: RegExp, timeout = 30_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (!(await this.quickInput.isVisible())) return;
      // A validation message replaces the prompt: that is a refusal, not the next question.
      if (await this.quickInput.locator('.quick-input-box .monaco-inputbox.error').isVisible().catch(() => false)) {
        throw new Error(`the quick input ${previous} refused the answer: ${await this.quickInputMessage()}`);
      }
      const now = await this.quickInputDescription().catch(() => '');
      if (!previous.test(now)) return;
      await sleep(150);
    }
    const msg = await this.quickInputMessage();
    throw new Error(`the quick input ${previous} did not accept the answer${msg ? `: ${msg}` : ''}`);
  }

  // ---- activity bar, views, trees ------------------------------------------------------------------------

  activityItem(label: string): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${label}"], .activitybar .action-item[aria-label^="${label}"]`).first();
  }

  async clickActivity(label: string): Promise<void> {
    const item = this.activityItem(label);
    await item.waitFor({ timeout: 30_000 });
    const selected = await item.evaluate((el) => !!el.closest('.action-item')?.classList.contains('checked'));
    if (!selected) await item.click();
  }

  /** The sidebar pane of a view by its title (e.g. "Connections"), expanded if it was collapsed. */
  async view(title: string): Promise<Locator> {
    const pane = this.page.locator('.sidebar .pane').filter({
      has: this.page.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`, 'i') }),
    }).first();
    await pane.waitFor({ timeout: 30_000 });
    const header = pane.locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    return pane;
  }

  /** The view's welcome content (shown while its tree is empty), or '' when none shows within `timeout`. */
  async welcomeText(viewTitle: string, timeout = 10_000): Promise<string> {
    const pane = await this.view(viewTitle);
    const welcome = pane.locator('.welcome-view-content');
    if (!(await welcome.waitFor({ timeout }).then(() => true, () => false))) return '';
    return squash(await welcome.innerText());
  }

  /** The visible rows of a tree view, each as "label description" (e.g. "sakila 16 tables"). */
  async treeRows(viewTitle: string): Promise<string[]> {
    const pane = await this.view(viewTitle);
    const rows = await pane.locator('.monaco-list-row').evaluateAll((els) => els
      .map((el) => ({
        top: parseFloat((el as HTMLElement).style.top) || 0,
        text: [el.querySelector('.label-name')?.textContent ?? el.textContent ?? '',
          el.querySelector('.label-description')?.textContent ?? ''].join(' '),
      }))
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text));
    return rows.map(squash);
  }

  treeRow(pane: Locator, label: string | RegExp): Locator {
    const re = typeof label === 'string' ? new RegExp(`^\\s*${escapeRegExp(label)}`) : label;
    return pane.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name, .monaco-icon-label', { hasText: re }) }).first();
  }

  /** Waits until a row whose label matches is in the tree, polling (trees refresh asynchronously). */
  async waitForTreeRow(viewTitle: string, label: string | RegExp, timeout = 30_000): Promise<Locator> {
    const pane = await this.view(viewTitle);
    const row = this.treeRow(pane, label);
    const deadline = Date.now() + timeout;
    // Trees render only the rows in view: scroll through a long tree from the top to find the row.
    while (!(await row.isVisible().catch(() => false)) && Date.now() < deadline) {
      const scroller = pane.locator('.monaco-list .monaco-scrollable-element').first();
      if (await scroller.isVisible().catch(() => false)) {
        await scroller.hover();
        await this.page.mouse.wheel(0, -1_000_000);
        await sleep(100);
        for (let i = 0; i < 60 && !(await row.isVisible().catch(() => false)); i++) {
          const before = await pane.locator('.monaco-list-row').first().getAttribute('data-index');
          await this.page.mouse.wheel(0, 250);
          await sleep(80);
          const after = await pane.locator('.monaco-list-row').first().getAttribute('data-index');
          if (before === after && i > 2) break;
        }
      }
      if (await row.isVisible().catch(() => false)) break;
      await sleep(300);
    }
    try {
      await row.waitFor({ timeout: Math.max(1000, deadline - Date.now()) });
    } catch {
      throw new Error(`the ${viewTitle} view shows no row ${label}; it shows: ${(await this.treeRows(viewTitle)).join(' | ') || 'nothing'}`);
    }
    return row;
  }

  /** The text ("label description") of a tree row, scrolled into view first. */
  async treeRowText(viewTitle: string, label: string | RegExp): Promise<string> {
    const row = await this.waitForTreeRow(viewTitle, label);
    return squash(await row.evaluate((el) => [el.querySelector('.label-name')?.textContent ?? el.textContent ?? '',
      el.querySelector('.label-description')?.textContent ?? ''].join(' ')));
  }

  /** Types into the open quick pick's filter box and returns the rows left (empty text clears the filter). */
  async filterQuickPick(text: string): Promise<string[]> {
    await this.quickInputBox.fill(text);
    await sleep(400);
    return this.quickPickItems();
  }

  /** Expands a tree row (no-op when already expanded) and waits for its first child. */
  async expand(viewTitle: string, label: string | RegExp, timeout = 30_000): Promise<void> {
    const row = await this.waitForTreeRow(viewTitle, label);
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
    }
    const level = Number(await row.getAttribute('aria-level'));
    const index = Number(await row.getAttribute('data-index'));
    const pane = await this.view(viewTitle);
    const next = pane.locator(`.monaco-list-row[data-index="${index + 1}"]`);
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      // The first child is the next row of the list, one level deeper.
      if (await next.count() > 0 && Number(await next.first().getAttribute('aria-level')) > level) return;
      // The first child may be below the visible part of the tree: scroll a little to render it.
      if (await next.count() === 0 && await row.isVisible().catch(() => false)) {
        await pane.locator('.monaco-list').first().hover();
        await this.page.mouse.wheel(0, 60);
      }
      await sleep(200);
    }
    throw new Error(`${label} in ${viewTitle} did not show children within ${timeout / 1000} s`);
  }

  /** Collapses a tree row (no-op when it is collapsed or a leaf). */
  async collapse(viewTitle: string, label: string | RegExp): Promise<void> {
    const row = await this.waitForTreeRow(viewTitle, label);
    if ((await row.getAttribute('aria-expanded')) === 'true') await row.locator('.monaco-tl-twistie').click();
  }

  /** Right-clicks a tree row and chooses a context-menu entry. */
  async contextMenu(viewTitle: string, label: string | RegExp, entry: string): Promise<void> {
    const row = await this.waitForTreeRow(viewTitle, label);
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .monaco-menu a.action-menu-item')
      .filter({ has: this.page.locator('.action-label', { hasText: new RegExp(`^\\s*${escapeRegExp(entry)}\\s*$`) }) }).first();
    try {
      await item.waitFor({ timeout: 10_000 });
    } catch {
      const offered = (await this.page.locator('.context-view .monaco-menu .action-item .action-label').allInnerTexts()).map(squash).filter(Boolean);
      await this.page.keyboard.press('Escape');
      throw new Error(`the context menu of ${label} has no "${entry}"; it offers: ${offered.join(' | ') || 'nothing'}`);
    }
    // A menu ignores a click that arrives before the pointer has entered the item (it acts on mouseup after hover).
    await item.hover();
    await sleep(200);
    await item.click();
    await this.page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }

  /** The inline action buttons (hover icons) a tree row offers, by their titles. */
  async rowActions(viewTitle: string, label: string | RegExp): Promise<string[]> {
    const row = await this.waitForTreeRow(viewTitle, label);
    await row.hover();
    return (await row.locator('.actions .action-label').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).filter(Boolean);
  }

  // ---- notifications ----------------------------------------------------------------------------------

  /** Toasts now on screen. */
  async toasts(): Promise<Notification[]> {
    return this.readNotifications(this.page.locator('.notifications-toasts .notification-toast'));
  }

  private async readNotifications(items: Locator): Promise<Notification[]> {
    const out: Notification[] = [];
    for (const item of await items.all()) {
      const text = squash(await item.locator('.notification-list-item-message').innerText().catch(() => ''));
      const buttons = (await item.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts()).map(squash);
      if (text) out.push({ text, buttons });
    }
    return out;
  }

  /** Every notification in the notification centre (opens it, reads it, closes it again). */
  async notificationCentre(): Promise<Notification[]> {
    const centre = this.page.locator('.notifications-center');
    const wasVisible = await centre.isVisible().catch(() => false);
    if (!wasVisible) await this.runCommand('Notifications: Show Notifications');
    await centre.waitFor({ timeout: 10_000 });
    await sleep(300);
    const list = await this.readNotifications(centre.locator('.notification-list-item'));
    if (!wasVisible) await this.hideNotificationCentre();
    return list;
  }

  async hideNotificationCentre(): Promise<void> {
    const centre = this.page.locator('.notifications-center');
    if (!(await centre.isVisible().catch(() => false))) return;
    await centre.locator('.notifications-center-header .action-label.codicon-notifications-hide, .notifications-center-header [aria-label^="Hide Notifications"]').first().click()
      .catch(() => this.page.keyboard.press('Escape'));
    await centre.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }

  /**
   * Waits for a toast matching `text`; fails early when one matching `failure` shows. On time-out the
   * notification centre is read once too (a toast may have been hidden meanwhile) before giving up.
   * Clear old notifications before the action (clearNotifications) so an earlier one cannot match.
   */
  async waitForNotification(text: RegExp, opts: { timeout?: number; failure?: RegExp } = {}): Promise<Notification> {
    const timeout = opts.timeout ?? 30_000;
    const deadline = Date.now() + timeout;
    const seen = new Map<string, Notification>();
    while (Date.now() < deadline) {
      for (const n of await this.toasts()) seen.set(n.text, n);
      if (await this.page.locator('.notifications-center').isVisible().catch(() => false)) {
        for (const n of await this.readNotifications(this.page.locator('.notifications-center .notification-list-item'))) seen.set(n.text, n);
      }
      const hit = [...seen.values()].find((n) => text.test(n.text));
      if (hit) return hit;
      const bad = opts.failure && [...seen.values()].find((n) => opts.failure!.test(n.text));
      if (bad) throw new Error(`expected a notification ${text}, got: "${bad.text}"`);
      await sleep(200);
    }
    for (const n of await this.notificationCentre().catch(() => [])) seen.set(n.text, n);
    const late = [...seen.values()].find((n) => text.test(n.text));
    if (late) return late;
    throw new Error(`no notification ${text} within ${timeout / 1000} s; shown: ${[...seen.keys()].map((t) => `"${t}"`).join(', ') || 'none'}`);
  }

  /** Clicks a button of the notification matching `text` (its toast, or in the notification centre). */
  async clickNotificationButton(text: RegExp, button: string): Promise<void> {
    const inList = (root: string) => this.page.locator(`${root} .notification-list-item`)
      .filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) }).first();
    let item = inList('.notifications-toasts');
    let opened = false;
    if (!(await item.isVisible().catch(() => false))) {
      if (!(await this.page.locator('.notifications-center').isVisible())) { await this.runCommand('Notifications: Show Notifications'); opened = true; }
      item = inList('.notifications-center');
    }
    await item.waitFor({ timeout: 15_000 });
    await item.hover();
    await item.locator('.notification-list-item-buttons-container .monaco-button', { hasText: new RegExp(`^\\s*${escapeRegExp(button)}\\s*$`) }).first().click();
    // While the centre is open new notifications go there instead of toasts; close it as it was.
    if (opened) await this.hideNotificationCentre();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.hideNotificationCentre();
  }

  // ---- output channel ---------------------------------------------------------------------------------

  /**
   * Opens the Output view on `channel`, optionally with the view's filter set (only matching lines show),
   * and returns the lines its editor shows. The view shows what fits; use CodeServer.channelLog for all.
   */
  async outputLines(channel: string, filter = ''): Promise<string[]> {
    await this.runCommand('Output: Show Output Channels...');
    await this.pick(/output channel|select/i, new RegExp(`^\\s*${escapeRegExp(channel)}\\s*$`));
    const panel = this.page.locator('.part.panel');
    const editor = panel.locator('.monaco-editor .view-lines').first();
    await editor.waitFor({ timeout: 15_000 });
    const filterBox = panel.locator('.viewpane-filter input, .panel-action-tree-filter input').first();
    if (await filterBox.isVisible().catch(() => false)) {
      await filterBox.fill(filter);
      await sleep(600);
    }
    await sleep(300);
    const lines = await editor.locator('.view-line').evaluateAll((els) => els
      .map((el) => ({ top: parseFloat((el as HTMLElement).style.top) || 0, text: el.textContent ?? '' }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text));
    return lines.map((l) => l.replace(/\u00a0/g, ' ').trimEnd()).filter((l) => l !== '');
  }

  // ---- webviews -----------------------------------------------------------------------------------------

  /**
   * The document of the visible webview: code-server nests the extension's page in iframe#active-frame
   * inside the outer iframe.webview that hosts the service worker.
   */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready >> visible=true').first().frameLocator('iframe#active-frame');
  }

  /** Waits for an element inside the webview. */
  async webviewElement(selector: string, timeout = 60_000): Promise<Locator> {
    const el = this.webview().locator(selector).first();
    await el.waitFor({ timeout });
    return el;
  }

  // ---- editors --------------------------------------------------------------------------------------

  async activeEditorTitle(): Promise<string> {
    return squash(await this.page.locator('.editor-group-container.active .tab.active .label-name').first().innerText().catch(() => ''));
  }

  /** Text an editor shows (visible lines of the active editor). */
  async activeEditorText(): Promise<string> {
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await lines.waitFor({ timeout: 15_000 });
    return (await lines.innerText()).replace(/\u00a0/g, ' ');
  }
}
