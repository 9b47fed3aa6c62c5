#!/usr/bin/env node
import type pg from 'pg';
import { startTraffic } from './demo/traffic.js';
import { retentionCommand } from './retention/index.js';
import { startServer, type RunningServer } from './server.js';
import { loadServerSettings, type ServerSettings } from './settings.js';
import { openStores } from './stores.js';
import { migrate } from './store/migrate.js';
import { ensurePartitionsAhead } from './store/partitions.js';

const USAGE = `Usage: platform-logs <command>
  start                  run migrations, then serve the API, the live stream and the UI
  demo                   the server plus simulated traffic from every service (Ctrl-C stops)
  migrate [--embedded]   apply the migrations and create the partitions ahead, in DATABASE_URL
                         (or, with --embedded, in the embedded PostgreSQL of LOG_DATA_DIR)
  retention [--dry-run] [--embedded]
                         drop expired partitions once (see platform-logs retention --help)`;

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

function announce(server: RunningServer): void {
  console.log(server.stores.description);
  console.log(`platform logs listening on ${server.url}`);
  if (server.generatedKey)
    console.log(`development key (this run only; set LOG_API_KEYS to choose keys): ${server.generatedKey}`);
}

async function start(settings: ServerSettings): Promise<void> {
  const server = await startServer(settings);
  announce(server);
  onShutdown(() => server.stop());
}

async function demo(settings: ServerSettings): Promise<void> {
  const server = await startServer(settings);
  const traffic = startTraffic({
    transports: {
      postgres: { connectionString: server.stores.databaseUrl },
      redis: server.stores.redisUrl ? { url: server.stores.redisUrl } : undefined,
    },
  });
  announce(server);
  console.log('demo traffic: seven services, six tenants, ~20 entries/s with bursts; Ctrl-C stops');
  onShutdown(async () => {
    await traffic.stop();
    await server.stop();
  });
}

/** A connection string without its password, to say which database a command works on. */
function shownUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

/**
 * The stores for a one-off command: DATABASE_URL, or the embedded PostgreSQL only when asked
 * with --embedded, so that a missing variable never migrates a database nobody meant. Says
 * which database it works on.
 */
async function withStores<T>(
  settings: ServerSettings,
  args: string[],
  run: (pool: pg.Pool, databaseUrl: string, rest: string[]) => Promise<T>,
): Promise<T | number> {
  const embedded = args.includes('--embedded');
  if (!settings.databaseUrl && !embedded) {
    console.error(
      `DATABASE_URL is not set: set it to the database to work on, or pass --embedded to use the embedded PostgreSQL in ${settings.dataDir}`,
    );
    return 2;
  }
  const stores = await openStores({
    databaseUrl: settings.databaseUrl,
    dataDir: settings.dataDir,
    statementTimeoutMs: settings.statementTimeoutMs,
    exportPoolSize: settings.exportLimits.maxConcurrent,
  });
  console.log(
    settings.databaseUrl
      ? `database: ${shownUrl(stores.databaseUrl)}`
      : `database: embedded PostgreSQL in ${settings.dataDir}`,
  );
  try {
    return await run(
      stores.pool,
      stores.databaseUrl,
      args.filter((arg) => arg !== '--embedded'),
    );
  } finally {
    await stores.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const settings = loadServerSettings();
  switch (command) {
    case 'start':
      await start(settings);
      return -1;
    case 'demo':
      await demo(settings);
      return -1;
    case 'migrate':
      return withStores(settings, rest, async (pool) => {
        const applied = await migrate(pool);
        const created = await ensurePartitionsAhead(pool);
        console.log(
          `migrations applied: ${applied.length ? applied.join(', ') : 'none (up to date)'}; partitions created: ${created.length}`,
        );
        return 0;
      });
    case 'retention':
      return withStores(settings, rest, (_pool, databaseUrl, args) =>
        retentionCommand(args, {
          env: { ...process.env, DATABASE_URL: databaseUrl },
          stdout: (text) => process.stdout.write(`${text}\n`),
          stderr: (text) => process.stderr.write(`${text}\n`),
        }),
      );
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error) => {
    console.error(`platform-logs: ${(error as Error).message}`);
    process.exit(1);
  },
);
