import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * What the SDK says of every worker that has no workflows or no Nexus services. Junction's provider workers
 * are activity-only by design (one per provider, 30 and more): at warn level these said so dozens of times
 * at every start, for nothing an operator can or should act on. They stay at debug.
 */
const BY_DESIGN = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No Nexus services registered, not polling for Nexus tasks',
]);

/**
 * Routes the Temporal SDK's logs (worker, workflow and activity loggers, and Core's forwarded logs) into
 * Junction's pino logger, so one stream carries everything with the same redaction.
 */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const method = BY_DESIGN.has(message) ? 'debug' : (LEVELS[level] ?? 'info');
    const { sdkComponent, error, ...rest } = meta ?? {};
    // pino serializes an Error (message, type, stack) only under `err`; the SDK passes it as `error`.
    const fields: Record<string, unknown> =
      error instanceof Error ? { ...rest, err: error } : error ? { ...rest, error } : rest;
    if (sdkComponent) fields.sdkComponent = sdkComponent;
    this.logger[method](fields, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
