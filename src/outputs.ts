/** A pino worker-thread transport (thread-stream's ThreadStream), as far as closing needs it. */
export interface WorkerStream {
  end(): void;
  flush(cb: (err?: Error | null) => void): void;
  readonly closed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** A stream written synchronously in this thread, e.g. pino.destination(1). */
export interface SyncStream {
  flushSync(): void;
}

const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** The streams a logger tree writes to, flushed and closed together. */
export class LogOutputs {
  #closing: Promise<void> | null = null;

  constructor(
    private readonly workers: readonly WorkerStream[],
    private readonly syncStreams: readonly SyncStream[],
  ) {}

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Resolves when every worker has taken what was written so far. */
  async flush(): Promise<void> {
    if (this.#closing) return this.#closing;
    for (const stream of this.syncStreams) stream.flushSync();
    await Promise.all(this.workers.map((worker) => new Promise<void>((resolve, reject) => worker.flush((err) => (err ? reject(err) : resolve())))));
  }

  /**
   * Ends the worker-thread transports and resolves once each has written everything it was
   * given and exited; rejects past the deadline. Later calls return the same promise.
   */
  close(timeoutMs: number = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
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
      timer = setTimeout(() => reject(new Error(`platform-logging: transports did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([finished, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
