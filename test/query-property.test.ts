import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { compileMatcher } from '../server/query/match.js';
import { parseQuery } from '../server/query/parse.js';
import { filterConditions } from '../server/store/filters.js';
import type { StoredLogEntry } from '../src/types.js';
import { insertEntries, makeEntry } from './server-fixtures.js';
import { useTestStores } from './support/stores.js';

// A property test: generated entries are stored, generated queries (as text, so the parser is
// exercised too) are answered by PostgreSQL and by the live matcher, and the two sets of
// entries must be the same for every query. Seeded, so a failure is reproduced by its seed:
// QUERY_PROPERTY_SEED=<seed> QUERY_PROPERTY_QUERIES=<n> npx vitest run test/query-property.test.ts
const stores = useTestStores();
const SEED = Number(process.env.QUERY_PROPERTY_SEED ?? 20_240_501);
const ENTRIES = 400;
const QUERIES = Number(process.env.QUERY_PROPERTY_QUERIES ?? 600);
const TENANT = `property-${randomUUID()}`;

/** mulberry32: a small, good-enough seeded generator. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

const WORDS = [
  'payment',
  'Payment',
  'PAYMENTS',
  'payments',
  'api',
  'example',
  'com',
  'timeout',
  'order_id',
  'order',
  'v1',
  'é',
  'École',
  'école',
  'x',
  'ß',
  '東京',
  '42',
];
const SEPARATORS = [' ', ' ', ' ', '.', '/', '://', '@', '-', ', ', '—', ' 🚀 ', '\n', '\t', '«', '|'];
const STRINGS = [
  'a',
  'b',
  'm',
  'AB-1',
  'AB-12',
  'ord_1',
  'ord_12',
  '404',
  'true',
  'null',
  'É',
  'x y',
  '',
  'zz',
  'a*b',
  '🚀',
];
const NUMBERS = [-1, 0, 1.5, 2, 404, 100, 1e3];
const KEYS = ['a', 'b', 'n', 'tags', 'c'];
const SERVICES = ['storefront', 'admin', 'inngest', 'mcp-server'];
const VERSIONS = ['1.2', '1.10.0', '2.0', 'É1', null];
const USERS = ['u1', 'u2', 'U3', 'user-1', null];
const REGIONS = ['eu-west-1', 'us-east-1', null];
const ERROR_TYPES = ['TypeError', 'RangeError', null];
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

type Random = ReturnType<typeof generator>;

function jsonValue(r: Random, depth: number): unknown {
  const roll = r.int(depth > 2 ? 4 : 7);
  if (roll === 0) return r.pick(STRINGS);
  if (roll === 1) return r.pick(NUMBERS);
  if (roll === 2) return r.chance(0.5);
  if (roll === 3) return r.chance(0.5) ? null : r.pick(STRINGS);
  if (roll === 4) return Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1));
  return jsonObject(r, depth + 1);
}

function jsonObject(r: Random, depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = r.int(4); i > 0; i--) object[r.pick(KEYS)] = jsonValue(r, depth);
  return object;
}

function message(r: Random): string {
  let text = r.chance(0.2) ? r.pick(SEPARATORS) : '';
  for (let i = 1 + r.int(6); i > 0; i--) text += r.pick(WORDS) + (i > 1 ? r.pick(SEPARATORS) : '');
  return text;
}

function entry(r: Random, i: number): StoredLogEntry {
  return makeEntry({
    tenantId: TENANT,
    timestamp: new Date(Date.now() - 60_000 - i * 1000).toISOString(),
    level: r.pick(LEVELS),
    service: r.pick(SERVICES),
    userId: r.pick(USERS),
    version: r.pick(VERSIONS),
    region: r.pick(REGIONS),
    errorType: r.pick(ERROR_TYPES),
    line: r.chance(0.2) ? null : r.int(60),
    message: message(r),
    data: r.chance(0.1) ? null : jsonObject(r, 0),
  });
}

/** A value as the query language writes it: quoted when it holds anything the syntax reads. */
function written(value: string, r: Random, allowBare = true): string {
  const bare =
    allowBare &&
    value !== '' &&
    /^[^\s()"\\*?[\]{}<>:]+$/.test(value) &&
    !['AND', 'OR', 'NOT', 'TO'].includes(value) &&
    !value.startsWith('-');
  if (bare && !r.chance(0.2)) return value;
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function path(r: Random): string {
  return Array.from({ length: 1 + r.int(3) }, () => r.pick(KEYS)).join('.');
}

function leaf(r: Random): string {
  switch (r.int(14)) {
    case 0:
      return written(r.pick(WORDS), r);
    case 1:
      return `${r.pick(['pay', 'PAY', 'ex', 'or', 'éc', 'v', '東'])}*`;
    case 2:
      return `"${r.pick(WORDS)} ${r.pick(WORDS)}"`;
    case 3:
      return `${r.pick(WORDS)}.${r.pick(WORDS)}`.replace(/^(\d)/, 'x$1');
    case 4: {
      const [field, pool] = r.pick([
        ['service', SERVICES],
        ['userId', USERS],
        ['version', VERSIONS],
        ['region', REGIONS],
        ['errorType', ERROR_TYPES],
        ['level', LEVELS],
      ] as [string, readonly (string | null)[]][]);
      const values = pool.filter((value): value is string => value !== null);
      if (r.chance(0.3)) return `${field}:(${written(r.pick(values), r)} OR ${written(r.pick(values), r)})`;
      return `${field}:${written(r.pick(values), r)}`;
    }
    case 5:
      return `${r.pick(['version', 'userId', 'region'])}:${r.pick(['>', '>=', '<', '<='])}${written(r.pick(['1.2', '1.10', 'u', 'U', 'user', 'é', 'eu']), r)}`;
    case 6:
      return r.chance(0.5)
        ? `line:${r.pick(['>', '<=', '>='])}${r.int(60)}`
        : `line:${r.pick(['[', '{'])}${r.int(30)} TO ${r.chance(0.2) ? '*' : 30 + r.int(30)}${r.pick([']', '}'])}`;
    case 7:
      return `${r.pick(['service', 'userId', 'version', 'message'])}:${r.pick(['st*', '*in*', 'u?', '1.*', '*-1', '*', 'p?y*'])}`;
    case 8:
      return `${r.chance(0.5) ? '_exists_:' : '-_exists_:'}${r.chance(0.5) ? r.pick(['userId', 'version', 'region', 'errorType', 'line', 'data']) : `@${path(r)}`}`;
    case 9: {
      const value = r.chance(0.5) ? String(r.pick(NUMBERS)) : r.pick(STRINGS);
      return `@${path(r)}:${value === '' ? '""' : written(value, r, !/^(AB|ord)/.test(value) || r.chance(0.5))}`;
    }
    case 10:
      return `@${path(r)}:${r.pick(['>', '>=', '<', '<='])}${r.chance(0.6) ? r.pick(NUMBERS) : written(r.pick(STRINGS.filter(Boolean)), r)}`;
    case 11:
      return `@${path(r)}:${r.chance(0.5) ? `[${r.pick(NUMBERS)} TO ${r.pick(NUMBERS)}]` : `{${r.pick(['a', 'A', '1'])} TO ${r.pick(['m', 'z', '404', '*'])}]`}`;
    case 12:
      return `@${path(r)}:${r.pick(['AB*', 'ord_1?', '*1', '*', '?', 'a\\*b', '*y'])}`;
    default:
      return `@${path(r)}:(${written(r.pick(STRINGS.filter(Boolean)), r)} OR ${r.pick(NUMBERS)}${r.chance(0.3) ? ' OR true' : ''})`;
  }
}

function query(r: Random, depth = 0): string {
  if (depth > 2 || r.chance(0.35)) return leaf(r);
  const children = Array.from({ length: 2 + r.int(2) }, () => query(r, depth + 1));
  const roll = r.int(6);
  const joined =
    roll === 0
      ? children.join(' OR ')
      : roll === 1
        ? children.join(' AND ')
        : roll === 2
          ? children.join(' or ')
          : children.join(' ');
  const grouped = depth > 0 || r.chance(0.5) ? `(${joined})` : joined;
  return r.chance(0.25) ? `${r.pick(['-', 'NOT '])}${grouped.startsWith('(') ? grouped : `(${grouped})`}` : grouped;
}

const random = generator(SEED);
// as the live stream receives them: JSON, parsed
const entries = Array.from({ length: ENTRIES }, (_, i) => entry(random, i));
const received: StoredLogEntry[] = JSON.parse(JSON.stringify(entries));

beforeAll(async () => {
  await insertEntries(stores.pool, entries);
});

describe(`live matcher and PostgreSQL agree (seed ${SEED})`, () => {
  test(`on ${QUERIES} generated queries over ${ENTRIES} generated entries`, async () => {
    const now = new Date();
    let partial = 0;
    for (let i = 0; i < QUERIES; i++) {
      const q = query(random);
      const root = parseQuery(q, { now }).root;
      const params: unknown[] = [];
      // a time range, as every route has, so that only the partitions of the last hours are planned
      const range = { from: new Date(now.getTime() - 2 * 3_600_000), to: new Date(now.getTime() + 300_000) };
      const conditions = filterConditions({ tenantId: TENANT, ...range, query: root ?? undefined }, params);
      const { rows } = await stores.pool.query<{ id: string }>(
        `SELECT id FROM platform_logs WHERE ${conditions.join(' AND ')}`,
        params,
      );
      const stored = rows.map((row) => row.id).sort();
      const matcher = compileMatcher(root);
      const live = received
        .filter(matcher)
        .map((e) => e.id)
        .sort();
      if (JSON.stringify(stored) !== JSON.stringify(live)) {
        const only = (a: string[], b: string[]) =>
          a.filter((id) => !b.includes(id)).map((id) => received.find((e) => e.id === id));
        expect(
          { q, onlyStored: only(stored, live), onlyLive: only(live, stored) },
          `seed ${SEED}, query ${i}: ${q}`,
        ).toEqual({ q, onlyStored: [], onlyLive: [] });
      }
      if (live.length > 0 && live.length < ENTRIES) partial++;
    }
    // the generator is of use only if most of its queries tell entries apart
    expect(partial).toBeGreaterThan(QUERIES * 0.4);
  }, 300_000);
});
