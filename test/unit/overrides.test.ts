// Merging hand edits into schemaOverrides, and rewriting only that part of the task file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { loadTask } from '../../src/engine/task';
import { mergeOverrides, overridesOfTaskText, saveOverrides, withOverridesInTaskText } from '../../src/ui/overrides';

const FILM = 'table:public.film';
const ACTOR = 'table:public.actor';
const VIEW = 'view:public.actor_info';
const generated = new Map([
  [FILM, 'CREATE TABLE "public"."film" (\n  "film_id" integer NOT NULL\n)'],
  [ACTOR, 'CREATE TABLE "public"."actor" (\n  "actor_id" integer NOT NULL\n)'],
  [VIEW, 'CREATE VIEW "public"."actor_info" AS SELECT 1'],
]);

describe('mergeOverrides', () => {
  it('adds an edit of an object that had no override', () => {
    const r = mergeOverrides({}, [{ id: FILM, ddl: 'CREATE TABLE "public"."film" ("film_id" bigint)' }], generated);
    assert.deepEqual(r.overrides, { [FILM]: 'CREATE TABLE "public"."film" ("film_id" bigint)' });
    assert.deepEqual([r.added, r.changed, r.removed, r.rejected], [[FILM], [], [], []]);
  });

  it('replaces a changed override and reports an identical one as unchanged', () => {
    const current = { [FILM]: 'A', [ACTOR]: 'B' };
    const r = mergeOverrides(current, [{ id: FILM, ddl: 'A2' }, { id: ACTOR, ddl: 'B' }], generated);
    assert.deepEqual(r.overrides, { [FILM]: 'A2', [ACTOR]: 'B' });
    assert.deepEqual([r.changed, r.unchanged], [[FILM], [ACTOR]]);
    assert.deepEqual(current, { [FILM]: 'A', [ACTOR]: 'B' }, 'the input is not modified');
  });

  it('removes the key on revert-to-generated (ddl null)', () => {
    const r = mergeOverrides({ [FILM]: 'A', [ACTOR]: 'B' }, [{ id: FILM, ddl: null }], generated);
    assert.deepEqual(r.overrides, { [ACTOR]: 'B' });
    assert.deepEqual(r.removed, [FILM]);
  });

  it('removes the key when the edit equals the generated DDL up to trailing whitespace and a final semicolon', () => {
    const r = mergeOverrides({ [FILM]: 'A' }, [{ id: FILM, ddl: `${generated.get(FILM)};\r\n  \n` }], generated);
    assert.deepEqual(r.overrides, {});
    assert.deepEqual(r.removed, [FILM]);
  });

  it('does nothing for a revert of an object without override', () => {
    const r = mergeOverrides({ [ACTOR]: 'B' }, [{ id: FILM, ddl: null }], generated);
    assert.deepEqual(r.overrides, { [ACTOR]: 'B' });
    assert.deepEqual([r.removed, r.unchanged], [[], [FILM]]);
  });

  it('rejects edits of ids the conversion does not have, and keeps saved overrides of such ids', () => {
    const r = mergeOverrides({ 'table:public.gone': 'KEEP ME' }, [{ id: 'table:public.typo', ddl: 'X' }], generated);
    assert.deepEqual(r.overrides, { 'table:public.gone': 'KEEP ME' });
    assert.equal(r.rejected.length, 1);
    assert.equal(r.rejected[0].id, 'table:public.typo');
    assert.match(r.rejected[0].reason, /not in the current conversion/);
  });

  it('rejects empty DDL instead of silently dropping the object', () => {
    const r = mergeOverrides({ [FILM]: 'A' }, [{ id: FILM, ddl: '  \n\t' }], generated);
    assert.deepEqual(r.overrides, { [FILM]: 'A' });
    assert.match(r.rejected[0].reason, /empty.*objects\.exclude/);
  });

  it('keeps existing keys in place and appends new ones sorted', () => {
    const r = mergeOverrides({ [VIEW]: 'V', [ACTOR]: 'B' }, [{ id: FILM, ddl: 'F' }, { id: VIEW, ddl: 'V2' }, { id: ACTOR, ddl: null }], generated);
    assert.deepEqual(Object.keys(r.overrides), [VIEW, FILM]);
    assert.deepEqual(Object.keys(mergeOverrides({}, [{ id: VIEW, ddl: 'V' }, { id: ACTOR, ddl: 'A' }, { id: FILM, ddl: 'F' }], generated).overrides), [ACTOR, FILM, VIEW]);
  });

  it('stores edits with LF line ends', () => {
    const r = mergeOverrides({}, [{ id: FILM, ddl: 'CREATE TABLE x (\r\n  a int\r\n)' }], generated);
    assert.equal(r.overrides[FILM], 'CREATE TABLE x (\n  a int\n)');
  });
});

const TASK_TEXT = `{
    "name": "sakila-to-pg",
    "description": "kept as written",
    "source": "mysql://root@127.0.0.1:3306/sakila",
    "target": "postgres://postgres@127.0.0.1:5432/sakila",
    "phases": ["schema", "full", "incremental"],
    "objects": { "include": ["*"], "exclude": ["film_text"] },
    "schemaOverrides": {
        "table:public.actor": "B"
    },
    "parallelism": 4
}
`;

describe('withOverridesInTaskText', () => {
  it('rewrites only the schemaOverrides value, keeping every other byte and the file indentation', () => {
    const edited = `CREATE TABLE "public"."film" (\n  "title" text -- "quoted" \\ <script>alert(1)</script>\n)`;
    const out = withOverridesInTaskText(TASK_TEXT, { 'table:public.actor': 'B', [FILM]: edited });
    const start = TASK_TEXT.indexOf('"schemaOverrides": ') + '"schemaOverrides": '.length;
    const end = TASK_TEXT.indexOf('},\n    "parallelism"') + 1;
    assert.equal(out.slice(0, start), TASK_TEXT.slice(0, start));
    assert.ok(out.endsWith(TASK_TEXT.slice(end)));
    assert.equal(
      out.slice(start, out.length - (TASK_TEXT.length - end)),
      `{\n        "table:public.actor": "B",\n        "table:public.film": ${JSON.stringify(edited)}\n    }`,
    );
    assert.deepEqual(JSON.parse(out).schemaOverrides, { 'table:public.actor': 'B', [FILM]: edited });
  });

  it('writes an empty object when the last override is reverted', () => {
    const out = withOverridesInTaskText(TASK_TEXT, {});
    assert.equal(out, TASK_TEXT.replace('{\n        "table:public.actor": "B"\n    }', '{}'));
  });

  it('adds schemaOverrides as the last member when the file has none', () => {
    const text = '{\n  "name": "t",\n  "source": "mysql://root@h/db",\n  "target": "postgres://u@h/db"\n}\n';
    const out = withOverridesInTaskText(text, { [FILM]: 'X' });
    assert.equal(out, '{\n  "name": "t",\n  "source": "mysql://root@h/db",\n  "target": "postgres://u@h/db",\n  "schemaOverrides": {\n    "table:public.film": "X"\n  }\n}\n');
  });

  it('finds schemaOverrides after members whose strings contain braces, quotes and the key name itself', () => {
    const text = '{"name":"t","description":"a \\"schemaOverrides\\": {} } [","source":"mysql://r@h/d","target":"postgres://u@h/d","schemaOverrides":{"table:public.film":"old"}}';
    const out = withOverridesInTaskText(text, { [FILM]: 'new' });
    assert.equal(out, text.replace('{"table:public.film":"old"}', '{"table:public.film":"new"}'));
    assert.equal(JSON.parse(out).description, 'a "schemaOverrides": {} } [');
  });

  it('keeps a byte-order mark', () => {
    const out = withOverridesInTaskText(`\uFEFF${TASK_TEXT}`, {});
    assert.ok(out.startsWith('\uFEFF{'));
  });

  it('refuses a file that is not valid JSON, naming the problem', () => {
    assert.throws(() => withOverridesInTaskText('{"name": "t",', {}), /not valid JSON/);
  });

  it('refuses a file with schemaOverrides twice rather than editing the wrong one', () => {
    const text = '{"name":"t","source":"mysql://r@h/d","target":"postgres://u@h/d","schemaOverrides":{},"schemaOverrides":{"table:a.b":"x"}}';
    assert.throws(() => withOverridesInTaskText(text, { [FILM]: 'X' }), /could not update schemaOverrides in place/);
  });

  it('refuses to write a task that would not load (an override key that is no object id)', () => {
    assert.throws(() => withOverridesInTaskText(TASK_TEXT, { film: 'X' }), /not an object id/);
  });

  it('reads the overrides back from the text', () => {
    assert.deepEqual(overridesOfTaskText(TASK_TEXT), { 'table:public.actor': 'B' });
  });
});

/** vscode.workspace.fs's two calls over node's fs, for files under a temp folder (paths as fsPath). */
const nodeFs: Pick<vscode.FileSystem, 'readFile' | 'writeFile'> = {
  readFile: async (uri) => new Uint8Array(await readFile(uri.fsPath)),
  writeFile: async (uri, content) => writeFile(uri.fsPath, content),
};

function fileUri(file: string): vscode.Uri {
  // Only fsPath and path are read by saveOverrides and the adapter above.
  return { fsPath: file, path: file } as vscode.Uri;
}

describe('saveOverrides', () => {
  it('merges into the file as it is on disk now and the written task loads with the overrides', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-overrides-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'sakila-to-pg.json');
    writeFileSync(file, TASK_TEXT);
    // Someone changed parallelism since the panel loaded the task: the save must keep that.
    writeFileSync(file, TASK_TEXT.replace('"parallelism": 4', '"parallelism": 8'));
    const saved = await saveOverrides(nodeFs, fileUri(file), [{ id: FILM, ddl: 'CREATE TABLE film2 ()' }, { id: ACTOR, ddl: null }], generated);
    assert.equal(saved.written, true);
    assert.deepEqual(saved.merge.added, [FILM]);
    assert.deepEqual(saved.merge.removed, [ACTOR]);
    const loaded = loadTask(file);
    assert.deepEqual(loaded.schemaOverrides, { [FILM]: 'CREATE TABLE film2 ()' });
    assert.equal(loaded.parallelism, 8);
    assert.deepEqual(loaded.objects.exclude, ['film_text']);
    assert.deepEqual(saved.task, loaded);
    assert.equal(readFileSync(file, 'utf8'), saved.text);
  });

  it('does not touch the file when nothing changes', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-overrides-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'task.json');
    const compact = TASK_TEXT.replace(/\n\s*/g, '');
    writeFileSync(file, compact);
    const saved = await saveOverrides(nodeFs, fileUri(file), [{ id: ACTOR, ddl: 'B' }, { id: FILM, ddl: null }], generated);
    assert.equal(saved.written, false);
    assert.equal(readFileSync(file, 'utf8'), compact);
  });
});

describe('withOverridesInTaskText on one-line JSON', () => {
  it('keeps a one-line file on one line when adding schemaOverrides', () => {
    const text = '{"name":"t","source":"mysql://r@h/d","target":"postgres://u@h/d"}';
    assert.equal(withOverridesInTaskText(text, { [FILM]: 'X' }), '{"name":"t","source":"mysql://r@h/d","target":"postgres://u@h/d","schemaOverrides":{"table:public.film":"X"}}');
  });
});
