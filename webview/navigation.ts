// Keyboard movement through the object list and the page's shortcuts, as pure functions of key and state.

export type ListKey = 'ArrowDown' | 'ArrowUp' | 'Home' | 'End' | 'PageDown' | 'PageUp';
const LIST_KEYS: readonly string[] = ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp'];

export function isListKey(key: string): key is ListKey {
  return LIST_KEYS.includes(key);
}

/**
 * The id selected after pressing `key` in a list of `ids` (top to bottom). Moves stop at the ends (no wrap, as in
 * VS Code's lists); from no selection (or one no longer visible) Down/Home go to the first item, Up/End to the last.
 */
export function moveSelection(ids: readonly string[], current: string | undefined, key: ListKey, pageSize = 10): string | undefined {
  if (ids.length === 0) return undefined;
  const at = current === undefined ? -1 : ids.indexOf(current);
  const last = ids.length - 1;
  if (at < 0) return key === 'ArrowUp' || key === 'End' || key === 'PageUp' ? ids[last] : ids[0];
  const step = Math.max(1, pageSize);
  const target =
    key === 'ArrowDown' ? at + 1 :
    key === 'ArrowUp' ? at - 1 :
    key === 'Home' ? 0 :
    key === 'End' ? last :
    key === 'PageDown' ? at + step :
    at - step;
  return ids[Math.min(last, Math.max(0, target))];
}

export type Shortcut = 'save' | 'cancelEdit' | 'open' | 'validate';

export interface KeyInfo {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * The page shortcut a key press means, given where focus is: Ctrl/Cmd+S saves anywhere, Ctrl/Cmd+Enter
 * validates, Esc in the editor cancels the edit, Enter in the list opens the object in the editor.
 */
export function shortcutFor(e: KeyInfo, focus: 'list' | 'editor' | 'other'): Shortcut | undefined {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 's') return 'save';
  if (mod && !e.altKey && e.key === 'Enter') return 'validate';
  if (e.key === 'Escape' && !mod && focus === 'editor') return 'cancelEdit';
  if (e.key === 'Enter' && !mod && !e.altKey && focus === 'list') return 'open';
  return undefined;
}
