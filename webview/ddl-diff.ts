// Line + word diff of two DDL texts, as segments and as escaped HTML (pure: runs in the page and under node).
import { diffLines, diffWordsWithSpace, type Change } from 'diff';

export type SegmentKind = 'same' | 'removed' | 'added';

export interface Segment {
  text: string;
  kind: SegmentKind;
}

/** One line of one side: its text split into segments; `changed` when any part of it (or its line break) differs. */
export interface DiffLine {
  /** 1-based line number on its side. */
  number: number;
  segments: Segment[];
  changed: boolean;
}

export interface SideBySideDiff {
  /** The before text's lines; joined with '\n' they give the before text exactly. */
  left: DiffLine[];
  /** The after text's lines; joined with '\n' they give the after text exactly. */
  right: DiffLine[];
  identical: boolean;
  /** Changed lines on each side. */
  removedLines: number;
  addedLines: number;
}

export type UnifiedLine =
  | { kind: 'same'; oldNumber: number; newNumber: number; segments: Segment[] }
  | { kind: 'removed'; oldNumber: number; segments: Segment[] }
  | { kind: 'added'; newNumber: number; segments: Segment[] }
  /** Unchanged lines left out (outside the context around changes). */
  | { kind: 'skipped'; count: number };

/** Word diff is skipped for blocks larger than this (it is quadratic in the worst case); lines still show. */
const WORD_DIFF_MAX_CHARS = 20_000;
/** Beyond this edit distance the line diff gives up and shows the texts as wholly replaced. */
const LINE_DIFF_MAX_EDIT = 5_000;

interface Block {
  changed: boolean;
  left: Segment[];
  right: Segment[];
}

function push(segments: Segment[], text: string, kind: SegmentKind): void {
  if (text === '') return;
  const last = segments[segments.length - 1];
  if (last && last.kind === kind) last.text += text;
  else segments.push({ text, kind });
}

/** Word-level segments of a removed block against the added block that replaced it. */
function wordBlock(removed: string, added: string): Block {
  const block: Block = { changed: true, left: [], right: [] };
  const words = removed.length + added.length <= WORD_DIFF_MAX_CHARS ? diffWordsWithSpace(removed, added, { maxEditLength: 2_000 }) : undefined;
  if (!words) {
    push(block.left, removed, 'removed');
    push(block.right, added, 'added');
    return block;
  }
  for (const w of words) {
    if (w.removed) push(block.left, w.value, 'removed');
    else if (w.added) push(block.right, w.value, 'added');
    else {
      push(block.left, w.value, 'same');
      push(block.right, w.value, 'same');
    }
  }
  return block;
}

function blocksOf(before: string, after: string): Block[] {
  if (before === after) return [{ changed: false, left: before ? [{ text: before, kind: 'same' }] : [], right: after ? [{ text: after, kind: 'same' }] : [] }];
  const changes: Change[] = diffLines(before, after, { maxEditLength: LINE_DIFF_MAX_EDIT }) ?? [
    { value: before, removed: true, added: false, count: 0 },
    { value: after, removed: false, added: true, count: 0 },
  ];
  const blocks: Block[] = [];
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (!c.added && !c.removed) {
      blocks.push({ changed: false, left: [{ text: c.value, kind: 'same' }], right: [{ text: c.value, kind: 'same' }] });
    } else if (c.removed && changes[i + 1]?.added) {
      blocks.push(wordBlock(c.value, changes[i + 1].value));
      i++;
    } else if (c.added && changes[i + 1]?.removed) {
      blocks.push(wordBlock(changes[i + 1].value, c.value));
      i++;
    } else if (c.removed) {
      blocks.push({ changed: true, left: [{ text: c.value, kind: 'removed' }], right: [] });
    } else {
      blocks.push({ changed: true, left: [], right: [{ text: c.value, kind: 'added' }] });
    }
  }
  return blocks;
}

/**
 * Splits segments into lines. A line break belongs to the line it ends, so a changed line break marks that line.
 * With `whole` the result covers the text exactly (a trailing break yields a final empty line, like an editor);
 * without it, a block's terminal line break does not open a new line (for unified blocks).
 */
function splitLines(segments: Segment[], firstNumber: number, whole: boolean): DiffLine[] {
  const lines: DiffLine[] = [];
  let current: DiffLine = { number: firstNumber, segments: [], changed: false };
  for (const seg of segments) {
    const parts = seg.text.split('\n');
    for (let p = 0; p < parts.length; p++) {
      if (p > 0) {
        if (seg.kind !== 'same') current.changed = true;
        lines.push(current);
        current = { number: firstNumber + lines.length, segments: [], changed: false };
      }
      if (parts[p] !== '') {
        push(current.segments, parts[p], seg.kind);
        if (seg.kind !== 'same') current.changed = true;
      }
    }
  }
  if (whole || current.segments.length > 0) lines.push(current);
  return lines;
}

/** Both texts as lines with the changed words marked: removed on the left, added on the right. */
export function diffSides(before: string, after: string): SideBySideDiff {
  const blocks = blocksOf(before, after);
  const left = splitLines(blocks.flatMap((b) => b.left), 1, true);
  const right = splitLines(blocks.flatMap((b) => b.right), 1, true);
  return {
    left,
    right,
    identical: before === after,
    removedLines: left.filter((l) => l.changed).length,
    addedLines: right.filter((l) => l.changed).length,
  };
}

/** A unified diff (removed lines before the added lines that replace them), with `context` unchanged lines kept around changes. */
export function diffUnified(before: string, after: string, context = Number.POSITIVE_INFINITY): UnifiedLine[] {
  const out: UnifiedLine[] = [];
  let oldNo = 1;
  let newNo = 1;
  for (const block of blocksOf(before, after)) {
    if (!block.changed) {
      for (const line of splitLines(block.left, 0, false)) {
        out.push({ kind: 'same', oldNumber: oldNo++, newNumber: newNo++, segments: line.segments });
      }
      continue;
    }
    const left = splitLines(block.left, oldNo, false);
    const right = splitLines(block.right, newNo, false);
    for (const l of left) out.push({ kind: 'removed', oldNumber: l.number, segments: l.segments });
    for (const r of right) out.push({ kind: 'added', newNumber: r.number, segments: r.segments });
    oldNo += left.length;
    newNo += right.length;
  }
  return context === Number.POSITIVE_INFINITY ? out : collapseContext(out, context);
}

function collapseContext(lines: UnifiedLine[], context: number): UnifiedLine[] {
  const keep = lines.map((l) => l.kind !== 'same');
  const near = keep.map((_, i) => {
    for (let d = -context; d <= context; d++) if (keep[i + d]) return true;
    return false;
  });
  const out: UnifiedLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (near[i]) {
      out.push(lines[i]);
      continue;
    }
    const last = out[out.length - 1];
    if (last?.kind === 'skipped') last.count++;
    else out.push({ kind: 'skipped', count: 1 });
  }
  return out;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function segmentsHtml(segments: Segment[]): string {
  return segments.map((s) => (s.kind === 'same' ? escapeHtml(s.text) : `<span class="seg-${s.kind}">${escapeHtml(s.text)}</span>`)).join('');
}

/**
 * One side as HTML for a `<pre>`: a block per line (so the line background spans the width), changed words in
 * `seg-removed` / `seg-added` spans. Every character of the DDL is escaped: DDL carries user text (comments,
 * defaults, check bodies) that must show as text, never as markup.
 */
export function renderSideHtml(lines: DiffLine[], side: 'left' | 'right'): string {
  const changedClass = side === 'left' ? 'line-removed' : 'line-added';
  return lines.map((l) => `<span class="line${l.changed ? ` ${changedClass}` : ''}">${segmentsHtml(l.segments)}</span>`).join('');
}

/** A unified diff as HTML lines with +/- markers and line numbers. */
export function renderUnifiedHtml(lines: UnifiedLine[]): string {
  return lines
    .map((l) => {
      if (l.kind === 'skipped') return `<span class="line line-skipped">⋯ ${l.count} unchanged line${l.count === 1 ? '' : 's'}</span>`;
      const marker = l.kind === 'same' ? ' ' : l.kind === 'removed' ? '-' : '+';
      const oldNo = l.kind === 'added' ? '' : String(l.oldNumber);
      const newNo = l.kind === 'removed' ? '' : String(l.newNumber);
      const cls = l.kind === 'same' ? 'line' : `line line-${l.kind}`;
      return `<span class="${cls}"><span class="gutter">${oldNo.padStart(4)} ${newNo.padStart(4)} ${marker} </span>${segmentsHtml(l.segments)}</span>`;
    })
    .join('');
}
