// Passwords of task connections: found in SecretStorage (by the saved connection for that server user,
// else by server), asked for with a hidden input box when missing, and replaced when the server rejects them.
import { parseConnectionUrl } from '../engine/connection';
import { registerSecret } from '../engine/errors';
import type { Task } from '../engine/task';
import { type ConnectionStore, type SecretStore, passwordKey, profileServer } from './connections';
import type { Passwords } from './engine-api';
import type { Prompter } from './prompter';

export type Side = 'source' | 'target';

/** The secret id for a task URL: the matching saved connection, else `server:<engine>://<user>@<host>:<port>`. */
export function secretIdForUrl(store: ConnectionStore, url: string): string {
  const profile = store.findForUrl(url);
  if (profile) return profile.id;
  const c = parseConnectionUrl(url);
  return `server:${c.engine}://${profileServer(c)}`;
}

export class PasswordVault {
  constructor(private readonly store: ConnectionStore, private readonly secrets: SecretStore, private readonly prompter: Prompter) {}

  async stored(url: string): Promise<string | undefined> {
    const pw = await this.secrets.get(passwordKey(secretIdForUrl(this.store, url)));
    registerSecret(pw);
    return pw;
  }

  /** Asks for the password of a server user (hidden input) and stores it; undefined when dismissed. */
  async ask(url: string, reason: string): Promise<string | undefined> {
    const c = parseConnectionUrl(url);
    const profile = this.store.findForUrl(url);
    const pw = await this.prompter.input({
      title: `Ferry: password for ${c.engine}://${profileServer(c)}${profile ? ` (${profile.name})` : ''}`,
      prompt: reason,
      password: true,
    });
    if (pw === undefined) return undefined;
    registerSecret(pw);
    await this.secrets.store(passwordKey(secretIdForUrl(this.store, url)), pw);
    return pw;
  }

  /** The stored password, or (when `prompt`) one the user types now. */
  async forUrl(url: string, side: Side, prompt: boolean): Promise<string | undefined> {
    const pw = await this.stored(url);
    if (pw !== undefined || !prompt) return pw;
    return this.ask(url, `The ${side} of this task has no password stored yet. It is kept in VS Code's secret storage only.`);
  }

  /** Both passwords of a task. With `prompt`, a missing one is asked for; dismissing the question cancels. */
  async forTask(task: Task, prompt = true): Promise<Passwords | undefined> {
    const source = await this.forUrl(task.source, 'source', prompt);
    if (prompt && source === undefined) return undefined;
    const target = await this.forUrl(task.target, 'target', prompt);
    if (prompt && target === undefined) return undefined;
    return { source, target };
  }

  /** Re-asks the password of one side after the server rejected it. */
  update(task: Task, side: Side): Promise<string | undefined> {
    return this.ask(side === 'source' ? task.source : task.target, `The ${side} server rejected the stored password. Type the current one.`);
  }
}

/**
 * Which side of a task an authentication error is about: the engine's message names the connection as
 * `engine://user@host:port/database` (describeConnection).
 */
export function sideOfError(task: Task, message: string): Side | undefined {
  for (const side of ['source', 'target'] as const) {
    const c = parseConnectionUrl(task[side]);
    if (message.includes(`${c.user}@${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}/${c.database}`)) return side;
  }
  for (const side of ['source', 'target'] as const) {
    const c = parseConnectionUrl(task[side]);
    if (message.includes(`${c.host}:${c.port}`)) return side;
  }
  return undefined;
}
