// The full-load phase's public surface.
export { runFullLoad } from './full-load';
export { copyTableOnce } from './copy-table';
export type { FullLoadContext, FullLoadResult } from './types';
