import { describe, expect, test } from 'vitest';
import { createApp } from '../server/app.js';
import { createAuth } from '../server/auth.js';
import { TENANT_A_KEY, TENANT_B_KEY, TEST_KEYS, bearer } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

// Queries have a budget, as exports do: one key cannot take the whole pool, and queries over wide
// ranges (every partition and index locked) run few at a time.
const stores = useTestStores();
const WIDE = '/api/platform/logs/histogram?from=1970-01-01&to=9999-12-31&buckets=500';

describe('query budgets', () => {
  test('a key gets one wide query at a time, the rest 429 at once; another key is not held back', async () => {
    // no Redis: the rate limit is in process, so every request reaches the budget before any query ends
    const app = createApp({
      pool: stores.pool,
      auth: createAuth(TEST_KEYS),
      exportMaxRows: 10,
      rateLimitPerMinute: 100_000,
      uiDir: '/none',
    });
    const attacker = Array.from({ length: 10 }, () => app.request(WIDE, bearer(TENANT_B_KEY)));
    const other = app.request('/api/platform/logs?limit=5', bearer(TENANT_A_KEY));
    const answers = await Promise.all(attacker);
    expect(answers.map((response) => response.status).sort()).toEqual([200, ...Array(9).fill(429)]);
    const refused = answers.find((response) => response.status === 429)!;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: string }).error).toMatch(/queries over more than 31 days/);
    expect((await other).status).toBe(200);

    const narrow = await Promise.all(
      Array.from({ length: 6 }, () => app.request('/api/platform/logs/aggregates?from=7d', bearer(TENANT_B_KEY))),
    );
    expect(narrow.filter((response) => response.status === 429).length).toBe(3);
  });
});
