// Where a local VS Code executable exists (VSCODE_EXECUTABLE_PATH), the extension's own extension-host tests
// (test/e2e/extension-tests/index.js, if any) run with @vscode/test-electron against it — never a download.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { E2E_DIR, ROOT, WORK } from './paths';

export const EXTENSION_TESTS = path.join(E2E_DIR, 'extension-tests', 'index.js');

/** Whether this machine can run them: a VS Code executable given, and a tests module present. */
export function electronTestsAvailable(): boolean {
  const exe = process.env.VSCODE_EXECUTABLE_PATH;
  return !!exe && existsSync(exe) && existsSync(EXTENSION_TESTS);
}

/** Runs the extension-host tests in the local VS Code; resolves with its exit code. */
export async function runElectronTests(env: Record<string, string>): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  const dir = path.join(WORK, 'electron');
  const workspace = path.join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  return runTests({
    vscodeExecutablePath: process.env.VSCODE_EXECUTABLE_PATH,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: EXTENSION_TESTS,
    extensionTestsEnv: env,
    launchArgs: [workspace, '--disable-extensions', '--user-data-dir', path.join(dir, 'user-data'), '--disable-workspace-trust'],
  });
}
