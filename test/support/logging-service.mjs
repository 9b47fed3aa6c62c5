// A service process that logs through createLogger with both platform transports, as a
// real service does, and keeps a ledger of every entry it logged (one JSON line each, written
// synchronously, so the ledger survives a crash). Driven by environment variables:
//   DATABASE_URL, REDIS_URL, STREAM_KEY, CHANNEL, TENANT, LEDGER (file path), MAX_LEN (optional)
//   MODE=steady: RATE entries/s for DURATION_MS, then close() and print a JSON summary
//   MODE=burst: COUNT entries at once, then END: exit (process.exit), sigterm (wait to be
//   killed; prints "ready"), throw (an uncaught exception)
// The summary (steady) is one JSON line on stdout: { logged, eventLoop: { p50Ms, p99Ms, maxMs } },
// the event loop's delay beyond schedule while it logged.
import { openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLogger } from '../../dist/src/index.js';

const env = process.env;
const ledger = openSync(env.LEDGER, 'a');

const logger = createLogger({
  service: 'storefront',
  environment: 'test',
  tenantId: env.TENANT,
  env: {},
  config: { console: 'off' },
  transports: {
    postgres: { connectionString: env.DATABASE_URL },
    redis: {
      url: env.REDIS_URL,
      streamKey: env.STREAM_KEY,
      channel: env.CHANNEL,
      maxLen: env.MAX_LEN ? Number(env.MAX_LEN) : undefined,
    },
  },
  destination: { write: (line) => void writeSync(ledger, line) },
});

const entry = (i) => logger.info(`order ${i} placed`, { i, cart: { items: i % 7, total: i * 3.5 } });

if (env.MODE === 'steady') {
  const rate = Number(env.RATE);
  const duration = Number(env.DURATION_MS);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let logged = 0;
  process.stdout.write('ready\n');
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), Math.floor((duration / 1000) * rate));
      while (logged < due) entry(logged++);
      if (elapsed >= duration) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  delay.disable();
  await logger.close({ timeoutMs: 30_000 });
  // The monitor samples with a 10 ms timer; what is reported is the delay beyond it.
  const ms = (ns) => Math.max(0, Math.round((ns - 10e6) / 1e4) / 100);
  process.stdout.write(
    `${JSON.stringify({
      logged,
      eventLoop: { p50Ms: ms(delay.percentile(50)), p99Ms: ms(delay.percentile(99)), maxMs: ms(delay.max) },
    })}\n`,
  );
} else {
  const count = Number(env.COUNT);
  for (let i = 0; i < count; i++) entry(i);
  if (env.END === 'exit') process.exit(0);
  if (env.END === 'throw')
    setImmediate(() => {
      throw new Error('unexpected failure after a burst');
    });
  if (env.END === 'sigterm') {
    setInterval(() => {}, 1_000);
    process.stdout.write('ready\n');
  }
}
