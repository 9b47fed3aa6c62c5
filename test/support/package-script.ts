import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = new URL('../../', import.meta.url);

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an ES module from a file inside this package, so that it imports `platform-logging`
 * (the compiled dist/) by name as an installed package's user would, with only the given
 * environment variables (and PATH, and the test file's spool folder).
 */
export async function runPackageScript(
  source: string,
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<ScriptResult> {
  const file = fileURLToPath(new URL(`.script-${randomBytes(6).toString('hex')}.mjs`, PACKAGE_ROOT));
  writeFileSync(file, source);
  try {
    return await new Promise<ScriptResult>((resolve) => {
      execFile(
        process.execPath,
        [file],
        {
          env: { PATH: process.env.PATH, LOG_SPOOL_DIR: process.env.LOG_SPOOL_DIR, ...env },
          timeout: timeoutMs,
          encoding: 'utf8',
        },
        (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr });
        },
      );
    });
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Runs a server example the way runPackageScript runs a script, on `env.PORT`: waits until it
 * answers, hands it to `use`, then ends it with SIGTERM as a process manager would.
 */
export async function runPackageServer(
  source: string,
  env: Record<string, string | undefined>,
  use: (baseUrl: string) => Promise<void>,
): Promise<ScriptResult> {
  const file = fileURLToPath(new URL(`.script-${randomBytes(6).toString('hex')}.mjs`, PACKAGE_ROOT));
  writeFileSync(file, source);
  const child = spawn(process.execPath, [file], {
    env: { PATH: process.env.PATH, LOG_SPOOL_DIR: process.env.LOG_SPOOL_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const baseUrl = `http://127.0.0.1:${env.PORT}`;
    for (const deadline = Date.now() + 20_000; ; ) {
      const answered = await fetch(baseUrl).then(
        () => true,
        () => false,
      );
      if (answered) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the example did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await use(baseUrl);
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(file, { force: true });
  }
  return { code: child.exitCode, stdout, stderr };
}

/** The first fenced code block after the README line that contains `marker`, as written. */
export function readmeExample(marker: string): string {
  const readme = readFileSync(new URL('README.md', PACKAGE_ROOT), 'utf8');
  const at = readme.indexOf(marker);
  if (at === -1) throw new Error(`README has no "${marker}"`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (block === null) throw new Error(`README has no code block after "${marker}"`);
  return block[1];
}
