import { constants } from 'node:os';

const handled = new Set<NodeJS.Signals>();

/**
 * Makes a termination signal end the process through process.exit(128 + signal number)
 * when the service has no handler of its own for it. Without any handler, Node dies on
 * SIGTERM/SIGINT without running 'exit' hooks, so pino never ends its transports and what
 * they buffer is lost; process.exit runs pino's hooks, which wait (bounded) until every
 * transport has written its buffer. A service that handles the signal itself keeps full
 * control: it should call process.exit (or close its loggers) when it is done.
 * Safe to call more than once.
 */
export function flushOnExit(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  for (const signal of signals) {
    if (handled.has(signal)) continue;
    handled.add(signal);
    process.on(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      process.exit(128 + constants.signals[signal]);
    });
  }
}
