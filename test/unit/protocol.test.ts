// The schema panel's message protocol: every message type is accepted as sent, malformed ones are refused with a reason.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConvertedObject } from '../../src/engine/convert/types';
import {
  applyResultsForPage, HOST_MESSAGE_TYPES, type HostMessage, MAX_DDL_CHARS, objectForPage, objectsForPage, parseHostMessage, parseWebviewMessage, sameDdl, WEBVIEW_MESSAGE_TYPES,
  type WebviewMessage,
} from '../../webview/protocol';

const film: ConvertedObject = {
  id: 'table:public.film',
  kind: 'table',
  phase: 'pre-data',
  sourceDdl: 'CREATE TABLE `film` (`film_id` smallint unsigned NOT NULL)',
  generatedDdl: 'CREATE TABLE "public"."film" ("film_id" integer NOT NULL)',
  targetDdl: 'CREATE TABLE "public"."film" ("film_id" integer NOT NULL)',
  overridden: false,
  manual: false,
  warnings: [{ code: 'UNSIGNED_WIDENED', object: 'table:public.film.film_id', level: 'info', message: 'smallint unsigned widened to integer' }],
  dependsOn: ['schema:public'],
};

const hostSamples: HostMessage[] = [
  { type: 'report', taskName: 'sakila-to-pg', sourceEngine: 'mysql', targetEngine: 'postgres', objects: [film], savedOverrides: { 'table:public.film': 'CREATE TABLE x ()' }, orphanOverrides: ['view:public.gone'] },
  { type: 'conversionFailed', error: 'cannot connect to 127.0.0.1:3306', fix: 'start the server' },
  { type: 'conversionFailed', error: 'no tables' },
  { type: 'busy', action: 'apply', busy: true, detail: 'Applying…' },
  { type: 'busy', action: 'convert', busy: false },
  { type: 'validationResult', objectId: 'table:public.film', ddl: 'CREATE TABLE x ()', ok: true },
  { type: 'validationResult', objectId: 'table:public.film', ddl: 'CREATE TABLE x (', ok: false, error: 'syntax error at end of input' },
  { type: 'saved', savedOverrides: {}, rejected: [{ id: 'table:public.zz', reason: 'not in the conversion' }] },
  { type: 'saveFailed', error: 'the task file has unsaved changes' },
  { type: 'applyResult', results: [{ id: 'table:public.film', ok: true }, { id: 'index:public.film.i', ok: false, error: 'exists', skipped: false }] },
  { type: 'applyFailed', error: 'target is not empty' },
  { type: 'taskFileChanged' },
];

const webviewSamples: WebviewMessage[] = [
  { type: 'ready' },
  { type: 'reload' },
  { type: 'validate', objectId: 'table:public.film', ddl: 'CREATE TABLE "public"."film" ()' },
  { type: 'save', changes: [{ id: 'table:public.film', ddl: 'CREATE TABLE x ()' }, { id: 'view:public.v', ddl: null }] },
  { type: 'apply', changes: [] },
  { type: 'openTaskFile' },
];

describe('protocol: well-formed messages', () => {
  it('has a sample for every host and webview message type', () => {
    assert.deepEqual([...new Set(hostSamples.map((m) => m.type))].sort(), [...HOST_MESSAGE_TYPES].sort());
    assert.deepEqual([...new Set(webviewSamples.map((m) => m.type))].sort(), [...WEBVIEW_MESSAGE_TYPES].sort());
  });

  for (const sample of hostSamples) {
    it(`accepts the host message ${sample.type} ${JSON.stringify(sample).slice(0, 60)}`, () => {
      // Through JSON like postMessage's structured clone of plain data.
      const parsed = parseHostMessage(JSON.parse(JSON.stringify(sample)));
      assert.deepEqual(parsed, { ok: true, message: sample });
    });
  }

  for (const sample of webviewSamples) {
    it(`accepts the webview message ${sample.type} ${JSON.stringify(sample).slice(0, 60)}`, () => {
      assert.deepEqual(parseWebviewMessage(JSON.parse(JSON.stringify(sample))), { ok: true, message: sample });
    });
  }

  it('accepts ids with dots, quotes and Unicode in names', () => {
    const id = 'table:"weird"."tä.ble `x`"';
    assert.equal(parseWebviewMessage({ type: 'validate', objectId: id, ddl: 'SELECT 1' }).ok, true);
  });
});

describe('protocol: malformed messages are refused with a reason', () => {
  const cases: [string, unknown, RegExp, 'host' | 'webview'][] = [
    ['a non-object', 'ready', /must be an object/, 'webview'],
    ['null', null, /must be an object/, 'webview'],
    ['an array', [{ type: 'ready' }], /must be an object/, 'webview'],
    ['a message without type', { objectId: 'table:a.b' }, /no "type"/, 'webview'],
    ['an unknown type', { type: 'dropDatabase' }, /unknown webview message type "dropDatabase"/, 'webview'],
    ['a host type sent by the page', { type: 'taskFileChanged' }, /unknown webview message type/, 'webview'],
    ['a missing field', { type: 'validate', objectId: 'table:public.film' }, /validate\.ddl must be a string/, 'webview'],
    ['a field of the wrong type', { type: 'validate', objectId: 'table:public.film', ddl: 42 }, /validate\.ddl must be a string/, 'webview'],
    ['an unexpected field', { type: 'ready', extra: 1 }, /unexpected field "extra"/, 'webview'],
    ['an id that is no object id', { type: 'validate', objectId: 'film', ddl: 'x' }, /is not an object id/, 'webview'],
    ['an unknown kind in an id', { type: 'validate', objectId: 'database:film', ddl: 'x' }, /is not an object id/, 'webview'],
    ['a change without ddl', { type: 'save', changes: [{ id: 'table:public.film' }] }, /save\.changes\[0\]\.ddl must be a string/, 'webview'],
    ['a change list that is no list', { type: 'save', changes: { id: 'table:public.film', ddl: 'x' } }, /save\.changes must be a list/, 'webview'],
    ['the same id twice in one save', { type: 'save', changes: [{ id: 'table:a.b', ddl: 'x' }, { id: 'table:a.b', ddl: null }] }, /names "table:a\.b" twice/, 'webview'],
    ['DDL over the size limit', { type: 'validate', objectId: 'table:a.b', ddl: 'x'.repeat(MAX_DDL_CHARS + 1) }, /longer than/, 'webview'],
    ['a failed validation without error', { type: 'validationResult', objectId: 'table:a.b', ddl: 'x', ok: false }, /error is required/, 'host'],
    ['an unknown engine', { ...hostSamples[0], sourceEngine: 'oracle' }, /sourceEngine must be one of mysql, postgres/, 'host'],
    ['an object of unknown kind', { ...hostSamples[0], objects: [{ ...film, kind: 'synonym' }] }, /objects\[0\]\.kind must be one of/, 'host'],
    ['a warning of unknown level', { ...hostSamples[0], objects: [{ ...film, warnings: [{ ...film.warnings[0], level: 'fatal' }] }] }, /warnings\[0\]\.level/, 'host'],
    ['an object missing a field', { ...hostSamples[0], objects: [{ ...film, generatedDdl: undefined }] }, /objects\[0\]\.generatedDdl must be a string/, 'host'],
    ['overrides with a non-text value', { ...hostSamples[0], savedOverrides: { 'table:a.b': 1 } }, /savedOverrides\["table:a\.b"\] must be a string/, 'host'],
    ['overrides keyed by a non-id', { type: 'saved', savedOverrides: { film: 'x' }, rejected: [] }, /savedOverrides key "film" is not an object id/, 'host'],
    ['a busy action that does not exist', { type: 'busy', action: 'drop', busy: true }, /busy\.action must be one of/, 'host'],
    ['an apply result without ok', { type: 'applyResult', results: [{ id: 'table:a.b' }] }, /results\[0\]\.ok must be true or false/, 'host'],
  ];
  for (const [what, raw, reason, side] of cases) {
    it(`refuses ${what}`, () => {
      const parsed = side === 'host' ? parseHostMessage(raw) : parseWebviewMessage(raw);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { reason: string }).reason, reason);
    });
  }
});

describe('protocol: sameDdl decides when an edit is no override', () => {
  it('ignores trailing spaces, trailing blank lines, CRLF and one final semicolon', () => {
    assert.equal(sameDdl('CREATE TABLE a (\n  x int\n)', 'CREATE TABLE a (  \r\n  x int\r\n);\n\n'), true);
  });
  it('counts changes inside a line, in indentation and in identifier case', () => {
    assert.equal(sameDdl('CREATE TABLE a (x int)', 'CREATE TABLE a (x  int)'), false);
    assert.equal(sameDdl('CREATE TABLE a (\n  x int\n)', 'CREATE TABLE a (\n    x int\n)'), false);
    assert.equal(sameDdl('CREATE TABLE "A" (x int)', 'CREATE TABLE "a" (x int)'), false);
  });
});

describe('protocol: objectForPage', () => {
  it('projects an engine object with extra fields to one the page accepts, keeping every contract field', () => {
    const engineObject = { ...film, renamedFrom: 'Film', warnings: [{ ...film.warnings[0], column: 'film_id' }] } as unknown as ConvertedObject;
    const projected = objectForPage(engineObject);
    assert.deepEqual(projected, film);
    const report = { ...hostSamples[0], objects: [projected] };
    assert.deepEqual(parseHostMessage(report), { ok: true, message: report });
    assert.equal(parseHostMessage({ ...hostSamples[0], objects: [engineObject] }).ok, false, 'unprojected, the extra field is refused');
  });
});

describe('protocol: objectsForPage', () => {
  const create: ConvertedObject = { ...film, generatedDdl: 'CREATE TABLE "public"."film" ();', targetDdl: 'CREATE TABLE "public"."film" ();', dependsOn: ['schema:public'] };
  const restart: ConvertedObject = {
    ...film, phase: 'finalize', generatedDdl: 'ALTER TABLE "public"."film" ALTER COLUMN "film_id" RESTART WITH 1001;',
    targetDdl: 'ALTER TABLE "public"."film" ALTER COLUMN "film_id" RESTART WITH 1001;', dependsOn: ['table:public.film'],
  };
  const index: ConvertedObject = { ...film, id: 'index:public.film.i', kind: 'index', phase: 'post-data', warnings: [], dependsOn: ['table:public.film'] };

  it('lists an object rendered in several phases once, its texts joined in phase order', () => {
    const objects = objectsForPage([restart, index, create]);
    assert.deepEqual(objects.map((o) => o.id), ['table:public.film', 'index:public.film.i']);
    assert.deepEqual(objects[0], {
      ...create,
      generatedDdl: `${create.generatedDdl}\n\n${restart.generatedDdl}`,
      targetDdl: `${create.generatedDdl}\n\n${restart.generatedDdl}`,
      warnings: film.warnings,
      dependsOn: ['schema:public'],
    });
  });

  it('shows an override of such an object as the one text the engine runs', () => {
    const [merged] = objectsForPage([{ ...create, overridden: true, targetDdl: 'CREATE TABLE hand ();' }, { ...restart, overridden: true, targetDdl: '' }]);
    assert.equal(merged.targetDdl, 'CREATE TABLE hand ();');
    assert.equal(merged.overridden, true);
  });

  it('combines apply results per object: ok only if every phase was', () => {
    assert.deepEqual(applyResultsForPage([
      { id: 'table:a.b', ok: true }, { id: 'index:a.b.i', ok: true }, { id: 'table:a.b', ok: false, error: 'restart failed' }, { id: 'table:a.b', ok: false, skipped: true },
    ]), [{ id: 'table:a.b', ok: false, error: 'restart failed' }, { id: 'index:a.b.i', ok: true }]);
  });
});
