// Connection settings: parsed from a task URL, the password supplied separately and never printed.
import { readFileSync } from 'node:fs';
import type { EngineKind } from './model';
import { TaskError, registerSecret } from './errors';

export type TlsMode = 'off' | 'require' | 'verify';

export interface ConnectionConfig {
  engine: EngineKind;
  host: string;
  port: number;
  user: string;
  /** Never serialised; see `describeConnection`. */
  password?: string;
  database: string;
  tls: TlsMode;
  /** PEM file of the CA that signs the server certificate (tls=verify). */
  caFile?: string;
  /** Application name / connect timeout and other driver options from the URL query. */
  options: Record<string, string>;
}

const DEFAULT_PORTS: Record<EngineKind, number> = { mysql: 3306, postgres: 5432 };

/**
 * Parses `mysql://user[:password]@host[:port]/database?tls=require&ca=/path` (also `mariadb://`) and
 * `postgres://…` / `postgresql://…`. `role` names the side in error messages.
 */
export function parseConnectionUrl(url: string, role = 'connection'): ConnectionConfig {
  if (typeof url !== 'string' || url.trim() === '') {
    throw new TaskError(`${role}: the connection URL is empty`, `write it as mysql://user@host:3306/database or postgres://user@host:5432/database`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TaskError(`${role}: "${maskUrl(url)}" is not a valid URL`,
      'write it as mysql://user@host:3306/database or postgres://user@host:5432/database');
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  let engine: EngineKind;
  if (scheme === 'mysql' || scheme === 'mariadb') engine = 'mysql';
  else if (scheme === 'postgres' || scheme === 'postgresql') engine = 'postgres';
  else {
    throw new TaskError(`${role}: unknown engine "${scheme}" in the URL`, 'use mysql:// (MySQL or MariaDB) or postgres://');
  }
  if (!parsed.hostname) throw new TaskError(`${role}: the URL has no host`, 'add the host, e.g. mysql://root@127.0.0.1:3306/db');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) {
    throw new TaskError(`${role}: the URL names no database`, `end the URL with the database name, e.g. ${scheme}://${parsed.username || 'user'}@${parsed.host}/mydb`);
  }
  const port = parsed.port ? Number(parsed.port) : DEFAULT_PORTS[engine];
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new TaskError(`${role}: port ${parsed.port} is not valid`);
  const options: Record<string, string> = {};
  for (const [k, v] of parsed.searchParams) options[k] = v;
  const tlsRaw = (options.tls ?? options.sslmode ?? 'off').toLowerCase();
  const tls: TlsMode = tlsRaw === 'require' || tlsRaw === 'required' ? 'require'
    : tlsRaw === 'verify' || tlsRaw === 'verify-ca' || tlsRaw === 'verify-full' || tlsRaw === 'verify_identity' ? 'verify'
      : tlsRaw === 'off' || tlsRaw === 'disable' || tlsRaw === 'false' ? 'off'
        : (() => { throw new TaskError(`${role}: tls=${tlsRaw} is not known`, 'use tls=off, tls=require or tls=verify&ca=/path/to/ca.pem'); })();
  delete options.tls; delete options.sslmode;
  const caFile = options.ca ?? options.sslrootcert;
  delete options.ca; delete options.sslrootcert;
  if (tls === 'verify' && !caFile) throw new TaskError(`${role}: tls=verify needs a CA file`, 'add &ca=/path/to/ca.pem to the URL');
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  registerSecret(password);
  return {
    engine,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    user: decodeURIComponent(parsed.username) || (engine === 'mysql' ? 'root' : 'postgres'),
    password,
    database,
    tls,
    caFile,
    options,
  };
}

/** The URL without its password, for logs, errors and task files. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

/** `engine user@host:port/database` — safe to print. */
export function describeConnection(c: ConnectionConfig): string {
  return `${c.engine === 'mysql' ? 'mysql' : 'postgres'}://${c.user}@${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}/${c.database}`;
}

/** Builds a task URL (no password) from its parts. */
export function formatConnectionUrl(c: Omit<ConnectionConfig, 'password' | 'options'> & { options?: Record<string, string> }): string {
  const q = new URLSearchParams();
  if (c.tls !== 'off') q.set('tls', c.tls);
  if (c.caFile) q.set('ca', c.caFile);
  for (const [k, v] of Object.entries(c.options ?? {})) q.set(k, v);
  const qs = q.toString();
  const host = c.host.includes(':') ? `[${c.host}]` : c.host;
  return `${c.engine}://${encodeURIComponent(c.user)}@${host}:${c.port}/${encodeURIComponent(c.database)}${qs ? `?${qs}` : ''}`;
}

/** Fills in the password from the environment when the URL has none (CLI: FERRY_SOURCE_PASSWORD / FERRY_TARGET_PASSWORD). */
export function withPassword(c: ConnectionConfig, password: string | undefined): ConnectionConfig {
  if (password === undefined || password === '') return c;
  registerSecret(password);
  return { ...c, password };
}

/** TLS options for the drivers (mysql2 `ssl`, pg `ssl`). */
export function tlsOptions(c: ConnectionConfig): false | { rejectUnauthorized: boolean; ca?: string } {
  if (c.tls === 'off') return false;
  if (c.tls === 'require') return { rejectUnauthorized: false };
  let ca: string;
  try {
    ca = readFileSync(c.caFile as string, 'utf8');
  } catch (err) {
    throw new TaskError(`cannot read the CA file ${c.caFile}: ${(err as Error).message}`, 'point ca= at a readable PEM file');
  }
  return { rejectUnauthorized: true, ca };
}

/** The fix for a failed TLS handshake, naming the CA file that did not verify the server (tls=verify). */
export function tlsFix(c: ConnectionConfig, err: { code?: string; message?: string }): string {
  const code = err.code ?? '';
  const message = err.message ?? '';
  if (c.tls === 'verify' && (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames|Hostname\/IP does not match/i.test(message))) {
    return `the server certificate does not name the host "${c.host}": connect with a host name the certificate lists (subjectAltName), or reissue the certificate for it`;
  }
  if (c.tls === 'verify') {
    return `the server certificate is not signed by the CA in ${c.caFile}: set ca= to the CA certificate that signed the server's certificate (the server's ssl_ca / ssl_ca_file), or use tls=require to encrypt without verifying the server`;
  }
  return 'the TLS handshake failed: check the server\'s TLS configuration (certificate and key), or set tls=off if the server has no TLS';
}
