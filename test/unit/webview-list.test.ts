// The schema panel's object list, review state and keyboard handling (the page's logic without a DOM).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConvertedObject, ObjectKind, Warning } from '../../src/engine/convert/types';
import { moveSelection, shortcutFor } from '../../webview/navigation';
import { buildObjectList, displayName, matchesSearch, summarize, visibleIds } from '../../webview/object-list';
import {
  editorText, initialState, objectStatus, pendingChanges, reconcile, restoreState, revertedDrafts, withDraft, withoutDraft,
} from '../../webview/review-state';

function obj(kind: ObjectKind, name: string, opts: { warnings?: Warning['level'][]; manual?: boolean; generated?: string } = {}): ConvertedObject {
  const id = `${kind}:${name}`;
  const generatedDdl = opts.generated ?? `-- ddl of ${id}`;
  return {
    id, kind, phase: 'pre-data', sourceDdl: `-- source of ${id}`, generatedDdl, targetDdl: generatedDdl, overridden: false,
    manual: opts.manual ?? false, dependsOn: [],
    warnings: (opts.warnings ?? []).map((level, i) => ({ code: `CODE_${level.toUpperCase()}_${i}`, object: id, level, message: 'm' })),
  };
}

const objects = [
  obj('foreign_key', 'public.film.fk_film_language'),
  obj('table', 'public.film', { warnings: ['warn', 'info'] }),
  obj('index', 'public.film.idx_title'),
  obj('table', 'public.actor'),
  obj('trigger', 'public.film.ins_film', { warnings: ['manual'], manual: true, generated: '' }),
  obj('view', 'public.actor_info', { warnings: ['info'] }),
  obj('schema', 'public'),
];
const none = { saved: {}, drafts: {}, applyResults: {} };

describe('object list', () => {
  it('groups by kind in schema reading order, sorted by name, leaving out empty kinds', () => {
    const groups = buildObjectList(objects, none, 'all', '');
    assert.deepEqual(groups.map((g) => [g.label, g.items.map((i) => i.name)]), [
      ['Schemas', ['public']],
      ['Tables', ['public.actor', 'public.film']],
      ['Views', ['public.actor_info']],
      ['Indexes', ['public.film.idx_title']],
      ['Foreign keys', ['public.film.fk_film_language']],
      ['Triggers', ['public.film.ins_film']],
    ]);
  });

  it('badges warnings (not info notes), manual conversion, overrides and unsaved edits', () => {
    const inputs = { saved: { 'table:public.actor': 'X' }, drafts: { 'view:public.actor_info': 'Y' }, applyResults: { 'table:public.film': { ok: false, error: 'boom' } } };
    const items = new Map(buildObjectList(objects, inputs, 'all', '').flatMap((g) => g.items).map((i) => [i.id, i]));
    assert.deepEqual(items.get('table:public.film'), {
      id: 'table:public.film', kind: 'table', name: 'public.film', warnings: 1, manual: false, overridden: false, edited: false, applied: { ok: false, error: 'boom' },
    });
    assert.equal(items.get('trigger:public.film.ins_film')?.manual, true);
    assert.equal(items.get('trigger:public.film.ins_film')?.warnings, 1);
    assert.equal(items.get('table:public.actor')?.overridden, true);
    assert.equal(items.get('view:public.actor_info')?.edited, true);
    assert.equal(items.get('view:public.actor_info')?.warnings, 0);
  });

  it('badges a converted table with a manual-level Warning as a warning, not as a manual object', () => {
    const table = obj('table', 'public.rental', { warnings: ['manual', 'info'] });
    const [group] = buildObjectList([table], none, 'all', '');
    assert.deepEqual([group.items[0].warnings, group.items[0].manual], [1, false]);
    assert.deepEqual(buildObjectList([table], none, 'manual', ''), []);
  });

  it('filters by warnings, manual, overridden, unsaved and failed, keeping group totals', () => {
    const inputs = { saved: { 'table:public.actor': 'X' }, drafts: { 'index:public.film.idx_title': 'Y' }, applyResults: { 'view:public.actor_info': { ok: false } } };
    const ids = (f: Parameters<typeof buildObjectList>[2]) => buildObjectList(objects, inputs, f, '').flatMap((g) => g.items.map((i) => i.id));
    assert.deepEqual(ids('warnings'), ['table:public.film', 'trigger:public.film.ins_film']);
    assert.deepEqual(ids('manual'), ['trigger:public.film.ins_film']);
    assert.deepEqual(ids('overridden'), ['table:public.actor']);
    assert.deepEqual(ids('edited'), ['index:public.film.idx_title']);
    assert.deepEqual(ids('failed'), ['view:public.actor_info']);
    assert.equal(buildObjectList(objects, inputs, 'warnings', '').find((g) => g.kind === 'table')?.total, 2);
  });

  it('searches names, kinds and warning codes case-insensitively, all terms required', () => {
    const ids = (q: string) => buildObjectList(objects, none, 'all', q).flatMap((g) => g.items.map((i) => i.id));
    assert.deepEqual(ids('ACTOR'), ['table:public.actor', 'view:public.actor_info']);
    assert.deepEqual(ids('film index'), ['index:public.film.idx_title']);
    assert.deepEqual(ids('code_manual'), ['trigger:public.film.ins_film']);
    assert.deepEqual(ids('nothing-like-this'), []);
    assert.equal(matchesSearch(objects[0], '   '), true);
  });

  it('lists the ids keyboard movement goes through, skipping collapsed groups', () => {
    const groups = buildObjectList(objects, none, 'all', '');
    assert.deepEqual(visibleIds(groups, ['table', 'schema']), [
      'view:public.actor_info', 'index:public.film.idx_title', 'foreign_key:public.film.fk_film_language', 'trigger:public.film.ins_film',
    ]);
  });

  it('summarizes the report', () => {
    assert.deepEqual(summarize(objects, { saved: { 'table:public.actor': 'X' }, drafts: { 'table:public.actor': 'Z' }, applyResults: {} }),
      { objects: 7, warnings: 2, manual: 1, overridden: 1, edited: 1 });
  });

  it('shows the id without its kind prefix, keeping colons in names', () => {
    assert.equal(displayName('table:public.a:b'), 'public.a:b');
  });
});

describe('review state', () => {
  const film = objects[1];

  it('shows the draft, else the saved override, else the generated DDL', () => {
    assert.equal(editorText(film, {}, {}), film.generatedDdl);
    assert.equal(editorText(film, { [film.id]: 'SAVED' }, {}), 'SAVED');
    assert.equal(editorText(film, { [film.id]: 'SAVED' }, { [film.id]: 'DRAFT' }), 'DRAFT');
  });

  it('keeps a draft only while it differs from the saved text', () => {
    const d1 = withDraft({}, film, {}, 'EDIT');
    assert.deepEqual(d1, { [film.id]: 'EDIT' });
    assert.deepEqual(withDraft(d1, film, {}, film.generatedDdl), {});
    assert.deepEqual(withDraft({}, film, { [film.id]: 'SAVED' }, 'SAVED'), {});
  });

  it('cancels an edit (Esc) back to the saved text', () => {
    const drafts = withoutDraft({ [film.id]: 'EDIT', other: 'x' }, film.id);
    assert.deepEqual(drafts, { other: 'x' });
    assert.equal(editorText(film, { [film.id]: 'SAVED' }, drafts), 'SAVED');
  });

  it('reverts to generated as an unsaved change that saving turns into removing the override', () => {
    const saved = { [film.id]: 'SAVED' };
    const drafts = revertedDrafts({}, film, saved);
    assert.equal(editorText(film, saved, drafts), film.generatedDdl);
    assert.deepEqual(objectStatus(film, saved, drafts), { overridden: true, edited: true, overriddenAfterSave: false });
    assert.deepEqual(pendingChanges(objects, saved, drafts), [{ id: film.id, ddl: null }]);
    assert.deepEqual(revertedDrafts({ [film.id]: 'EDIT' }, film, {}), {}, 'without a saved override, revert just drops the draft');
  });

  it('sends edits as overrides and whitespace-only edits of generated DDL as nothing', () => {
    const drafts = { [film.id]: 'CREATE TABLE film2 ()', [objects[3].id]: `${objects[3].generatedDdl}  \n` };
    assert.deepEqual(pendingChanges(objects, {}, drafts), [{ id: film.id, ddl: 'CREATE TABLE film2 ()' }]);
  });

  it('after a reload keeps drafts of objects that still exist and still differ, and a valid selection', () => {
    const state = { ...initialState(), selectedId: 'table:public.gone', drafts: { [film.id]: 'EDIT', 'table:public.gone': 'X', [objects[3].id]: 'SAVED' } };
    const next = reconcile(state, objects, { [objects[3].id]: 'SAVED' });
    assert.deepEqual(next.drafts, { [film.id]: 'EDIT' });
    assert.equal(next.selectedId, objects[0].id);
    assert.equal(reconcile({ ...state, selectedId: film.id }, objects, {}).selectedId, film.id);
  });

  it('restores a saved page state and starts fresh from anything unreadable', () => {
    const saved = {
      version: 1, selectedId: 'table:public.film', filter: 'manual', search: 'fi', drafts: { 'table:public.film': 'E', bad: 3 },
      validations: { 'table:public.film': { ddl: 'E', state: 'error', error: 'syntax' }, 'table:public.actor': { ddl: 'x', state: 'pending' } },
      applyResults: { 'table:public.film': { ok: true } }, collapsedKinds: ['index', 7],
    };
    assert.deepEqual(restoreState(saved), {
      version: 1, selectedId: 'table:public.film', filter: 'manual', search: 'fi', drafts: { 'table:public.film': 'E' },
      validations: { 'table:public.film': { ddl: 'E', state: 'error', error: 'syntax' } },
      applyResults: { 'table:public.film': { ok: true, error: undefined } }, collapsedKinds: ['index'],
    });
    assert.deepEqual(restoreState(undefined), initialState());
    assert.deepEqual(restoreState({ version: 2, drafts: { a: 'b' } }), initialState());
    assert.equal(restoreState({ version: 1, filter: 'everything' }).filter, 'all');
  });

  it('keeps the task file in the saved state, which brings the panel back after a window reload', () => {
    const file = 'file:///work/.ferry/my%20task.json';
    assert.equal(restoreState({ ...initialState(), taskFile: file }).taskFile, file);
    assert.equal(restoreState({ ...initialState(), taskFile: 42 }).taskFile, undefined);
  });
});

describe('keyboard', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];

  it('moves with the arrows and stops at the ends', () => {
    assert.equal(moveSelection(ids, 'b', 'ArrowDown'), 'c');
    assert.equal(moveSelection(ids, 'b', 'ArrowUp'), 'a');
    assert.equal(moveSelection(ids, 'a', 'ArrowUp'), 'a');
    assert.equal(moveSelection(ids, 'e', 'ArrowDown'), 'e');
  });

  it('jumps with Home, End and by pages', () => {
    assert.equal(moveSelection(ids, 'c', 'Home'), 'a');
    assert.equal(moveSelection(ids, 'c', 'End'), 'e');
    assert.equal(moveSelection(ids, 'a', 'PageDown', 2), 'c');
    assert.equal(moveSelection(ids, 'b', 'PageUp', 3), 'a');
  });

  it('enters the list from no selection (or a hidden one) at the natural end', () => {
    assert.equal(moveSelection(ids, undefined, 'ArrowDown'), 'a');
    assert.equal(moveSelection(ids, 'hidden', 'ArrowUp'), 'e');
    assert.equal(moveSelection([], 'a', 'ArrowDown'), undefined);
  });

  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) =>
    ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

  it('saves on Ctrl+S and Cmd+S wherever focus is', () => {
    assert.equal(shortcutFor(key('s', { ctrlKey: true }), 'editor'), 'save');
    assert.equal(shortcutFor(key('S', { metaKey: true }), 'list'), 'save');
    assert.equal(shortcutFor(key('s', { ctrlKey: true, shiftKey: true }), 'other'), undefined);
    assert.equal(shortcutFor(key('s'), 'editor'), undefined);
  });

  it('cancels an edit on Esc only in the editor, opens on Enter only in the list', () => {
    assert.equal(shortcutFor(key('Escape'), 'editor'), 'cancelEdit');
    assert.equal(shortcutFor(key('Escape'), 'list'), undefined);
    assert.equal(shortcutFor(key('Enter'), 'list'), 'open');
    assert.equal(shortcutFor(key('Enter'), 'editor'), undefined, 'Enter types a newline in the editor');
    assert.equal(shortcutFor(key('Enter', { ctrlKey: true }), 'editor'), 'validate');
  });
});
