import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from 'redis';

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

export interface ResolvedServices {
  databaseUrl: string;
  redisUrl: string;
  stop: () => Promise<void>;
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    await client.quit().catch(() => {});
  }
}

function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

class MissingServiceError extends Error {
  override name = 'MissingServiceError';
}

/**
 * DESIGN decision 10: DATABASE_URL / REDIS_URL when set; otherwise the local defaults if
 * they answer; otherwise Testcontainers when Docker is available; otherwise one clear line.
 */
export async function resolveServices(): Promise<ResolvedServices> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    await Promise.all(stops.map((fn) => fn()));
  };

  let databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    if (!(await postgresAnswers(databaseUrl)))
      throw new MissingServiceError(`PostgreSQL at DATABASE_URL does not answer: start it or fix DATABASE_URL.`);
  } else if (await postgresAnswers(LOCAL_DATABASE_URL)) {
    databaseUrl = LOCAL_DATABASE_URL;
  } else if (dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    stops.push(() => container.stop());
    databaseUrl = container.getConnectionUri();
  } else {
    throw new MissingServiceError(
      'No PostgreSQL for the tests: set DATABASE_URL, start PostgreSQL on 127.0.0.1:5432 (user postgres), or start Docker for Testcontainers.',
    );
  }

  let redisUrl = process.env.REDIS_URL;
  if (redisUrl) {
    if (!(await redisAnswers(redisUrl)))
      throw new MissingServiceError(`Redis at REDIS_URL does not answer: start it or fix REDIS_URL.`);
  } else if (await redisAnswers(LOCAL_REDIS_URL)) {
    redisUrl = LOCAL_REDIS_URL;
  } else if (dockerAvailable()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    stops.push(() => container.stop());
    redisUrl = container.getConnectionUrl();
  } else {
    await stop();
    throw new MissingServiceError(
      'No Redis for the tests: set REDIS_URL, start Redis on 127.0.0.1:6379, or start Docker for Testcontainers.',
    );
  }

  return { databaseUrl, redisUrl, stop };
}
