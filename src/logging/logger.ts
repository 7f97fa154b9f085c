import pino, { type Logger, type LoggerOptions } from 'pino';
import { REDACT_PATHS, REDACTED } from './redact';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  level?: string;
  /** Pretty-print for a person; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: pino.DestinationStream;
  name?: string;
}

/** The pino options every Junction logger shares: redaction of secrets and ISO timestamps. */
export function loggerOptions(options: CreateLoggerOptions = {}): LoggerOptions {
  return {
    name: options.name ?? 'junction',
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** JSON logs for machines, pretty ones on a terminal; secrets redacted in both. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const base = loggerOptions(options);
  if (options.destination) return pino(base, options.destination);
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  // Buffered, asynchronous writes: a synchronous write per line costs the request path measurably.
  // pino flushes the buffer when the process exits.
  return pino(base, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}
