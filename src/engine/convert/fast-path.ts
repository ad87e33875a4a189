// Byte-level fast paths of value converters: which converters a bulk copier may replace by copying the
// source's text bytes (after a cheap byte check) without changing any value. Converters stay the truth:
// a value that fails the check goes through the converter itself.
import type { ValueConverter } from './types';

/**
 * - `text`: the value's text as it is, unless it holds a NUL byte (then the converter decides).
 * - `date`: the text as it is, unless it is a MySQL zero or partial-zero date (`0000-…`, `…-00-…`, `…-00`).
 * - `timestamp-utc`: as `date`, with `+00` appended.
 * - `bytes`: the value's bytes as they are.
 */
export type ByteFastPath = 'text' | 'date' | 'timestamp-utc' | 'bytes';

const marks = new WeakMap<ValueConverter, ByteFastPath>();

/** Declares that `convert` equals the fast path `kind` for every value that passes the kind's check. */
export function withFastPath<T extends ValueConverter>(convert: T, kind: ByteFastPath): T {
  marks.set(convert, kind);
  return convert;
}

/** The fast path of a converter, or undefined when every value must go through it. */
export function fastPathOf(convert: ValueConverter): ByteFastPath | undefined {
  return marks.get(convert);
}
