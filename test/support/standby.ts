import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface StandbyPair {
  primaryUrl: string;
  standbyUrl: string;
  stopStandby(): void;
  stop(): void;
}

/** PostgreSQL's server binaries, when this machine has them (Debian's layout). */
export function postgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  const bin = version && join(root, version, 'bin');
  return bin && existsSync(join(bin, 'pg_basebackup')) ? bin : undefined;
}

/**
 * A primary and its streaming standby of our own, on spare ports in a temporary folder: initdb,
 * replication allowed from 127.0.0.1, `pg_basebackup -R`, both started. As root, they run as
 * the postgres user, since PostgreSQL refuses root.
 */
export async function startStandbyPair(bin: string): Promise<StandbyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'platform-logs-standby-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    );
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : join(bin, tool),
      asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args,
      { stdio: 'ignore' },
    );
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const start = (name: string, port: number) =>
    run('pg_ctl', [
      '-D',
      join(dir, name),
      '-l',
      join(dir, `${name}.log`),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      'start',
    ]);
  const stopOne = (name: string) => {
    try {
      run('pg_ctl', ['-D', join(dir, name), '-m', 'immediate', 'stop']);
    } catch {
      // already stopped
    }
  };
  run('initdb', ['-D', join(dir, 'primary'), '-U', 'postgres', '--auth=trust']);
  appendFileSync(join(dir, 'primary', 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  start('primary', primaryPort);
  run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primaryPort),
    '-U',
    'postgres',
    '-D',
    join(dir, 'standby'),
    '-R',
    '-X',
    'stream',
  ]);
  start('standby', standbyPort);
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${primaryPort}/postgres`,
    standbyUrl: `postgres://postgres@127.0.0.1:${standbyPort}/postgres`,
    stopStandby: () => stopOne('standby'),
    stop() {
      stopOne('standby');
      stopOne('primary');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
