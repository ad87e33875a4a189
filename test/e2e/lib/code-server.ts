// Packages Ferry as a .vsix, installs it into a private code-server (a real VS Code workbench whose extension
// host is Node) and starts/stops that server in its own process group.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CODE_SERVER_ENTRY, NODE24, ROOT } from './paths';

/** Private state of one code-server: nothing is shared with the user's own VS Code or another run. */
export interface CodeServerDirs {
  userData: string;
  extensions: string;
  xdg: string;
  logFile: string;
}

export function codeServerDirs(runDir: string): CodeServerDirs {
  const dirs = {
    userData: path.join(runDir, 'user-data'),
    extensions: path.join(runDir, 'extensions'),
    xdg: path.join(runDir, 'xdg'),
    logFile: path.join(runDir, 'code-server.log'),
  };
  for (const d of [dirs.userData, dirs.extensions, dirs.xdg]) mkdirSync(d, { recursive: true });
  return dirs;
}

function checkInstalled(): void {
  if (!existsSync(NODE24) || !existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server is not installed (looked for ${CODE_SERVER_ENTRY}); run: bash test/e2e/install.sh`);
  }
}

/** Environment for code-server: XDG dirs under the run, no marketplace (offline), plus the caller's variables. */
function serverEnv(dirs: CodeServerDirs, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dirs.xdg, 'config'),
    XDG_DATA_HOME: path.join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: path.join(dirs.xdg, 'cache'),
    // An empty gallery stops look-ups on the extension marketplace, which this machine cannot reach.
    EXTENSIONS_GALLERY: '{}',
    ...extra,
  };
}

/** `npm run package` in the repo: the production bundle packaged by vsce. Returns the .vsix path. */
export function packageExtension(projectDir = ROOT): string {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: projectDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`npm run package failed (exit ${r.status}):\n${(r.stdout + r.stderr).split('\n').slice(-30).join('\n')}`);
  }
  const vsix = path.join(projectDir, 'ferry.vsix');
  if (!existsSync(vsix)) throw new Error(`npm run package did not produce ${vsix}`);
  return vsix;
}

/** Installs a .vsix with `code-server --install-extension`, exactly as a user installs a downloaded extension. */
export function installExtension(vsix: string, dirs: CodeServerDirs): string {
  checkInstalled();
  const r = spawnSync(NODE24, [CODE_SERVER_ENTRY, '--config', '/dev/null', '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions, '--force', '--install-extension', vsix],
  { env: serverEnv(dirs), encoding: 'utf8', timeout: 120_000 });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${path.basename(vsix)} into code-server failed (exit ${r.status}): ${out}`);
  }
  return out;
}

/** User settings of the test profile: no welcome page, trust prompt, telemetry, AI panels or tips in the way. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  dirs: CodeServerDirs;
  workspace: string;
  port?: number;
  /** Variables the extension host inherits (test database ports, passwords). */
  env?: Record<string, string>;
  extraArgs?: string[];
}

/** A running code-server in its own process group (the leader's pid is the group id). */
export class CodeServer {
  private stopped = false;
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess, readonly port: number, readonly workspace: string, readonly dirs: CodeServerDirs) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number { return this.child.pid ?? -1; }
  get url(): string { return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`; }

  /** Whether any process of the group is still alive (kill 0 probes without signalling). */
  groupAlive(): boolean {
    try { process.kill(-this.pid, 0); return true; } catch { return false; }
  }

  /**
   * Stops the whole process group: TERM, wait up to 10 s, then KILL. Killing only the leader would leave
   * the extension host and file watcher running.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try { process.kill(-this.pid, 'SIGTERM'); } catch { return; }
    const deadline = Date.now() + 10_000;
    while (this.groupAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (this.groupAlive()) { try { process.kill(-this.pid, 'SIGKILL'); } catch { /* already gone */ } }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
  }

  /**
   * Full text of an extension's LogOutputChannel as VS Code writes it to disk
   * (user-data/logs/SESSION/exthostN/PUBLISHER.NAME/CHANNEL.log); '' when there is none yet.
   * The Output view shows only the lines that fit; this is the whole log, for assertions.
   */
  channelLog(channel: string): string {
    const logs = path.join(this.dirs.userData, 'logs');
    if (!existsSync(logs)) return '';
    const sessions = readdirSync(logs).sort().reverse();
    for (const session of sessions) {
      // A window reload starts a new extension host (exthost2, …) in the same session: the newest one first.
      const hosts = readdirSync(path.join(logs, session)).filter((d) => d.startsWith('exthost'))
        .sort((a, b) => Number(b.replace(/\D/g, '') || 0) - Number(a.replace(/\D/g, '') || 0));
      for (const host of hosts) {
        const hostDir = path.join(logs, session, host);
        for (const ext of readdirSync(hostDir)) {
          const file = path.join(hostDir, ext, `${channel}.log`);
          if (existsSync(file)) return readFileSync(file, 'utf8');
        }
      }
    }
    return '';
  }

  /** For process 'exit' handlers, where nothing asynchronous runs any more. */
  stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    try { process.kill(-this.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

async function waitHealthy(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before it was ready; see ${logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer /healthz within ${timeoutMs / 1000} s; see ${logFile}`);
}

/** Starts code-server on loopback with the run's private dirs and waits until it answers /healthz. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  checkInstalled();
  const { dirs, workspace } = opts;
  const port = opts.port ?? await freePort();
  mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  mkdirSync(workspace, { recursive: true });
  const log = createWriteStream(dirs.logFile, { flags: 'a' });
  await new Promise((r) => log.once('open', r));
  // detached: the child calls setsid(), so it leads a new process group that stop() can signal as a whole.
  const child = spawn(NODE24, [CODE_SERVER_ENTRY,
    '--config', '/dev/null', '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
    ...(opts.extraArgs ?? []), workspace],
  { detached: true, env: serverEnv(dirs, opts.env), stdio: ['ignore', log, log] });
  const server = new CodeServer(child, port, workspace, dirs);
  try {
    await waitHealthy(port, child, dirs.logFile, 60_000);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}
