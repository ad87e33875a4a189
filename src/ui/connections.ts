// Saved connections: metadata in globalState, the password only in SecretStorage (`ferry.password.<id>`).
import { randomUUID } from 'node:crypto';
import { type ConnectionConfig, type TlsMode, formatConnectionUrl, parseConnectionUrl, withPassword } from '../engine/connection';
import type { EngineKind } from '../engine/model';

export interface ConnectionProfile {
  id: string;
  name: string;
  engine: EngineKind;
  host: string;
  port: number;
  user: string;
  database: string;
  tls: TlsMode;
  caFile?: string;
}

/** The part of vscode.Memento used (globalState / workspaceState). */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

/** The part of vscode.SecretStorage used. */
export interface SecretStore {
  get(key: string): Thenable<string | undefined>;
  store(key: string, value: string): Thenable<void>;
  delete(key: string): Thenable<void>;
}

export const CONNECTIONS_KEY = 'ferry.connections';
export const DEFAULT_PORTS: Record<EngineKind, number> = { mysql: 3306, postgres: 5432 };

export function passwordKey(id: string): string {
  return `ferry.password.${id}`;
}

/** The task URL of a profile (never with a password), optionally for another database on the same server. */
export function profileUrl(p: ConnectionProfile, database = p.database): string {
  return formatConnectionUrl({ engine: p.engine, host: p.host, port: p.port, user: p.user, database, tls: p.tls, caFile: p.caFile });
}

/** `user@host:port` — how the tree and messages name a server. */
export function profileServer(p: Pick<ConnectionProfile, 'user' | 'host' | 'port'>): string {
  return `${p.user}@${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
}

/** Problems with a profile, as messages for the form; empty when it can be saved. */
export function profileProblems(p: ConnectionProfile, others: ConnectionProfile[]): string[] {
  const out: string[] = [];
  if (p.name.trim() === '') out.push('the connection needs a name');
  if (others.some((o) => o.id !== p.id && o.name === p.name)) out.push(`a connection named "${p.name}" exists already`);
  if (p.host.trim() === '') out.push('the host is empty');
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) out.push(`port ${p.port} is not a port number (1-65535)`);
  if (p.user.trim() === '') out.push('the user is empty');
  if (p.database.trim() === '') out.push(`the ${p.engine === 'postgres' ? 'database' : 'default database'} is empty`);
  if (p.tls === 'verify' && !p.caFile) out.push('TLS "verify" needs the CA file that signs the server certificate');
  return out;
}

/** Whether a task URL points at the same server and user as a profile (the password is per server user). */
export function profileMatchesUrl(p: ConnectionProfile, url: string): boolean {
  let c: ConnectionConfig;
  try { c = parseConnectionUrl(url); } catch { return false; }
  return c.engine === p.engine && c.host.toLowerCase() === p.host.toLowerCase() && c.port === p.port && c.user === p.user;
}

export class ConnectionStore {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly state: StateStore, private readonly secrets: SecretStore) {}

  list(): ConnectionProfile[] {
    const raw = this.state.get<ConnectionProfile[]>(CONNECTIONS_KEY) ?? [];
    return [...raw].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): ConnectionProfile | undefined {
    return this.list().find((p) => p.id === id);
  }

  /** Inserts or replaces a profile; stores the password when one is given (undefined keeps the old one). */
  async save(profile: ConnectionProfile, password?: string): Promise<void> {
    const problems = profileProblems(profile, this.list());
    if (problems.length > 0) throw new Error(`cannot save connection: ${problems.join('; ')}`);
    // Only the listed fields are kept, so nothing else (a password in particular) can reach globalState.
    const clean: ConnectionProfile = {
      id: profile.id, name: profile.name.trim(), engine: profile.engine, host: profile.host.trim(), port: profile.port,
      user: profile.user, database: profile.database, tls: profile.tls, ...(profile.caFile ? { caFile: profile.caFile } : {}),
    };
    const rest = this.list().filter((p) => p.id !== profile.id);
    await this.state.update(CONNECTIONS_KEY, [...rest, clean]);
    if (password !== undefined) await this.secrets.store(passwordKey(profile.id), password);
    this.changed();
  }

  async remove(id: string): Promise<void> {
    await this.state.update(CONNECTIONS_KEY, this.list().filter((p) => p.id !== id));
    await this.secrets.delete(passwordKey(id));
    this.changed();
  }

  /** Copies a profile (and its password) under a new id and a free name "<name> (copy)". */
  async duplicate(id: string): Promise<ConnectionProfile> {
    const original = this.get(id);
    if (!original) throw new Error(`no connection with id ${id}`);
    const names = new Set(this.list().map((p) => p.name));
    let name = `${original.name} (copy)`;
    for (let i = 2; names.has(name); i++) name = `${original.name} (copy ${i})`;
    const copy: ConnectionProfile = { ...original, id: newConnectionId(), name };
    await this.save(copy, await this.password(id));
    return copy;
  }

  password(id: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(passwordKey(id)));
  }

  async setPassword(id: string, password: string): Promise<void> {
    await this.secrets.store(passwordKey(id), password);
    this.changed();
  }

  /** Driver settings for a profile with its stored password, optionally for another database. */
  async config(p: ConnectionProfile, database = p.database): Promise<ConnectionConfig> {
    return withPassword(parseConnectionUrl(profileUrl(p, database), p.name), await this.password(p.id));
  }

  /** The profile whose server and user a task URL names, if any. */
  findForUrl(url: string): ConnectionProfile | undefined {
    return this.list().find((p) => profileMatchesUrl(p, url));
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export function newConnectionId(): string {
  return randomUUID();
}
