// Opening PostgreSQL connections with errors a DBA can act on.
import pg from 'pg';
import { type ConnectionConfig, describeConnection, tlsFix, tlsOptions } from '../connection';
import { ConnectionError, FerryError, isRetryable } from '../errors';

// Every value comes back as the server's text output (no Date/number parsing, nothing rounded or re-zoned);
// bytea is the exception: it is decoded to a Buffer.
const textTypes = {
  getTypeParser: (oid: number, format?: string) => {
    if (oid === 17 && format !== 'binary') return (v: string) => Buffer.from(v.slice(2), 'hex');
    return (v: string) => v;
  },
};

export function pgClientConfig(c: ConnectionConfig, database: string = c.database, replication = false): pg.ClientConfig {
  const ssl = tlsOptions(c);
  const config: pg.ClientConfig & { replication?: string } = {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password ?? '',
    database,
    ssl: ssl === false ? false : ssl,
    connectionTimeoutMillis: Number(c.options.connectTimeout ?? 10000),
    application_name: c.options.application_name ?? 'ferry',
    types: textTypes as pg.CustomTypesConfig,
  };
  if (replication) config.replication = 'database';
  return config;
}

export function pgConnectError(err: unknown, c: ConnectionConfig, database: string = c.database): FerryError {
  const e = err as { code?: string; message?: string };
  const where = describeConnection({ ...c, database });
  switch (e.code) {
    case '28P01':
    case '28000':
      return new ConnectionError('AUTH_FAILED', `${where}: password authentication failed for user "${c.user}"`,
        { fix: 'check the user name and password (FERRY_SOURCE_PASSWORD / FERRY_TARGET_PASSWORD on the CLI, the connection\'s password in the editor) and pg_hba.conf' });
    case '3D000':
      return new ConnectionError('DATABASE_NOT_FOUND', `${where}: database "${database}" does not exist`,
        { fix: `create it (CREATE DATABASE "${database}") or fix the database name in the URL` });
    case 'ECONNREFUSED':
      return new ConnectionError('UNREACHABLE', `${where}: connection refused — no server listens on ${c.host}:${c.port}`,
        { fix: 'start the server or fix the host/port in the URL', retryable: true });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError('UNREACHABLE', `${where}: host "${c.host}" not found`, { fix: 'fix the host name in the URL' });
    case '57P03':
      return new ConnectionError('SERVER_STARTING', `${where}: the server is starting up`, { retryable: true });
    default:
      if (/does not support SSL/i.test(e.message ?? '')) {
        return new ConnectionError('TLS_UNAVAILABLE', `${where}: the server does not support TLS`,
          { fix: 'enable TLS on the server (ssl = on with ssl_cert_file and ssl_key_file in postgresql.conf) or set tls=off' });
      }
      if (/certificate|self[- ]signed|SSL|TLS/i.test(e.message ?? '')) {
        return new ConnectionError('TLS_FAILED', `${where}: TLS failed: ${e.message}`, { fix: tlsFix(c, e) });
      }
      if (/timeout/i.test(e.message ?? '')) {
        return new ConnectionError('UNREACHABLE', `${where}: connection timed out`, { fix: 'check the host, port and firewall', retryable: true });
      }
      return new ConnectionError(e.code ?? 'CONNECT_FAILED', `${where}: ${e.message ?? String(err)}`, { retryable: isRetryable(err), cause: err });
  }
}

export async function connectPostgres(c: ConnectionConfig, database: string = c.database): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(c, database));
  // A server-side disconnect must not crash the process; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw pgConnectError(err, c, database);
  }
  return client;
}

export function quotePgIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A SQL string literal for PostgreSQL (standard_conforming_strings on). */
export function quotePgLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}
