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
    return this.quickInput.evaluate((el) => {
      const text = (sel: string) => Array.from(el.querySelectorAll(sel)).map((e) => (e as HTMLElement).innerText).join(' ');
      const input = el.querySelector('.quick-input-box input') as HTMLInputElement | null;
      return [text('.quick-input-title'), input?.placeholder ?? '', input?.getAttribute('aria-label') ?? '',
        text('.quick-input-message')].join(' | ').replace(/\s+/g, ' ');
    });
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

  /** Labels of the rows of the open quick pick. */
  async quickPickItems(): Promise<string[]> {
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    return (await rows.allInnerTexts()).map(squash);
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
    const rows = this.quickInput.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 30_000 });
    const wanted = labels.map((l) => (typeof l === 'string' ? new RegExp(`^\\s*${escapeRegExp(l)}`) : l));
    // The list is virtualised: set each wanted row through the filter box, so long lists work too.
    const toggleAll = this.quickInput.locator('.quick-input-check-all');
    if (await toggleAll.isVisible() && await toggleAll.isChecked()) await toggleAll.click();
    else if (await toggleAll.isVisible()) { await toggleAll.click(); await toggleAll.click(); }
    for (const re of wanted) {
      const row = this.quickInput.locator('.quick-input-list .monaco-list-row')
        .filter({ has: this.page.locator('.label-name', { hasText: re }) }).first();
      try { await row.waitFor({ timeout: 10_000 }); } catch {
        throw new Error(`quick pick ${prompt} has no item ${re}; it offers: ${(await this.quickPickItems()).join(' | ')}`);
      }
      const box = row.locator('input[type="checkbox"], .monaco-custom-toggle, .quick-input-list-checkbox').first();
      if ((await row.getAttribute('aria-checked')) !== 'true') await box.click();
    }
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

  /** The view's welcome content (shown while its tree is empty), or '' when it has none. */
  async welcomeText(viewTitle: string): Promise<string> {
    const pane = await this.view(viewTitle);
    const welcome = pane.locator('.welcome-view-content');
    if (!(await welcome.isVisible().catch(() => false))) return '';
    return squash(await welcome.innerText());
  }

  /** Texts of the visible rows of a tree view, each with its description, as "label description". */
  async treeRows(viewTitle: string): Promise<string[]> {
    const pane = await this.view(viewTitle);
    return (await pane.locator('.monaco-list-row').allInnerTexts()).map(squash);
  }

  treeRow(pane: Locator, label: string | RegExp): Locator {
    const re = typeof label === 'string' ? new RegExp(`^\\s*${escapeRegExp(label)}`) : label;
    return pane.locator('.monaco-list-row').filter({ has: this.page.locator('.label-name, .monaco-icon-label', { hasText: re }) }).first();
  }

  /** Waits until a row whose label matches is in the tree, polling (trees refresh asynchronously). */
  async waitForTreeRow(viewTitle: string, label: string | RegExp, timeout = 30_000): Promise<Locator> {
    const pane = await this.view(viewTitle);
    const row = this.treeRow(pane, label);
    try {
      await row.waitFor({ timeout });
    } catch {
      throw new Error(`the ${viewTitle} view shows no row ${label}; it shows: ${(await this.treeRows(viewTitle)).join(' | ') || 'nothing'}`);
    }
    return row;
  }

  /** Expands a tree row (no-op when already expanded) and waits for its first child. */
  async expand(viewTitle: string, label: string | RegExp, timeout = 30_000): Promise<void> {
    const row = await this.waitForTreeRow(viewTitle, label);
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
    }
    const level = Number(await row.getAttribute('aria-level'));
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      // A child is the row after this one with a deeper aria-level.
      const hasChild = await row.evaluate((el, lvl) => {
        const next = el.nextElementSibling as HTMLElement | null;
        const rows = Array.from(el.parentElement?.children ?? []) as HTMLElement[];
        const byTop = rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
        const i = byTop.indexOf(el as HTMLElement);
        const after = byTop[i + 1] ?? next;
        return !!after && Number(after.getAttribute('aria-level')) > lvl;
      }, level);
      if (hasChild) return;
      await sleep(200);
    }
    throw new Error(`${label} in ${viewTitle} did not show children within ${timeout / 1000} s`);
  }

  /** Right-clicks a tree row and chooses a context-menu entry. */
  async contextMenu(viewTitle: string, label: string | RegExp, entry: string): Promise<void> {
    const row = await this.waitForTreeRow(viewTitle, label);
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .monaco-menu .action-item .action-label', { hasText: new RegExp(`^\\s*${escapeRegExp(entry)}\\s*$`) }).first();
    try {
      await item.waitFor({ timeout: 10_000 });
    } catch {
      const offered = (await this.page.locator('.context-view .monaco-menu .action-item .action-label').allInnerTexts()).map(squash).filter(Boolean);
      await this.page.keyboard.press('Escape');
      throw new Error(`the context menu of ${label} has no "${entry}"; it offers: ${offered.join(' | ') || 'nothing'}`);
    }
    await item.click();
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
    const list = await this.readNotifications(centre.locator('.notification-list-item'));
    if (!wasVisible) await this.runCommand('Notifications: Hide Notifications').catch(() => this.page.keyboard.press('Escape'));
    return list;
  }

  /**
   * Waits for a notification matching `text` (a toast; the centre is checked too because toasts of
   * a busy window can be hidden behind others). Fails early when a notification matching `failure` shows.
   */
  async waitForNotification(text: RegExp, opts: { timeout?: number; failure?: RegExp } = {}): Promise<Notification> {
    const deadline = Date.now() + (opts.timeout ?? 30_000);
    let seen: Notification[] = [];
    let lastCentreCheck = 0;
    while (Date.now() < deadline) {
      seen = await this.toasts();
      if (Date.now() - lastCentreCheck > 5000) {
        lastCentreCheck = Date.now();
        const toastTexts = new Set(seen.map((n) => n.text));
        for (const n of await this.notificationCentre().catch(() => [])) if (!toastTexts.has(n.text)) seen.push(n);
      }
      const hit = seen.find((n) => text.test(n.text));
      if (hit) return hit;
      const bad = opts.failure && seen.find((n) => opts.failure!.test(n.text));
      if (bad) throw new Error(`expected a notification ${text}, got: "${bad.text}"`);
      await sleep(250);
    }
    throw new Error(`no notification ${text} within ${(opts.timeout ?? 30_000) / 1000} s; shown: ${seen.map((n) => `"${n.text}"`).join(', ') || 'none'}`);
  }

  /** Clicks a button of the toast matching `text`. */
  async clickNotificationButton(text: RegExp, button: string): Promise<void> {
    const toast = this.page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item')
      .filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) }).first();
    await toast.waitFor({ timeout: 15_000 });
    await toast.hover();
    await toast.locator('.notification-list-item-buttons-container .monaco-button', { hasText: new RegExp(`^\\s*${escapeRegExp(button)}\\s*$`) }).first().click();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
  }

  // ---- output channel ---------------------------------------------------------------------------------

  /** Opens the Output view on `channel` and returns the text its editor shows (visible lines). */
  async outputText(channel: string): Promise<string> {
    await this.runCommand('Output: Show Output Channels...');
    await this.pick(/output channel|select/i, new RegExp(`^\\s*${escapeRegExp(channel)}\\s*$`));
    const editor = this.page.locator('.panel .output-view .monaco-editor .view-lines, .panel [id="workbench.panel.output"] .monaco-editor .view-lines').first();
    await editor.waitFor({ timeout: 15_000 });
    await sleep(500);
    return (await editor.innerText()).replace(/\u00a0/g, ' ');
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
