import { beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../server/store/migrate.js';
import { ensurePartitions } from '../server/store/partitions.js';
import { useTestStores } from './support/stores.js';

// Plans depend on how many rows each partition holds, so the fixture and its partitions are
// fixed in time: the same plans whatever the hour or the day the suite runs.
const stores = useTestStores({ migrate: false });
const HOUR = 3_600_000;
const NOW = new Date('2026-03-11T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const since = ago(24 * HOUR);

beforeAll(async () => {
  await migrate(stores.pool);
  // the three days the fixture spans and the next: nothing else, whatever today is
  await ensurePartitions(stores.pool, new Date(NOW.getTime() - 72 * HOUR), new Date(NOW.getTime() + 24 * HOUR));
  // 40,000 entries over the two days before NOW: 50 tenants, 7 services, every level
  await stores.pool.query(
    `INSERT INTO platform_logs (id, "timestamp", level, tenant_id, service, message, environment,
                                request_id, trace_id, error_signature, data)
     SELECT gen_random_uuid(),
            $1::timestamptz - (i % 2880) * interval '1 minute',
            (ARRAY['debug', 'info', 'info', 'info', 'warn', 'error'])[1 + i % 6],
            'tenant-' || (i % 50),
            (ARRAY['orchestrator', 'admin', 'storefront', 'creator-portal', 'mcp-server', 'inngest', 'webhook-handler'])[1 + i % 7],
            (ARRAY['request served', 'cache miss for key', 'upstream timeout after retry', 'payment declined', 'user signed in'])[1 + i % 5] || ' ' || i,
            'production',
            'req-' || (i / 4),
            'trace-' || (i / 8),
            CASE WHEN i % 6 >= 4 THEN 'sig-' || (i % 40) END,
            jsonb_build_object('orderId', 'ord_' || i, 'cart', jsonb_build_object('total', i % 500, 'items', jsonb_build_array(jsonb_build_object('sku', 'sku-' || (i % 3000)))))
     FROM generate_series(1, 40000) AS i`,
    [NOW.toISOString()],
  );
  // a sample as large as the table: statistics, and so plans, are the same on every run
  const client = await stores.pool.connect();
  try {
    await client.query('SET default_statistics_target = 1000');
    await client.query('ANALYZE platform_logs');
  } finally {
    client.release();
  }
});

interface Plan {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: Plan[];
}

function walk(plan: Plan, visit: (node: Plan) => void): void {
  visit(plan);
  for (const child of plan.Plans ?? []) walk(child, visit);
}

/** The indexes of platform_logs (by their names on the partitioned table) and the partitions a query reads. */
async function planOf(sql: string, params: unknown[] = []) {
  const client = await stores.pool.connect();
  try {
    await client.query('BEGIN');
    // on a test-sized table a sequential scan can tie; production tables never are this small
    await client.query('SET LOCAL enable_seqscan = off');
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const partitionIndexes = new Set<string>();
    const relations = new Set<string>();
    walk(rows[0]['QUERY PLAN'][0].Plan, (node) => {
      if (node['Index Name']) partitionIndexes.add(node['Index Name']);
      if (node['Relation Name']) relations.add(node['Relation Name']);
    });
    const { rows: roots } = await client.query<{ name: string }>(
      `WITH RECURSIVE up(idx) AS (
         SELECT c.oid FROM pg_class c WHERE c.relname = ANY($1::text[]) AND c.relnamespace = current_schema()::regnamespace
         UNION SELECT i.inhparent FROM pg_inherits i JOIN up ON i.inhrelid = up.idx)
       SELECT DISTINCT relname AS name FROM up JOIN pg_class ON pg_class.oid = up.idx
       WHERE NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = up.idx)`,
      [[...partitionIndexes]],
    );
    await client.query('ROLLBACK');
    return { indexes: roots.map((r) => r.name).sort(), relations: [...relations] };
  } finally {
    client.release();
  }
}

const NEWEST_FIRST = 'ORDER BY "timestamp" DESC, id DESC LIMIT 100';

describe('each index serves its query', () => {
  test.each([
    [
      'a tenant’s timeline',
      `SELECT * FROM platform_logs WHERE tenant_id = 'tenant-7' AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_tenant_time_idx',
    ],
    [
      'all tenants, newest first',
      `SELECT * FROM platform_logs WHERE "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_time_idx',
    ],
    [
      'one service',
      `SELECT * FROM platform_logs WHERE service = 'admin' AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_service_time_idx',
    ],
    [
      'one request',
      `SELECT * FROM platform_logs WHERE request_id = 'req-100' AND "timestamp" >= $1 ORDER BY "timestamp" DESC`,
      'platform_logs_request_idx',
    ],
    [
      'one trace',
      `SELECT * FROM platform_logs WHERE trace_id = 'trace-100' AND "timestamp" >= $1 ORDER BY "timestamp" DESC`,
      'platform_logs_trace_idx',
    ],
    [
      'one error signature',
      `SELECT * FROM platform_logs WHERE error_signature = 'sig-4' AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_signature_time_idx',
    ],
    [
      'full-text search',
      `SELECT * FROM platform_logs WHERE search @@ websearch_to_tsquery('simple', 'timeout 12347') AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_search_idx',
    ],
    [
      'a phrase, as the query language compiles it',
      `SELECT * FROM platform_logs WHERE search @@ $2::tsquery AND platform_log_search_text(message) ~ $3 AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_search_idx',
      ["'upstream' & 'timeout'", '(^|[ ])upstream[ ]+timeout([ ]|$)'],
    ],
    [
      'a data path equality (@orderId:ord_123)',
      `SELECT * FROM platform_logs WHERE data @? $2::jsonpath AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_data_idx',
      ['$."orderId" ? (@ == "ord_123")'],
    ],
    [
      'a nested data path through an array (@cart.items.sku:sku-7)',
      `SELECT * FROM platform_logs WHERE data @? $2::jsonpath AND "timestamp" >= $1 ${NEWEST_FIRST}`,
      'platform_logs_data_idx',
      ['$."cart"."items"."sku" ? (@ == "sku-7")'],
    ],
  ] as [string, string, string, unknown[]?][])('%s', async (_name, sql, index, params = []) => {
    const plan = await planOf(sql, [since, ...params]);
    expect(plan.indexes).toContain(index);
  });

  test('level + time and recent errors: only the level’s partitions of the period are read, by the time index', async () => {
    const recent = ago(HOUR);
    const until = ago(-60_000);
    // literal values, as a server's custom plan sees them, so that pruning shows in the plan
    const plan = await planOf(
      `SELECT * FROM platform_logs WHERE level = ANY('{error}'::text[]) AND "timestamp" >= '${recent}' AND "timestamp" < '${until}' ${NEWEST_FIRST}`,
    );
    expect(plan.indexes).toEqual(['platform_logs_time_idx']);
    // the day's partition alone: the period lies inside it, so even the default partition is pruned
    expect(plan.relations).toEqual(['platform_logs_error_20260311']);
  });
});
