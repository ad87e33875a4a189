// DDL diff rendering of the schema panel: exact sides, word-level marks, unified view, and HTML that is only text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DiffLine, diffSides, diffUnified, escapeHtml, renderSideHtml, renderUnifiedHtml, type Segment } from '../../webview/ddl-diff';

const text = (line: DiffLine) => line.segments.map((s) => s.text).join('');
const marked = (segments: Segment[], kind: 'added' | 'removed') => segments.filter((s) => s.kind === kind).map((s) => s.text);

const MYSQL = "CREATE TABLE `film` (\n  `film_id` smallint unsigned NOT NULL,\n  `title` varchar(128) NOT NULL COMMENT '<script>alert(\"x\")</script>',\n  PRIMARY KEY (`film_id`)\n)";
const PG = 'CREATE TABLE "public"."film" (\n  "film_id" integer NOT NULL,\n  "title" varchar(128) NOT NULL,\n  PRIMARY KEY ("film_id")\n);\nCOMMENT ON COLUMN "public"."film"."title" IS \'<script>alert("x")</script>\'\n';

describe('diffSides', () => {
  const pairs: [string, string, string][] = [
    ['a MySQL table and its PostgreSQL conversion', MYSQL, PG],
    ['identical texts', PG, PG],
    ['empty before', '', 'CREATE INDEX i ON t (a)'],
    ['empty after', 'CREATE INDEX i ON t (a)', ''],
    ['both empty', '', ''],
    ['a trailing newline added', 'a\nb', 'a\nb\n'],
    ['lines inserted in the middle', 'a\nb\nc\nd', 'a\nb\nX\nY\nc\nd'],
    ['Unicode and tabs', 'CREATE TABLE "tä" (\n\t"ö" int\n)', 'CREATE TABLE "tä" (\n\t"ö" bigint,\n\t"ü" text\n)'],
  ];
  for (const [what, before, after] of pairs) {
    it(`keeps both texts exactly, line for line: ${what}`, () => {
      const d = diffSides(before, after);
      assert.equal(d.left.map(text).join('\n'), before);
      assert.equal(d.right.map(text).join('\n'), after);
      assert.deepEqual(d.left.map((l) => l.number), d.left.map((_, i) => i + 1));
      assert.equal(d.identical, before === after);
    });
  }

  it('marks only the changed words of a changed line', () => {
    const d = diffSides('  "film_id" smallint NOT NULL,', '  "film_id" integer NOT NULL,');
    assert.deepEqual(marked(d.left[0].segments, 'removed'), ['smallint']);
    assert.deepEqual(marked(d.right[0].segments, 'added'), ['integer']);
    assert.equal(d.left[0].changed, true);
    assert.equal(d.right[0].changed, true);
  });

  it('marks no line when nothing changed', () => {
    const d = diffSides(PG, PG);
    assert.equal(d.left.some((l) => l.changed) || d.right.some((l) => l.changed), false);
    assert.deepEqual([d.removedLines, d.addedLines], [0, 0]);
  });

  it('counts wholly added lines and leaves the unchanged ones unmarked', () => {
    const d = diffSides('a\nb', 'a\nb\nc\nd');
    assert.deepEqual(d.right.map((l) => l.changed), [false, true, true, true]);
    assert.deepEqual(d.right.slice(2).map((l) => l.segments), [[{ text: 'c', kind: 'added' }], [{ text: 'd', kind: 'added' }]]);
    assert.equal(d.left.some((l) => l.changed), false);
  });

  it('still shows texts too large for a word diff exactly, as whole changed lines', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `  "c${i}" int,`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `  "c${i}" bigint,`).join('\n');
    const d = diffSides(before, after);
    assert.equal(d.left.map(text).join('\n'), before);
    assert.equal(d.right.map(text).join('\n'), after);
    assert.equal(d.addedLines, 3000);
  });
});

describe('diffUnified', () => {
  it('lists removed lines before the added lines that replace them, with both line numbers', () => {
    const lines = diffUnified('a\nb\nc', 'a\nB\nc');
    assert.deepEqual(lines.map((l) => l.kind), ['same', 'removed', 'added', 'same']);
    assert.deepEqual(lines[1], { kind: 'removed', oldNumber: 2, segments: [{ text: 'b', kind: 'removed' }] });
    assert.deepEqual(lines[2], { kind: 'added', newNumber: 2, segments: [{ text: 'B', kind: 'added' }] });
    assert.deepEqual(lines[3], { kind: 'same', oldNumber: 3, newNumber: 3, segments: [{ text: 'c', kind: 'same' }] });
  });

  it('keeps the given context around changes and counts what it leaves out', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = before.replace('5', 'five');
    const lines = diffUnified(before, after, 1);
    assert.deepEqual(lines.map((l) => (l.kind === 'skipped' ? `skip${l.count}` : l.kind)), ['skip3', 'same', 'removed', 'added', 'same', 'skip3']);
  });

  it('is all unchanged lines for equal texts', () => {
    assert.deepEqual(diffUnified('x\ny', 'x\ny').map((l) => l.kind), ['same', 'same']);
  });
});

describe('HTML rendering', () => {
  it('renders <script> in a column comment as text, on both sides and in the unified view', () => {
    const d = diffSides(MYSQL, PG);
    for (const html of [renderSideHtml(d.left, 'left'), renderSideHtml(d.right, 'right'), renderUnifiedHtml(diffUnified(MYSQL, PG))]) {
      assert.equal(/<script/i.test(html), false);
      assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
      // The only tags are the renderer's own spans.
      assert.deepEqual([...new Set(html.match(/<\/?[a-z]+/gi))].sort(), ['</span', '<span']);
    }
  });

  it('escapes every HTML-special character', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('gives each line a block and marks changed lines and words with classes', () => {
    const d = diffSides('a int', 'a bigint');
    assert.equal(renderSideHtml(d.left, 'left'), '<span class="line line-removed">a <span class="seg-removed">int</span></span>');
    assert.equal(renderSideHtml(d.right, 'right'), '<span class="line line-added">a <span class="seg-added">bigint</span></span>');
    assert.equal(renderSideHtml(diffSides('x\n', 'x\n').right, 'right'), '<span class="line">x</span><span class="line"></span>');
  });

  it('renders unified lines with numbers and markers', () => {
    const html = renderUnifiedHtml(diffUnified('a\nb', 'a\nc'));
    assert.equal(html,
      '<span class="line"><span class="gutter">   1    1   </span>a</span>' +
      '<span class="line line-removed"><span class="gutter">   2      - </span><span class="seg-removed">b</span></span>' +
      '<span class="line line-added"><span class="gutter">        2 + </span><span class="seg-added">c</span></span>');
  });
});
