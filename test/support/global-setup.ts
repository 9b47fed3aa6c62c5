import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { resolveServices } from './resolve-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

/**
 * Runs once before all test files: finds PostgreSQL and Redis (DESIGN decision 10) and
 * compiles the package, because pino loads transports as JavaScript in worker threads,
 * and builds the web UI that the browser tests open.
 */
export default async function setup(project: TestProject) {
  const services = await resolveServices();
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  // the UI as it ships: React's production build, whatever NODE_ENV the test runner set
  execFileSync('npx', ['vite', 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  project.provide('databaseUrl', services.databaseUrl);
  project.provide('redisUrl', services.redisUrl);
  return services.stop;
}
