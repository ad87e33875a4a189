// Opening MySQL/MariaDB connections with errors a DBA can act on.
import mysql from 'mysql2/promise';
import type { Connection, ConnectionOptions, Pool, PoolOptions } from 'mysql2/promise';
import { type ConnectionConfig, describeConnection, tlsFix, tlsOptions } from '../connection';
import { ConnectionError, FerryError, isRetryable } from '../errors';

/** Driver options shared by every MySQL connection Ferry opens: values come back as text, exactly. */
export function mysqlOptions(c: ConnectionConfig, database: string | null = c.database): ConnectionOptions {
  const ssl = tlsOptions(c);
  return {
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password ?? '',
    database: database ?? undefined,
    ssl: ssl === false ? undefined : ssl,
    connectTimeout: Number(c.options.connectTimeout ?? 10000),
    // Values are read as the server's own text so that nothing is rounded or re-zoned on the way.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    timezone: 'Z',
    charset: 'utf8mb4_bin',
    multipleStatements: false,
    flags: ['-FOUND_ROWS'],
    infileStreamFactory: undefined,
  };
}

/** Translates a driver error raised while connecting into a ConnectionError with a fix. */
export function mysqlConnectError(err: unknown, c: ConnectionConfig): FerryError {
  const e = err as { code?: string; errno?: number; message?: string };
  const where = describeConnection(c);
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      return new ConnectionError('AUTH_FAILED', `${where}: access denied for user "${c.user}" (wrong password or user)`,
        { fix: 'check the user name and password (FERRY_SOURCE_PASSWORD / FERRY_TARGET_PASSWORD on the CLI, the connection\'s password in the editor)' });
    case 'ER_BAD_DB_ERROR':
      return new ConnectionError('DATABASE_NOT_FOUND', `${where}: database "${c.database}" does not exist`,
        { fix: `create it (CREATE DATABASE \`${c.database}\`) or fix the database name in the URL` });
    case 'ECONNREFUSED':
      return new ConnectionError('UNREACHABLE', `${where}: connection refused — no server listens on ${c.host}:${c.port}`,
        { fix: 'start the server or fix the host/port in the URL', retryable: true });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError('UNREACHABLE', `${where}: host "${c.host}" not found`, { fix: 'fix the host name in the URL' });
    case 'ETIMEDOUT':
      return new ConnectionError('UNREACHABLE', `${where}: connection timed out`, { fix: 'check the host, port and firewall', retryable: true });
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new ConnectionError('TLS_UNAVAILABLE', `${where}: the server does not support TLS`, { fix: 'enable TLS on the server or set tls=off' });
    default:
      if (/certificate|self[- ]signed|SSL|TLS/i.test(e.message ?? '')) {
        return new ConnectionError('TLS_FAILED', `${where}: TLS failed: ${e.message}`, { fix: tlsFix(c, e) });
      }
      return new ConnectionError(e.code ?? 'CONNECT_FAILED', `${where}: ${e.message ?? String(err)}`, { retryable: isRetryable(err), cause: err });
  }
}

export async function connectMysql(c: ConnectionConfig, database: string | null = c.database): Promise<Connection> {
  try {
    return await mysql.createConnection(mysqlOptions(c, database));
  } catch (err) {
    throw mysqlConnectError(err, c);
  }
}

export function mysqlPool(c: ConnectionConfig, size: number, database: string | null = c.database): Pool {
  const options: PoolOptions = { ...mysqlOptions(c, database), connectionLimit: size, waitForConnections: true };
  return mysql.createPool(options);
}

/** Quotes an identifier for MySQL/MariaDB. */
export function quoteMysqlIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
