import { describeReports, readReport, type CloseReport } from './transport-report.js';

/** A pino worker-thread transport (thread-stream's ThreadStream), as far as closing needs it. */
export interface WorkerStream {
  end(): void;
  flush(cb: (err?: Error | null) => void): void;
  readonly closed: boolean;
  once(event: 'close' | 'ready', listener: () => void): unknown;
}

/** A stream written synchronously in this thread, e.g. pino.destination(1). */
export interface SyncStream {
  flushSync(): void;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * The streams a logger tree writes to, flushed and closed together. `reports`: per store, where
 * its transport leaves its close report (createReportBuffer). What was spooled or dropped is
 * said on stderr by this, the main thread, on close() or at exit: a worker's own stderr may
 * never reach the terminal once the process exits.
 */
export class LogOutputs {
  /** Outputs whose reports are said at exit unless close() said them. */
  static readonly #atExit = new Set<LogOutputs>();
  static readonly #onExit = () => {
    for (const outputs of LogOutputs.#atExit) outputs.#report();
  };
  /** After pino's own exit handler, which ends the workers and which pino registers once a worker is ready. */
  static #listenLast(): void {
    process.removeListener('exit', LogOutputs.#onExit);
    process.on('exit', LogOutputs.#onExit);
  }

  #closing: Promise<CloseReport> | null = null;

  constructor(
    private readonly workers: readonly WorkerStream[],
    private readonly syncStreams: readonly SyncStream[],
    private readonly reports: Readonly<Record<string, SharedArrayBuffer>> = {},
  ) {
    if (Object.keys(reports).length === 0) return;
    LogOutputs.#atExit.add(this);
    LogOutputs.#listenLast();
    for (const worker of workers) worker.once('ready', () => LogOutputs.#listenLast());
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Resolves when every worker has taken what was written so far. */
  async flush(): Promise<void> {
    if (this.#closing) {
      await this.#closing;
      return;
    }
    for (const stream of this.syncStreams) stream.flushSync();
    await Promise.all(
      this.workers.map(
        (worker) => new Promise<void>((resolve, reject) => worker.flush((err) => (err ? reject(err) : resolve()))),
      ),
    );
  }

  /**
   * Ends the worker-thread transports and resolves once each has written what it was given
   * (or spooled it, past its deadline) and exited, to a report per store; rejects past the
   * deadline. Later calls return the same promise.
   */
  close(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT_MS): Promise<CloseReport> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<CloseReport> {
    for (const stream of this.syncStreams) stream.flushSync();
    const finished = Promise.all(
      this.workers.map((worker) => {
        if (worker.closed) return undefined;
        const closed = new Promise<void>((resolve) => worker.once('close', resolve));
        worker.end();
        return closed;
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // Not unref'd: the transport workers are, so this timer keeps the process alive until they finish.
      timer = setTimeout(
        () => reject(new Error(`platform-logging: transports did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([finished, deadline]);
    } finally {
      clearTimeout(timer);
    }
    return this.#report();
  }

  /** Reads the stores' reports and, once, says on stderr what was not written. */
  #report(): CloseReport {
    const reports: CloseReport = {};
    for (const [store, buffer] of Object.entries(this.reports)) reports[store] = readReport(buffer);
    if (LogOutputs.#atExit.delete(this)) {
      const text = describeReports(reports);
      if (text) process.stderr.write(`${text}\n`);
    }
    return reports;
  }
}
