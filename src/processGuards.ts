/**
 * The last line of defence of a long-running server: an error nobody caught (an emitter without an
 * `error` listener, a promise nobody awaited) is logged and the process keeps serving the other
 * buyers, instead of one bad request taking every conversation down. Each such log line is a bug
 * to fix where it was thrown; this only keeps it from being an outage.
 */
import type pino from 'pino';

export function guardProcess(logger: pino.Logger, proc: Pick<NodeJS.Process, 'on'> = process): void {
  proc.on('uncaughtException', (err: Error, origin: string) => {
    logger.error({ err, origin }, 'uncaught exception (kept serving)');
  });
  proc.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection (kept serving)');
  });
}
