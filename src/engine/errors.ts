// Error classes with a code, a message a DBA can act on, the fix, and whether a retry can help.

export interface FerryErrorOptions {
  /** What to do about it, e.g. "set binlog_format=ROW and restart the server". */
  fix?: string;
  /** True when the same operation may succeed later (dropped connection, server restarting). */
  retryable?: boolean;
  cause?: unknown;
}

export class FerryError extends Error {
  readonly code: string;
  readonly fix?: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: FerryErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.fix = options.fix === undefined ? undefined : redactSecrets(options.fix);
    this.retryable = options.retryable ?? false;
  }

  /** One line: message and fix, as the CLI prints it. */
  oneLine(): string {
    return this.fix ? `${this.message} — ${this.fix}` : this.message;
  }
}

/** A task file or option is wrong. */
export class TaskError extends FerryError {
  constructor(message: string, fix?: string) {
    super('TASK_INVALID', message, { fix });
    this.name = 'TaskError';
  }
}

/** A connection could not be opened or was lost. */
export class ConnectionError extends FerryError {
  constructor(code: string, message: string, options: FerryErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ConnectionError';
  }
}

/** A value cannot be represented on the target without loss (and lossless widening is off). */
export class ValueConversionError extends FerryError {
  constructor(message: string, fix?: string) {
    super('VALUE_CONVERSION', message, { fix });
    this.name = 'ValueConversionError';
  }
}

/** The operation was cancelled through its AbortSignal. */
export class CancelledError extends FerryError {
  constructor(message = 'cancelled') {
    super('CANCELLED', message);
    this.name = 'CancelledError';
  }
}

const URL_PASSWORD = /\b(mysql|mariadb|postgres|postgresql):\/\/([^:@/\s]+):([^@/\s]+)@/gi;
const registeredSecrets = new Set<string>();

/** Every password Ferry handles is registered here so that no message, log line or report can carry it. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) registeredSecrets.add(secret);
}

/** Removes passwords from a text: the password part of connection URLs and every registered secret. */
export function redactSecrets(text: string): string {
  let out = text.replace(URL_PASSWORD, '$1://$2:***@');
  for (const secret of registeredSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('***');
  }
  return out;
}

/** Turns anything thrown into a FerryError, keeping database error codes visible. */
export function asFerryError(err: unknown, context?: string): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as { code?: string; message?: string; errno?: number } | undefined;
  const message = e?.message ?? String(err);
  const prefix = context ? `${context}: ` : '';
  return new FerryError(e?.code ?? 'INTERNAL', `${prefix}${message}`, { retryable: isRetryable(err), cause: err });
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', '40001', '40P01', '57P01', '57P02',
  '57P03', '08000', '08003', '08006', '08001', '08004', '53300', 'ER_CONNECTION_KILLED', 'ER_QUERY_INTERRUPTED',
  'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH',
]);

export function isRetryable(err: unknown): boolean {
  if (err instanceof FerryError) return err.retryable;
  const e = err as { code?: string; errno?: number; message?: string } | undefined;
  if (!e) return false;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  // MariaDB: 1927 = connection killed, 2013 = lost connection during query, 1053 = server shutdown
  if (e.errno === 1927 || e.errno === 2013 || e.errno === 1053 || e.errno === 2006) return true;
  // pg reports a client whose socket broke as "not queryable"; servers shutting down, restarting or
  // recovering say so in the message when the code is not at hand.
  return /Connection terminated|connection lost|Connection is closed|socket hang up|Can't add new command when connection is in closed state|encountered a connection error and is not queryable|server closed the connection unexpectedly|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery)|Server shutdown in progress/i
    .test(e.message ?? '');
}
