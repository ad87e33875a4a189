// The New/Edit Connection questions: engine, name, host, port, user, database, TLS (+ CA file), password.
import type { TlsMode } from '../engine/connection';
import type { EngineKind } from '../engine/model';
import { type ConnectionProfile, DEFAULT_PORTS, newConnectionId, profileProblems } from './connections';
import type { PickItem, Prompter } from './prompter';

/** A connection typed by the user; `password` undefined = keep the stored one (edit). */
export interface ConnectionAnswer {
  profile: ConnectionProfile;
  password?: string;
}

/** Everything a caller (an e2e test, a script) may pass to `ferry.newConnection` to skip the questions. */
export type ConnectionPrefill = Partial<Omit<ConnectionProfile, 'id'>> & { password?: string };

const TOTAL = 8;

export function isCompletePrefill(p: unknown): p is Required<Pick<ConnectionPrefill, 'name' | 'engine' | 'host' | 'user' | 'database'>> & ConnectionPrefill {
  const o = p as ConnectionPrefill | undefined;
  return typeof o === 'object' && o !== null && typeof o.name === 'string' && (o.engine === 'mysql' || o.engine === 'postgres')
    && typeof o.host === 'string' && typeof o.user === 'string' && typeof o.database === 'string';
}

/** Builds a profile from a complete prefill (defaults: engine port, tls off). */
export function profileFromPrefill(p: ConnectionPrefill & { name: string; engine: EngineKind; host: string; user: string; database: string }): ConnectionProfile {
  return {
    id: newConnectionId(), name: p.name, engine: p.engine, host: p.host, port: p.port ?? DEFAULT_PORTS[p.engine],
    user: p.user, database: p.database, tls: p.tls ?? 'off', ...(p.caFile ? { caFile: p.caFile } : {}),
  };
}

/**
 * Asks for a connection step by step. With `existing` the answers start from its values and an empty
 * password keeps the stored one. Undefined when the user dismisses a question.
 */
export async function askConnection(prompter: Prompter, others: ConnectionProfile[], existing?: ConnectionProfile): Promise<ConnectionAnswer | undefined> {
  const title = existing ? `Ferry: Edit Connection "${existing.name}"` : 'Ferry: New Connection';
  const engines: PickItem<EngineKind>[] = [
    { label: 'MySQL / MariaDB', description: 'binlog (ROW) for incremental sync', value: 'mysql', picked: existing?.engine === 'mysql' },
    { label: 'PostgreSQL', description: 'logical decoding (pgoutput) for incremental sync', value: 'postgres', picked: existing?.engine === 'postgres' },
  ];
  const engine = await prompter.pick(engines.sort((a, b) => Number(b.picked ?? false) - Number(a.picked ?? false)), { title, placeholder: 'Database engine', step: 1, totalSteps: TOTAL });
  if (!engine) return undefined;
  const taken = others.filter((o) => o.id !== existing?.id).map((o) => o.name);
  const name = await prompter.input({
    title, step: 2, totalSteps: TOTAL, prompt: 'A name for this connection', value: existing?.name ?? '',
    placeholder: engine === 'mysql' ? 'e.g. orders-mariadb-prod' : 'e.g. orders-pg-new',
    validate: (v) => (v.trim() === '' ? 'the connection needs a name' : taken.includes(v.trim()) ? `a connection named "${v.trim()}" exists already` : undefined),
  });
  if (name === undefined) return undefined;
  const host = await prompter.input({ title, step: 3, totalSteps: TOTAL, prompt: 'Host name or IP address', value: existing?.host ?? '127.0.0.1',
    validate: (v) => (v.trim() === '' ? 'the host is empty' : /\s/.test(v.trim()) ? 'a host name has no spaces' : undefined) });
  if (host === undefined) return undefined;
  const portText = await prompter.input({ title, step: 4, totalSteps: TOTAL, prompt: 'Port',
    value: String(existing && existing.engine === engine ? existing.port : DEFAULT_PORTS[engine]),
    validate: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'a port is a number from 1 to 65535') });
  if (portText === undefined) return undefined;
  const user = await prompter.input({ title, step: 5, totalSteps: TOTAL, prompt: 'User name',
    value: existing?.user ?? (engine === 'mysql' ? 'root' : 'postgres'), validate: (v) => (v === '' ? 'the user is empty' : undefined) });
  if (user === undefined) return undefined;
  const database = await prompter.input({ title, step: 6, totalSteps: TOTAL,
    prompt: engine === 'mysql' ? 'Default database (other databases of the server are listed too)' : 'Database (PostgreSQL connects to one database; others are listed too)',
    value: existing?.database ?? (engine === 'mysql' ? 'mysql' : 'postgres'), validate: (v) => (v === '' ? 'the database is empty' : undefined) });
  if (database === undefined) return undefined;
  const tlsModes: PickItem<TlsMode>[] = [
    { label: 'Off', description: 'no TLS', value: 'off' },
    { label: 'Require', description: 'encrypted, the certificate is not checked', value: 'require' },
    { label: 'Verify', description: 'encrypted, the certificate must be signed by a CA file you give', value: 'verify' },
  ];
  const tls = await prompter.pick(tlsModes.sort((a, b) => Number(b.value === (existing?.tls ?? 'off')) - Number(a.value === (existing?.tls ?? 'off'))), { title, placeholder: 'TLS', step: 7, totalSteps: TOTAL });
  if (!tls) return undefined;
  let caFile: string | undefined;
  if (tls === 'verify') {
    caFile = await prompter.input({ title, step: 7, totalSteps: TOTAL, prompt: 'Path of the CA certificate (PEM) that signs the server certificate',
      value: existing?.caFile ?? '', validate: (v) => (v.trim() === '' ? 'TLS "verify" needs the CA file' : undefined) });
    if (caFile === undefined) return undefined;
    caFile = caFile.trim();
  }
  const password = await prompter.input({
    title, step: 8, totalSteps: TOTAL, password: true,
    prompt: existing ? 'Password (leave empty to keep the stored one). Kept in VS Code\'s secret storage only.' : 'Password — kept in VS Code\'s secret storage only, never in settings or task files',
  });
  if (password === undefined) return undefined;
  const profile: ConnectionProfile = {
    id: existing?.id ?? newConnectionId(), name: name.trim(), engine, host: host.trim(), port: Number(portText.trim()),
    user, database, tls, ...(caFile ? { caFile } : {}),
  };
  const problems = profileProblems(profile, others);
  if (problems.length > 0) throw new Error(`the connection is not valid: ${problems.join('; ')}`);
  return { profile, password: existing && password === '' ? undefined : password };
}
