// The schema-conversion diff editor page: wires the DOM to the pure modules and to the host's messages.
import {
  provideVSCodeDesignSystem, vsCodeBadge, vsCodeButton, vsCodeDropdown, vsCodeOption, vsCodePanels, vsCodePanelTab,
  vsCodePanelView, vsCodeProgressRing, vsCodeTag, vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import type { ConvertedObject } from '../src/engine/convert/types';
import { diffSides, diffUnified, renderSideHtml, renderUnifiedHtml } from './ddl-diff';
import { isListKey, moveSelection, shortcutFor } from './navigation';
import { buildObjectList, displayName, summarize, visibleIds, type ListItem } from './object-list';
import { type BusyAction, type HostMessage, parseHostMessage, sameDdl, type WebviewMessage } from './protocol';
import {
  type ObjectFilter, OBJECT_FILTERS, editorText, objectStatus, pendingChanges, reconcile, restoreState, revertedDrafts, savedText,
  withDraft, withoutDraft,
} from './review-state';

provideVSCodeDesignSystem().register(
  vsCodeBadge(), vsCodeButton(), vsCodeDropdown(), vsCodeOption(), vsCodePanels(), vsCodePanelTab(), vsCodePanelView(),
  vsCodeProgressRing(), vsCodeTag(), vsCodeTextField(),
);

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Report = Extract<HostMessage, { type: 'report' }>;

const ENGINE_NAMES = { mysql: 'MySQL/MariaDB', postgres: 'PostgreSQL' } as const;
const BUSY_TEXT: Record<BusyAction, string> = { convert: 'Converting…', validate: 'Validating…', save: 'Saving…', apply: 'Applying…' };

const vscode = acquireVsCodeApi();
let state = restoreState(vscode.getState());
// The panel's task file, saved with the state from the start: VS Code hands that state back to the extension
// to restore the panel after a window reload.
state.taskFile = document.body.dataset.taskFile ?? state.taskFile;
vscode.setState(state);
let report: Report | undefined;
let saved: Record<string, string> = {};
let byId = new Map<string, ConvertedObject>();
const busy = new Map<BusyAction, string | undefined>();

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
}

const el = {
  summary: $('summary'), busy: $('busy'), busyText: $('busy-text'), reload: $('reload'), openTask: $('open-task'),
  save: $('save'), apply: $('apply'), banner: $('banner'), search: $('search') as HTMLElement & { value: string },
  filter: $('filter') as HTMLElement & { value: string }, list: $('object-list'), orphans: $('orphans'), empty: $('empty'),
  object: $('object'), objectTitle: $('object-title'), objectTags: $('object-tags'), validate: $('validate'), revert: $('revert'),
  validation: $('validation-result'), applyResult: $('apply-result'), sourceTitle: $('source-title'), targetTitle: $('target-title'),
  source: $('source-ddl'), highlight: $('target-highlight'), editor: $('target-ddl') as HTMLTextAreaElement,
  warningCount: $('warning-count'), warnings: $('warnings'), overrideDiff: $('override-diff'), dependsOn: $('depends-on'),
};

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function persist(): void {
  vscode.setState(state);
}

function selected(): ConvertedObject | undefined {
  return state.selectedId === undefined ? undefined : byId.get(state.selectedId);
}

function setDisabled(element: HTMLElement, disabled: boolean): void {
  if (disabled) element.setAttribute('disabled', '');
  else element.removeAttribute('disabled');
}

function node(tag: string, attrs: Record<string, string> = {}, text?: string): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- banner ---------------------------------------------------------------------------------------------------

function showBanner(kind: 'error' | 'warning' | 'info', text: string, action?: { label: string; run: () => void }): void {
  el.banner.replaceChildren();
  el.banner.className = `banner banner-${kind}`;
  el.banner.append(node('span', { class: 'banner-text' }, text));
  if (action) {
    const b = node('vscode-button', { appearance: 'secondary' }, action.label);
    b.addEventListener('click', action.run);
    el.banner.append(b);
  }
  const close = node('vscode-button', { appearance: 'icon', 'aria-label': 'Dismiss', title: 'Dismiss' }, '✕');
  close.addEventListener('click', () => (el.banner.hidden = true));
  el.banner.append(close);
  el.banner.hidden = false;
}

// ---- toolbar --------------------------------------------------------------------------------------------------

function renderToolbar(): void {
  const inputs = { saved, drafts: state.drafts, applyResults: state.applyResults };
  if (report) {
    const s = summarize(report.objects, inputs);
    el.summary.textContent = `${s.objects} objects · ${s.warnings} warnings · ${s.manual} manual · ${s.overridden} overridden` +
      (s.edited > 0 ? ` · ${s.edited} unsaved` : '');
  }
  const changes = report ? pendingChanges(report.objects, saved, state.drafts).length : 0;
  const unsaved = Object.keys(state.drafts).length;
  el.save.textContent = unsaved > 0 ? `Save (${unsaved})` : 'Save';
  const writing = busy.has('save') || busy.has('apply') || busy.has('convert');
  setDisabled(el.save, !report || writing || unsaved === 0);
  setDisabled(el.apply, !report || writing);
  setDisabled(el.reload, busy.has('convert') || busy.has('apply'));
  el.apply.setAttribute('title', changes > 0 ? 'Saves your edits to the task file, then applies the schema' : 'Applies the schema to the target');
  el.busy.hidden = busy.size === 0;
  el.busyText.textContent = [...busy.entries()].map(([a, d]) => d ?? BUSY_TEXT[a]).join(' ');
}

// ---- object list ----------------------------------------------------------------------------------------------

function itemLabel(item: ListItem): string {
  const parts = [item.name, item.kind.replace('_', ' ')];
  if (item.warnings > 0) parts.push(`${item.warnings} warning${item.warnings === 1 ? '' : 's'}`);
  if (item.manual) parts.push('needs manual conversion');
  if (item.overridden) parts.push('overridden');
  if (item.edited) parts.push('unsaved edit');
  if (item.applied) parts.push(item.applied.ok ? 'applied' : 'apply failed');
  return parts.join(', ');
}

function renderItem(item: ListItem, index: number): HTMLElement {
  const isSelected = item.id === state.selectedId;
  const row = node('div', {
    role: 'option', class: `item${isSelected ? ' selected' : ''}`, id: `object-${index}`, 'data-object-id': item.id,
    'aria-selected': String(isSelected), 'aria-label': itemLabel(item), title: item.id,
  });
  row.append(node('span', { class: 'name' }, item.name));
  const badges = node('span', { class: 'badges', 'aria-hidden': 'true' });
  if (item.edited) badges.append(node('span', { class: 'dot-edited', title: 'unsaved edit' }, '●'));
  if (item.overridden) badges.append(node('vscode-tag', { class: 'tag-override', title: 'overridden by hand' }, 'override'));
  if (item.manual) badges.append(node('vscode-tag', { class: 'tag-manual', title: 'needs manual conversion' }, 'manual'));
  if (item.warnings > 0) badges.append(node('vscode-badge', { class: 'badge-warn', title: `${item.warnings} warnings` }, String(item.warnings)));
  if (item.applied) {
    badges.append(node('span', { class: item.applied.ok ? 'applied-ok' : 'applied-failed', title: item.applied.ok ? 'applied' : item.applied.error ?? 'failed' },
      item.applied.ok ? '✓' : '✗'));
  }
  row.append(badges);
  return row;
}

function renderList(): void {
  if (!report) return;
  const groups = buildObjectList(report.objects, { saved, drafts: state.drafts, applyResults: state.applyResults }, state.filter, state.search);
  const fragment = document.createDocumentFragment();
  let index = 0;
  let activeId: string | undefined;
  for (const group of groups) {
    const collapsed = state.collapsedKinds.includes(group.kind);
    const wrap = node('div', { class: 'group', 'data-kind': group.kind });
    const header = node('div', { class: 'group-header', 'data-kind': group.kind, 'aria-expanded': String(!collapsed) });
    header.append(node('span', { class: 'twisty', 'aria-hidden': 'true' }, collapsed ? '▸' : '▾'));
    header.append(node('span', { class: 'group-label' }, group.label));
    header.append(node('span', { class: 'count' }, group.items.length === group.total ? String(group.total) : `${group.items.length}/${group.total}`));
    wrap.append(header);
    if (!collapsed) {
      const items = node('div', { role: 'group', 'aria-label': group.label });
      for (const item of group.items) {
        const row = renderItem(item, index++);
        if (item.id === state.selectedId) activeId = row.id;
        items.append(row);
      }
      wrap.append(items);
    }
    fragment.append(wrap);
  }
  if (groups.length === 0) fragment.append(node('div', { class: 'no-match' }, 'No object matches the filter and search.'));
  el.list.replaceChildren(fragment);
  if (activeId) el.list.setAttribute('aria-activedescendant', activeId);
  else el.list.removeAttribute('aria-activedescendant');
}

function currentVisibleIds(): string[] {
  if (!report) return [];
  const groups = buildObjectList(report.objects, { saved, drafts: state.drafts, applyResults: state.applyResults }, state.filter, state.search);
  return visibleIds(groups, state.collapsedKinds);
}

function select(id: string | undefined): void {
  if (id === undefined || id === state.selectedId) return;
  state.selectedId = id;
  persist();
  renderList();
  renderDetail();
  el.list.querySelector(`[data-object-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
}

// ---- detail ---------------------------------------------------------------------------------------------------

function renderTags(obj: ConvertedObject): void {
  const status = objectStatus(obj, saved, state.drafts);
  const tags: [string, string, string][] = [];
  tags.push(['tag-kind', obj.kind.replace('_', ' '), `runs ${obj.phase}`]);
  if (obj.manual) tags.push(['tag-manual', 'manual', 'cannot be converted automatically: write the target DDL by hand']);
  if (status.overridden) tags.push(['tag-override', 'override', 'the task file holds a hand edit of this object']);
  if (status.edited) tags.push(['tag-edited', 'unsaved', 'edited here, not yet saved to the task file']);
  el.objectTags.replaceChildren(...tags.map(([cls, text, title]) => node('vscode-tag', { class: cls, title }, text)));
  setDisabled(el.revert, !status.edited && !status.overridden && editorText(obj, saved, state.drafts) === obj.generatedDdl);
}

function renderDiffPanes(obj: ConvertedObject): void {
  const text = editorText(obj, saved, state.drafts);
  const sides = diffSides(obj.sourceDdl, text);
  // With nothing converted yet (a manual object) every source line would show as removed: show it plainly.
  el.source.innerHTML = renderSideHtml(text.trim() === '' ? diffSides(obj.sourceDdl, obj.sourceDdl).left : sides.left, 'left');
  // The overlay mirrors the textarea line for line; a trailing newline needs a last empty line to keep heights equal.
  el.highlight.innerHTML = renderSideHtml(sides.right, 'right');
  const overrideLines = diffUnified(obj.generatedDdl, text, 3);
  el.overrideDiff.innerHTML = sameDdl(obj.generatedDdl, text)
    ? '<span class="line muted">The converted DDL is the generated one.</span>'
    : renderUnifiedHtml(overrideLines);
}

function renderValidation(obj: ConvertedObject): void {
  const v = state.validations[obj.id];
  el.validation.className = 'validation';
  el.validation.replaceChildren();
  setDisabled(el.validate, v?.state === 'pending' || busy.has('convert'));
  if (!v) return;
  const stale = v.ddl !== editorText(obj, saved, state.drafts);
  if (v.state === 'pending') {
    el.validation.classList.add('validation-pending');
    el.validation.append(node('span', {}, 'Validating against the target…'));
    return;
  }
  el.validation.classList.add(v.state === 'ok' ? 'validation-ok' : 'validation-error');
  el.validation.dataset.state = v.state;
  el.validation.append(node('span', { class: 'validation-icon', 'aria-hidden': 'true' }, v.state === 'ok' ? '✓' : '✗'));
  el.validation.append(node('span', { class: 'validation-text' }, v.state === 'ok'
    ? 'Valid: the target accepted this DDL (checked without changing the target).'
    : `The target rejected this DDL: ${v.error ?? 'unknown error'}`));
  if (stale) el.validation.append(node('span', { class: 'stale' }, ' (for an earlier version of the text: validate again)'));
}

function renderApplyResult(obj: ConvertedObject): void {
  const r = state.applyResults[obj.id];
  el.applyResult.hidden = !r;
  if (!r) return;
  el.applyResult.className = `validation ${r.ok ? 'validation-ok' : 'validation-error'}`;
  el.applyResult.textContent = r.ok ? '✓ Applied to the target.' : `✗ Apply failed: ${r.error ?? 'unknown error'}`;
}

function renderWarnings(obj: ConvertedObject): void {
  el.warningCount.textContent = String(obj.warnings.length);
  if (obj.warnings.length === 0) {
    el.warnings.replaceChildren(node('li', { class: 'muted' }, obj.manual
      ? 'Ferry cannot convert this object automatically: write its target DDL in the editor (saved as an override), or leave it empty to skip it.'
      : 'No warnings: the conversion of this object is exact.'));
    return;
  }
  el.warnings.replaceChildren(...obj.warnings.map((w) => {
    const li = node('li', { class: `warning warning-${w.level}`, 'data-code': w.code });
    const head = node('div', { class: 'warning-head' });
    head.append(node('vscode-tag', { class: `level-${w.level}` }, w.level));
    head.append(node('code', { class: 'warning-code' }, w.code));
    if (w.object !== obj.id) head.append(node('span', { class: 'warning-object' }, displayName(w.object)));
    li.append(head, node('div', { class: 'warning-message' }, w.message));
    if (w.fix) li.append(node('div', { class: 'warning-fix' }, `Fix: ${w.fix}`));
    return li;
  }));
}

function renderDepends(obj: ConvertedObject): void {
  if (obj.dependsOn.length === 0) {
    el.dependsOn.replaceChildren(node('li', { class: 'muted' }, 'Nothing: this object can be created first.'));
    return;
  }
  el.dependsOn.replaceChildren(...obj.dependsOn.map((id) => {
    const li = node('li');
    if (byId.has(id)) {
      const link = node('a', { href: '#', 'data-goto': id }, id);
      li.append(link);
    } else {
      li.textContent = id;
    }
    return li;
  }));
}

function renderDetail(): void {
  const obj = selected();
  el.object.hidden = !obj;
  el.empty.hidden = !!obj;
  if (!obj || !report) {
    if (report) el.empty.textContent = report.objects.length === 0 ? 'The conversion has no objects: check the task\'s objects.include.' : 'Select an object.';
    return;
  }
  el.objectTitle.textContent = displayName(obj.id);
  el.objectTitle.title = obj.id;
  el.sourceTitle.textContent = `Source (${ENGINE_NAMES[report.sourceEngine]})`;
  el.targetTitle.textContent = `Converted for ${ENGINE_NAMES[report.targetEngine]} (editable)`;
  const text = editorText(obj, saved, state.drafts);
  if (el.editor.value !== text) {
    el.editor.value = text;
    el.editor.scrollTop = 0;
    el.editor.scrollLeft = 0;
  }
  el.editor.dataset.editingId = obj.id;  // data-object-id marks list items only
  el.editor.placeholder = obj.manual ? 'Write the target DDL for this object by hand (the source definition is on the left).' : '';
  renderTags(obj);
  renderDiffPanes(obj);
  syncScroll();
  renderValidation(obj);
  renderApplyResult(obj);
  renderWarnings(obj);
  renderDepends(obj);
}

function syncScroll(): void {
  el.highlight.scrollTop = el.editor.scrollTop;
  el.highlight.scrollLeft = el.editor.scrollLeft;
}

function renderAll(): void {
  renderToolbar();
  renderList();
  renderDetail();
}

// ---- actions --------------------------------------------------------------------------------------------------

let pendingRender = 0;
let listDirty = false;
function onEdit(): void {
  const obj = selected();
  if (!obj) return;
  const wasEdited = Object.prototype.hasOwnProperty.call(state.drafts, obj.id);
  state.drafts = withDraft(state.drafts, obj, saved, el.editor.value);
  persist();
  const listChanged = wasEdited !== Object.prototype.hasOwnProperty.call(state.drafts, obj.id);
  if (listChanged) listDirty = true;
  // Re-diffing on every key is cheap for one object's DDL, but batch to one frame for fast typists.
  if (pendingRender) return;
  pendingRender = requestAnimationFrame(() => {
    pendingRender = 0;
    const current = selected();
    if (!current) return;
    renderTags(current);
    renderDiffPanes(current);
    renderValidation(current);
    syncScroll();
    renderToolbar();
    // The list only changes when the object gains or loses its unsaved mark; skip rebuilding it per key.
    if (listDirty) renderList();
    listDirty = false;
  });
}

function cancelEdit(): void {
  const obj = selected();
  if (!obj || !Object.prototype.hasOwnProperty.call(state.drafts, obj.id)) return;
  state.drafts = withoutDraft(state.drafts, obj.id);
  persist();
  renderAll();
}

function revert(): void {
  const obj = selected();
  if (!obj) return;
  state.drafts = revertedDrafts(state.drafts, obj, saved);
  persist();
  renderAll();
  el.editor.focus();
}

function validate(): void {
  const obj = selected();
  if (!obj || state.validations[obj.id]?.state === 'pending') return;
  const ddl = editorText(obj, saved, state.drafts);
  state.validations = { ...state.validations, [obj.id]: { ddl, state: 'pending' } };
  persist();
  renderValidation(obj);
  post({ type: 'validate', objectId: obj.id, ddl });
}

function save(): void {
  if (!report || busy.has('save') || busy.has('apply')) return;
  const changes = pendingChanges(report.objects, saved, state.drafts);
  if (changes.length === 0) {
    // Only whitespace edits (or edits back to the generated DDL with no override saved): nothing to write.
    state.drafts = {};
    persist();
    renderAll();
    showBanner('info', 'Nothing to save: the edits do not change any override.');
    return;
  }
  post({ type: 'save', changes });
}

function apply(): void {
  if (!report || busy.has('save') || busy.has('apply')) return;
  state.applyResults = {};
  persist();
  post({ type: 'apply', changes: pendingChanges(report.objects, saved, state.drafts) });
}

// ---- host messages --------------------------------------------------------------------------------------------

function onReport(msg: Report): void {
  report = msg;
  saved = msg.savedOverrides;
  byId = new Map(msg.objects.map((o) => [o.id, o]));
  state = reconcile(state, msg.objects, saved);
  persist();
  if (msg.orphanOverrides.length > 0) {
    el.orphans.hidden = false;
    el.orphans.textContent = `The task file also overrides ${msg.orphanOverrides.length} object(s) not in this conversion (kept as they are): ${msg.orphanOverrides.join(', ')}`;
  } else {
    el.orphans.hidden = true;
  }
  if (el.banner.classList.contains('banner-conversion')) el.banner.hidden = true;
  renderAll();
}

function onSaved(msg: Extract<HostMessage, { type: 'saved' }>): void {
  saved = msg.savedOverrides;
  const drafts: Record<string, string> = {};
  for (const [id, text] of Object.entries(state.drafts)) {
    const obj = byId.get(id);
    // A draft the save covered equals the saved text now (up to ignorable whitespace); one typed since stays.
    if (obj && !sameDdl(text, savedText(obj, saved))) drafts[id] = text;
  }
  state.drafts = drafts;
  persist();
  renderAll();
  if (msg.rejected.length > 0) {
    showBanner('error', `Not saved: ${msg.rejected.map((r) => r.reason).join('; ')}`);
  } else if (!el.banner.hidden && el.banner.classList.contains('banner-error')) {
    el.banner.hidden = true;
  }
}

function onApplyResult(msg: Extract<HostMessage, { type: 'applyResult' }>): void {
  const results: typeof state.applyResults = {};
  for (const r of msg.results) results[r.id] = { ok: r.ok, error: r.error };
  state.applyResults = results;
  persist();
  renderAll();
  const failed = msg.results.filter((r) => !r.ok);
  if (failed.length === 0) {
    showBanner('info', `Applied ${msg.results.length} object(s) to the target.`);
  } else {
    const first = failed[0];
    showBanner('error', `${failed.length} of ${msg.results.length} object(s) failed to apply; first: ${first.id}: ${first.error ?? 'error'}`,
      byId.has(first.id) ? { label: 'Show failed', run: () => setFilter('failed') } : undefined);
  }
}

function onMessage(raw: unknown): void {
  const parsed = parseHostMessage(raw);
  if (!parsed.ok) {
    // The host and the page ship together; a bad message is a bug worth seeing, not guessing around.
    showBanner('error', `Ignored a malformed message from the extension: ${parsed.reason}`);
    return;
  }
  const msg = parsed.message;
  switch (msg.type) {
    case 'report':
      onReport(msg);
      return;
    case 'conversionFailed': {
      const text = `The schema could not be converted: ${msg.error}${msg.fix ? ` — ${msg.fix}` : ''}`;
      if (!report) el.empty.textContent = text;
      showBanner('error', text, { label: 'Retry', run: () => post({ type: 'reload' }) });
      el.banner.classList.add('banner-conversion');
      return;
    }
    case 'busy':
      if (msg.busy) busy.set(msg.action, msg.detail);
      else busy.delete(msg.action);
      renderToolbar();
      if (selected()) renderValidation(selected() as ConvertedObject);
      return;
    case 'validationResult': {
      if (!byId.has(msg.objectId)) return;
      state.validations = { ...state.validations, [msg.objectId]: { ddl: msg.ddl, state: msg.ok ? 'ok' : 'error', error: msg.error } };
      persist();
      const obj = selected();
      if (obj?.id === msg.objectId) renderValidation(obj);
      return;
    }
    case 'saved':
      onSaved(msg);
      return;
    case 'saveFailed':
      showBanner('error', `Not saved: ${msg.error}`);
      return;
    case 'applyResult':
      onApplyResult(msg);
      return;
    case 'applyFailed':
      showBanner('error', `Apply failed: ${msg.error}`);
      return;
    case 'taskFileChanged':
      showBanner('warning', 'The task file changed on disk.', { label: 'Reload', run: () => post({ type: 'reload' }) });
      return;
  }
}

// ---- events ---------------------------------------------------------------------------------------------------

function setFilter(filter: ObjectFilter): void {
  state.filter = filter;
  el.filter.value = filter;
  persist();
  renderList();
}

function focusArea(): 'list' | 'editor' | 'other' {
  const active = document.activeElement;
  if (active === el.editor) return 'editor';
  if (active && el.list.contains(active)) return 'list';
  return 'other';
}

window.addEventListener('message', (event: MessageEvent) => onMessage(event.data));

document.addEventListener('keydown', (e) => {
  const shortcut = shortcutFor(e, focusArea());
  if (!shortcut) return;
  e.preventDefault();
  if (shortcut === 'save') save();
  else if (shortcut === 'validate') validate();
  else if (shortcut === 'cancelEdit') cancelEdit();
  else if (shortcut === 'open') el.editor.focus();
});

el.list.addEventListener('keydown', (e) => {
  if (!isListKey(e.key)) return;
  e.preventDefault();
  const rowHeight = (el.list.querySelector('.item') as HTMLElement | null)?.offsetHeight || 22;
  select(moveSelection(currentVisibleIds(), state.selectedId, e.key, Math.max(1, Math.floor(el.list.clientHeight / rowHeight) - 1)));
});

el.list.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const header = target.closest('.group-header') as HTMLElement | null;
  if (header?.dataset.kind) {
    const kind = header.dataset.kind;
    state.collapsedKinds = state.collapsedKinds.includes(kind) ? state.collapsedKinds.filter((k) => k !== kind) : [...state.collapsedKinds, kind];
    persist();
    renderList();
    return;
  }
  const item = target.closest('[data-object-id]') as HTMLElement | null;
  if (item?.dataset.objectId) {
    select(item.dataset.objectId);
    el.list.focus();
  }
});

el.list.addEventListener('dblclick', (e) => {
  if ((e.target as HTMLElement).closest('[data-object-id]')) el.editor.focus();
});

el.dependsOn.addEventListener('click', (e) => {
  const link = (e.target as HTMLElement).closest('[data-goto]') as HTMLElement | null;
  if (!link?.dataset.goto) return;
  e.preventDefault();
  if (!currentVisibleIds().includes(link.dataset.goto)) {
    state.filter = 'all';
    state.search = '';
    el.filter.value = 'all';
    el.search.value = '';
  }
  select(link.dataset.goto);
});

el.search.addEventListener('input', () => {
  state.search = el.search.value ?? '';
  persist();
  renderList();
});

el.filter.addEventListener('change', () => {
  const value = el.filter.value;
  if ((OBJECT_FILTERS as readonly string[]).includes(value)) setFilter(value as ObjectFilter);
});

el.editor.addEventListener('input', onEdit);
el.editor.addEventListener('scroll', syncScroll);
el.validate.addEventListener('click', validate);
el.revert.addEventListener('click', revert);
el.save.addEventListener('click', save);
el.apply.addEventListener('click', apply);
el.reload.addEventListener('click', () => post({ type: 'reload' }));
el.openTask.addEventListener('click', () => post({ type: 'openTaskFile' }));

el.search.value = state.search;
el.filter.value = state.filter;
renderToolbar();
post({ type: 'ready' });
