// Where the e2e suite finds its installed tools (test/e2e/install.sh) and keeps its runs and screenshots.
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const E2E_DIR = path.join(ROOT, 'test', 'e2e');
export const SCREENSHOTS = path.join(E2E_DIR, 'screenshots');
/** Scratch space of a run (ignored by git): workspace folder, user data, extensions, logs. */
export const WORK = path.join(E2E_DIR, '.work');

export const CACHE = process.env.FERRY_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'ferry-e2e');
export const NODE24 = path.join(CACHE, 'node24', 'node_modules', 'node', 'bin', 'node');
export const CODE_SERVER_ENTRY = path.join(CACHE, 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
