import { describe, expect, it } from 'vitest';
import { loadServerSettings } from '../server/settings.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/factory.js';

const make = (env: NodeJS.ProcessEnv) => () =>
  createLogger({ service: 'admin', transports: false, env, config: { console: 'off' } });

describe('settings from the environment', () => {
  it('refuses an APP_ENV that names no environment, in the logger and the server alike', () => {
    const message = 'APP_ENV must be one of development, test, staging, production (or dev, prod), got "prodution"';
    expect(make({ APP_ENV: 'prodution' })).toThrow(message);
    expect(() => loadServerSettings({ APP_ENV: 'prodution' })).toThrow(message);
    expect(loadConfig({}, { APP_ENV: ' PROD ' }).environment).toBe('production');
    expect(loadConfig({}, { APP_ENV: 'dev' }).environment).toBe('development');
  });

  it('reads NODE_ENV, which other tools set too, leniently when APP_ENV is unset', () => {
    expect(loadConfig({}, { NODE_ENV: 'production' }).environment).toBe('production');
    expect(loadConfig({}, { NODE_ENV: 'local' }).environment).toBe('development');
    expect(loadConfig({}, { APP_ENV: 'staging', NODE_ENV: 'production' }).environment).toBe('staging');
  });

  it('names the variable and the values it takes for every malformed LOG_ or APP_ value', () => {
    expect(make({ LOG_LEVEL: 'verbose' })).toThrow(
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal or silent, got "verbose"',
    );
    expect(make({ LOG_CONSOLE: 'loud' })).toThrow('LOG_CONSOLE must be pretty, json or off, got "loud"');
    expect(make({ LOG_CALLER_LOCATION: 'sometimes' })).toThrow(
      'LOG_CALLER_LOCATION must be all, errors or off, got "sometimes"',
    );
    expect(make({ LOG_BATCH_SIZE: 'fifty' })).toThrow('LOG_BATCH_SIZE must be a whole number from 1 to');
    expect(make({ LOG_MAX_STRING_LENGTH: '0' })).toThrow('LOG_MAX_STRING_LENGTH must be a whole number from 1 to');
    expect(make({ LOG_RETENTION_INFO_DAYS: '7d' })).toThrow('LOG_RETENTION_INFO_DAYS must be a whole number from 1 to');
    expect(make({ APP_REGION: 'eu-west-1\nforged line' })).toThrow(
      'APP_REGION must be printable text of at most 200 characters',
    );
    expect(make({ APP_VERSION: 'v'.repeat(201) })).toThrow(
      'APP_VERSION must be printable text of at most 200 characters',
    );
  });

  it('takes values in any case and with surrounding spaces', () => {
    const config = loadConfig({}, { LOG_CONSOLE: ' JSON ', LOG_CALLER_LOCATION: 'Errors', LOG_LEVEL: 'WARN' });
    expect(config).toMatchObject({ console: 'json', callerLocation: 'errors', minLevel: 'warn' });
  });
});
