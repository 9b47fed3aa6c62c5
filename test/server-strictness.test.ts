import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PLATFORM_KEY, TEST_KEYS } from './server-fixtures.js';
import { startLogServer, type LogServer } from './support/log-server.js';
import { useTestStores } from './support/stores.js';

// The same rules on every route (docs/api.md): a typo is a 400 naming it, a single-valued
// parameter given twice is a 400, NUL is refused, a query string over 8 KB is a 414.
const stores = useTestStores();
let server: LogServer;

beforeAll(async () => {
  server = await startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys: TEST_KEYS,
  });
});
afterAll(async () => server?.stop());

const ENTRY_ID = '01890a5d-ac96-774b-bcce-b302099a8057';
/** Every route, with a parameter it takes once (null where it takes none). */
const ROUTES: { route: string; method?: string; once: string | null }[] = [
  { route: '', once: 'from' },
  { route: '/histogram', once: 'from' },
  { route: '/aggregates', once: 'sort' },
  { route: '/export', once: 'format' },
  { route: `/${ENTRY_ID}`, once: null },
  { route: `/${ENTRY_ID}/context`, once: 'by' },
  { route: '/facets', once: 'field' },
  { route: '/fields', once: 'sample' },
  { route: '/whoami', once: null },
  { route: '/healthz', once: null },
  { route: '/openapi.json', once: null },
  { route: '/stream/ticket', method: 'POST', once: null },
  { route: '/stream/sse', once: 'tenantId' },
  { route: '/stream', once: 'ticket' },
];

async function answer(route: string, query: string, method = 'GET') {
  const response = await fetch(`${server.baseUrl}/api/platform/logs${route}?${query}`, {
    method,
    headers: { authorization: `Bearer ${PLATFORM_KEY}` },
  });
  const body = response.headers.get('content-type')?.includes('json')
    ? ((await response.json()) as { error: string; parameter?: string })
    : null;
  return { status: response.status, body };
}

describe('every route checks its parameters the same way', () => {
  test.each(ROUTES)('$route', async ({ route, method, once }) => {
    expect(await answer(route, 'limt=5', method)).toMatchObject({ status: 400, body: { parameter: 'limt' } });
    expect(await answer(route, `x=${'a'.repeat(9_000)}`, method)).toMatchObject({ status: 414 });
    if (once === null) return;
    const value =
      { from: '1h', sort: 'count', format: 'csv', by: 'service', field: 'service', sample: '10' }[once] ?? 'tenant-a';
    expect(await answer(route, `${once}=${value}&${once}=${value}`, method)).toMatchObject({
      status: 400,
      body: { parameter: once },
    });
    expect(await answer(route, `${once}=a%00b`, method)).toMatchObject({ status: 400, body: { parameter: once } });
  });

  test('a relative time before 1970 is a 400 naming it, like an ISO one', async () => {
    for (const route of ['', '/histogram', '/aggregates']) {
      expect(await answer(route, 'from=999999w')).toMatchObject({ status: 400, body: { parameter: 'from' } });
    }
  });

  test('SSE refuses NUL in every filter it takes', async () => {
    for (const name of ['q', 'tenantId', 'service', 'level', 'resumeFrom']) {
      expect(await answer('/stream/sse', `${name}=a%00b`)).toMatchObject({ status: 400, body: { parameter: name } });
    }
  });
});
