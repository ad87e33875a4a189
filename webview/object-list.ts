// The left-hand object list: grouping by kind, badges, filter and search (pure, no DOM).
import type { ConvertedObject, ObjectKind } from '../src/engine/convert/types';
import type { ApplyView, ObjectFilter } from './review-state';
import { objectStatus } from './review-state';

/** Kinds in the order a DBA reads a schema, with their group titles. */
export const KIND_GROUPS: readonly { kind: ObjectKind; label: string }[] = [
  { kind: 'schema', label: 'Schemas' },
  { kind: 'table', label: 'Tables' },
  { kind: 'view', label: 'Views' },
  { kind: 'index', label: 'Indexes' },
  { kind: 'constraint', label: 'Constraints' },
  { kind: 'foreign_key', label: 'Foreign keys' },
  { kind: 'sequence', label: 'Sequences' },
  { kind: 'type', label: 'Types' },
  { kind: 'routine', label: 'Routines' },
  { kind: 'trigger', label: 'Triggers' },
];

export interface ListItem {
  id: string;
  kind: ObjectKind;
  /** The id without its `kind:` prefix, e.g. `public.film` or `public.film.idx_title`. */
  name: string;
  /** Warnings of level warn or manual (info notes do not earn a badge). */
  warnings: number;
  manual: boolean;
  overridden: boolean;
  edited: boolean;
  /** Outcome of the last Apply, when there was one. */
  applied?: ApplyView;
}

export interface ListGroup {
  kind: ObjectKind;
  label: string;
  items: ListItem[];
  /** Objects of this kind before filter and search. */
  total: number;
}

export interface ListInputs {
  saved: Record<string, string>;
  drafts: Record<string, string>;
  applyResults: Record<string, ApplyView>;
}

export function displayName(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? id : id.slice(colon + 1);
}

export function listItem(obj: ConvertedObject, inputs: ListInputs): ListItem {
  const status = objectStatus(obj, inputs.saved, inputs.drafts);
  return {
    id: obj.id,
    kind: obj.kind,
    name: displayName(obj.id),
    warnings: obj.warnings.filter((w) => w.level !== 'info').length,
    // The object itself cannot be converted; a manual-level Warning on a converted object counts as a warning.
    manual: obj.manual,
    overridden: status.overridden,
    edited: status.edited,
    applied: inputs.applyResults[obj.id],
  };
}

function passesFilter(item: ListItem, filter: ObjectFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'warnings':
      return item.warnings > 0;
    case 'manual':
      return item.manual;
    case 'overridden':
      return item.overridden;
    case 'edited':
      return item.edited;
    case 'failed':
      return item.applied?.ok === false;
  }
}

/** Every whitespace-separated term must occur (case-insensitively) in the name, the kind or a warning code. */
export function matchesSearch(obj: ConvertedObject, search: string): boolean {
  const terms = search.toLowerCase().split(/\s+/).filter((t) => t !== '');
  if (terms.length === 0) return true;
  const haystack = [displayName(obj.id), obj.kind, ...obj.warnings.map((w) => w.code)].join('\n').toLowerCase();
  return terms.every((t) => haystack.includes(t));
}

/** Groups (in KIND_GROUPS order, empty groups left out) of the objects that pass filter and search, sorted by name. */
export function buildObjectList(objects: ConvertedObject[], inputs: ListInputs, filter: ObjectFilter, search: string): ListGroup[] {
  const groups: ListGroup[] = [];
  for (const { kind, label } of KIND_GROUPS) {
    const ofKind = objects.filter((o) => o.kind === kind);
    if (ofKind.length === 0) continue;
    const items = ofKind
      .filter((o) => matchesSearch(o, search))
      .map((o) => listItem(o, inputs))
      .filter((i) => passesFilter(i, filter))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (items.length > 0) groups.push({ kind, label, items, total: ofKind.length });
  }
  return groups;
}

/** The ids a keyboard user moves through, top to bottom (collapsed groups hide theirs). */
export function visibleIds(groups: ListGroup[], collapsedKinds: readonly string[]): string[] {
  return groups.filter((g) => !collapsedKinds.includes(g.kind)).flatMap((g) => g.items.map((i) => i.id));
}

export interface ReportSummary {
  objects: number;
  warnings: number;
  manual: number;
  overridden: number;
  edited: number;
}

export function summarize(objects: ConvertedObject[], inputs: ListInputs): ReportSummary {
  const items = objects.map((o) => listItem(o, inputs));
  return {
    objects: items.length,
    warnings: items.reduce((n, i) => n + i.warnings, 0),
    manual: items.filter((i) => i.manual).length,
    overridden: items.filter((i) => i.overridden).length,
    edited: items.filter((i) => i.edited).length,
  };
}
