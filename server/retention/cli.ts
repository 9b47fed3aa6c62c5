import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { formatReport } from './report.js';
import { runRetention } from './run-retention.js';

const USAGE = `Usage: platform-logs retention [--dry-run] [--now <ISO-8601 time>] [--json] [--help]
  --dry-run   report what would be dropped and created, change nothing
  --now       act as if it were this time (to try a policy out)
  --json      print the report as JSON
Reads DATABASE_URL and LOG_RETENTION_<LEVEL>_DAYS / LOG_MAX_RETENTION_DAYS.`;

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CommandIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

function parse(argv: string[]): { dryRun: boolean; json: boolean; help: boolean; now: Date } {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      now: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new Error(`--now must be an ISO-8601 time, got "${values.now}"`);
  return { dryRun: values['dry-run'] ?? false, json: values.json ?? false, help: values.help ?? false, now };
}

/**
 * `platform-logs retention`: runs retention once against DATABASE_URL and prints the report.
 * Resolves to the process exit code: 0 done (or skipped because another run holds the lock),
 * 1 the run failed, 2 bad usage.
 */
export async function retentionCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  let options;
  let config;
  try {
    options = parse(argv);
    if (options.help) {
      io.stdout(USAGE);
      return 0;
    }
    config = loadConfig({}, io.env);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const databaseUrl = io.env.DATABASE_URL;
  if (!databaseUrl) {
    io.stderr('DATABASE_URL is not set: retention needs the PostgreSQL that holds platform_logs.');
    return 2;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    const report = await runRetention({
      pool,
      now: options.now,
      dryRun: options.dryRun,
      retentionDays: config.retentionDays,
      maxRetentionDays: config.maxRetentionDays,
    });
    io.stdout(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } catch (error) {
    io.stderr(`retention failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}
