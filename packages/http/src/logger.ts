/**
 * Logging with pino, off by default. When off, a no-op logger with the same
 * methods stands in, so `req.log.info(...)` costs one empty call.
 */
import { createRequire } from 'node:module';
import type { DestinationStream, LoggerOptions } from 'pino';
import type pinoModule from 'pino';
import { createError } from './errors.js';

// pino is loaded on first use: an app with logging off (the default) never
// pays for its modules (about 6 MiB of RSS).
let pinoCache: typeof pinoModule | undefined;
function loadPino(): typeof pinoModule {
  pinoCache ??= createRequire(import.meta.url)('pino') as typeof pinoModule;
  return pinoCache;
}

type LogFn = (objOrMsg?: unknown, ...args: unknown[]) => void;

/** The pino methods Ringside and handlers use; a pino instance satisfies it. */
export interface Logger {
  level: string;
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  silent: LogFn;
  child(bindings: Record<string, unknown>, options?: { level?: string }): Logger;
}

/** `true`, pino options (optionally with a `stream` destination), or a pino (-compatible) instance. */
export type LoggerOption = boolean | (LoggerOptions & { stream?: DestinationStream }) | Logger;

const noop: LogFn = () => {};

/** The logger of an app whose logging is off: every method does nothing. */
export const nullLogger: Logger = {
  level: 'silent',
  fatal: noop,
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  silent: noop,
  child: () => nullLogger,
};

function isLogger(value: object): value is Logger {
  const v = value as Partial<Logger>;
  return typeof v.child === 'function' && typeof v.info === 'function' && typeof v.error === 'function' && typeof v.warn === 'function';
}

/** Serializers so that `{ err }` logs a stack, code and statusCode. */
const serializers = () => ({ err: loadPino().stdSerializers.err });

/** Resolve the `logger` option: the logger, and whether logging is on. */
export function createLogger(option: LoggerOption | undefined): { log: Logger; enabled: boolean } {
  if (option === undefined || option === false) return { log: nullLogger, enabled: false };
  if (option === true) return { log: loadPino()({ serializers: serializers() }) as unknown as Logger, enabled: true };
  if (typeof option === 'object' && option !== null) {
    if (isLogger(option)) return { log: option, enabled: option.level !== 'silent' };
    const { stream, ...opts } = option as LoggerOptions & { stream?: DestinationStream };
    const pino = loadPino();
    const options: LoggerOptions = { ...opts, serializers: { ...serializers(), ...opts.serializers } };
    const log = (stream ? pino(options, stream) : pino(options)) as unknown as Logger;
    return { log, enabled: log.level !== 'silent' };
  }
  throw createError('RS_ERR_OPTION_INVALID', `Option "logger" must be true, false, pino options or a pino logger, got ${JSON.stringify(option)}`);
}
