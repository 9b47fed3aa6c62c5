/**
 * A deterministic generator of malformed and hostile HTTP requests against the logs API,
 * the live stream, the Inngest endpoint and the UI, from a fixed seed.
 */

export interface HostileRequest {
  /** The route family, for per-route counts. */
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** mulberry32: a small, fast, seeded pseudo-random generator. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const API = '/api/platform/logs';
const FILTERS = [
  'level',
  'service',
  'tenantId',
  'tenantSlug',
  'userId',
  'requestId',
  'traceId',
  'errorSignature',
  'from',
  'to',
  'q',
];
const ROUTE_PARAMETERS: Record<string, string[]> = {
  query: [...FILTERS, 'limit', 'cursor'],
  histogram: [...FILTERS, 'buckets'],
  aggregates: [...FILTERS, 'sort', 'limit', 'cursor', 'buckets'],
  export: [...FILTERS, 'format', 'limit'],
  sse: ['ticket', 'level', 'service', 'tenantId', 'q', 'resumeFrom'],
};
const UNKNOWN_PARAMETERS = [
  'limt',
  'tenant_id',
  '__proto__',
  'constructor',
  '',
  '%00',
  'level[]',
  'q\u202E',
  '../x',
  'a'.repeat(300),
];

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** Values that have broken parsers, queries and stores somewhere, percent-encoded or raw. */
const HOSTILE_VALUES: string[] = [
  `'; DROP TABLE platform_logs; --`,
  `' OR '1'='1`,
  `" OR 1=1 --`,
  `1; SELECT pg_sleep(10)`,
  `$$; DELETE FROM platform_logs; $$`,
  `%_\\`,
  `\\x00`,
  `(a & b) | !c <-> d:*`,
  `"unterminated`,
  `- - or or "" -`,
  `tenant-b`,
  `_platform`,
  `*`,
  `null`,
  `undefined`,
  `[]`,
  `{}`,
  `{"$ne":null}`,
  `-1`,
  `0`,
  `1e309`,
  `NaN`,
  `Infinity`,
  `99999999999999999999999`,
  `0x10`,
  ` 5`,
  `5 `,
  `2024-02-30`,
  `2024-13-45T00:00:00Z`,
  `0000-00-00`,
  `9999-12-31T23:59:59.999999999+14:00`,
  `10000-01-01`,
  `-2024-01-01`,
  `1969-12-31T23:59:59Z`,
  `2024-05-01T12:00:00+25:00`,
  `15x`,
  `99999999d`,
  `1000000w`,
  `now`,
  `yesterday`,
  `1h ago`,
  `\u202Eevil\u202C`,
  `\u200B\u200C\u200D\uFEFF`,
  `🚀🔥💥`,
  `عميل`,
  `Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍A̴̵̜̰͔ͫ͗͢L̠ͨͧͩ͘G̴̻͈͍͔̹̑͗̎̅͛́Ǫ̵̹̻̝̳͂̌̌͘`,
  `\r\nSet-Cookie: a=b`,
  `<script>alert(1)</script>`,
  `../../etc/passwd`,
  `%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
  `x`.repeat(200),
  `y`.repeat(501),
  `z`.repeat(5_000),
  `w`.repeat(9_000),
  b64('["2024-01-01T00:00:00.000000Z","00000000-0000-0000-0000-000000000000"]'),
  b64('["9999-99-99T99:99:99.999999Z","00000000-0000-0000-0000-000000000000"]'),
  b64('["2024-01-01T00:00:00.000000Z","not-a-uuid"]'),
  b64('["lastSeen","2024-01-01T00:00:00.000000Z","sig"]'),
  b64('["count",1e308,"sig","error"]'),
  b64('["count",-1,"sig","error"]'),
  b64('{"__proto__":{"polluted":true}}'),
  b64(`[${'['.repeat(5_000)}${']'.repeat(5_000)}]`),
  b64(`"${'a'.repeat(150)}"`),
  '1-0',
  '0-0',
  '99999999999999999-0',
  '1700000000000-18446744073709551616',
  b64('1700000000000:00000000-0000-0000-0000-000000000000'),
  b64('-1:00000000-0000-0000-0000-000000000000'),
];

/** Raw (already percent-encoded) values, some not valid UTF-8. */
const RAW_VALUES = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%FF%FE',
  '%C0%AF',
  '%E2%82',
  '%',
  '%%',
  '%zz',
  '%u0000',
  '+',
  '&&',
  '==',
  '%0d%0a',
  '%2C%2C%2C',
];

type PathMaker = (pick: <T>(list: readonly T[]) => T, ids: readonly string[]) => string;

const ROUTES: [string, PathMaker][] = [
  ['query', () => API],
  [
    'by-id',
    (pick, ids) =>
      `${API}/${pick([...ids, ...ids, '00000000-0000-0000-0000-000000000000', '0190f1c2-0000-7000-8000-000000000000', 'not-a-uuid', '%00', '..', '%2e%2e', "1' OR '1'='1", 'x'.repeat(2_000), ids[0].toUpperCase(), `${ids[0]}x`])}`,
  ],
  ['histogram', () => `${API}/histogram`],
  ['aggregates', () => `${API}/aggregates`],
  ['export', () => `${API}/export`],
  ['whoami', () => `${API}/whoami`],
  ['healthz', () => `${API}/healthz`],
  ['openapi', () => `${API}/openapi.json`],
  ['ticket', () => `${API}/stream/ticket`],
  ['stream', () => `${API}/stream`],
  ['sse', () => `${API}/stream/sse`],
  ['inngest', () => '/api/inngest'],
  [
    'traversal',
    (pick) =>
      pick([
        '/../../etc/passwd',
        '/assets/..%2f..%2f..%2fpackage.json',
        '/%2e%2e/%2e%2e/etc/passwd',
        '//etc/passwd',
        `${API}/..%2f..%2fhealthz`,
        `${API}/../../../etc/passwd`,
        '/index.html%00.js',
        '/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
        `/api/${'a/'.repeat(500)}`,
        '/api/platform/logs/stream/../ticket',
        '/.env',
        '/.git/config',
        '/api',
        '/',
      ]),
  ],
];

const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** `count` hostile requests; the same seed always gives the same requests. */
export function hostileRequests(
  count: number,
  seed: number,
  known: { valid: string[]; ids: string[] },
): HostileRequest[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const chance = (p: number) => random() < p;

  const value = (): string => {
    if (chance(0.15)) return pick(RAW_VALUES);
    const text = pick(HOSTILE_VALUES);
    return chance(0.1) ? text : encodeURIComponent(text);
  };

  const authorization = (): string | undefined => {
    const roll = random();
    if (roll < 0.55) return `Bearer ${pick(known.valid)}`;
    if (roll < 0.65) return undefined;
    return pick([
      `Bearer ${pick(known.valid)}x`,
      `Bearer ${pick(known.valid).slice(0, -1)}`,
      `bearer  ${pick(known.valid)}`,
      `Basic ${Buffer.from(`user:${pick(known.valid)}`).toString('base64')}`,
      pick(known.valid),
      'Bearer',
      'Bearer ',
      `Bearer ${'k'.repeat(16_000)}`,
      `Bearer ${pick(known.valid)} extra`,
      'Bearer forged-platform-key-0000000000',
      `Bearer ${"' OR 1=1 --"}`,
    ]);
  };

  const requests: HostileRequest[] = [];
  for (let i = 0; i < count; i++) {
    const [route, makePath] = pick(ROUTES);
    const names = ROUTE_PARAMETERS[route] ?? [];
    const params: string[] = [];
    const parameterCount = Math.floor(random() * 5);
    for (let p = 0; p < parameterCount; p++) {
      const name = names.length > 0 && chance(0.85) ? pick(names) : pick(UNKNOWN_PARAMETERS);
      params.push(`${encodeURIComponent(name)}=${value()}`);
      if (chance(0.1)) params.push(`${encodeURIComponent(name)}=${value()}`); // repeated
    }
    if (chance(0.03)) params.push(`q=${'q'.repeat(9_000)}`);
    const query = params.length > 0 ? `?${params.join('&')}` : chance(0.05) ? '?' : '';

    const headers: Record<string, string> = {};
    const auth = authorization();
    if (auth !== undefined) headers.authorization = auth;
    if (chance(0.1)) headers['last-event-id'] = decodeSafely(value());
    if (chance(0.1)) headers['x-request-id'] = decodeSafely(value());
    if (chance(0.1))
      headers.traceparent = pick([
        '00-zzzz-yyyy-01',
        `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`,
        '',
        'x'.repeat(5_000),
      ]);
    if (chance(0.05)) headers['x-huge'] = 'h'.repeat(32_000);
    if (route === 'stream' && chance(0.5))
      Object.assign(headers, {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      });
    if (route === 'inngest' && chance(0.5))
      headers['x-inngest-signature'] = pick([
        't=123&s=abc',
        `t=1714560000&s=${'a'.repeat(64)}`,
        '',
        's=',
        'x'.repeat(2_000),
      ]);
    if (chance(0.05))
      headers['content-type'] = pick([
        'application/json',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
      ]);

    const method =
      route === 'ticket' && chance(0.6)
        ? 'POST'
        : route === 'inngest'
          ? pick(['GET', 'POST', 'POST', 'DELETE'])
          : pick(METHODS);
    const body =
      method === 'POST' || method === 'PUT' || method === 'PATCH'
        ? pick([
            '',
            '{}',
            '{"a":',
            'null',
            '[]',
            '\u0000',
            'x'.repeat(100_000),
            '{"event":{"name":"inngest/function.invoked"}}',
          ])
        : undefined;
    requests.push({ route, method, path: `${makePath(pick, known.ids)}${query}`, headers, body });
  }
  return requests;
}

/** A header value must be Latin-1 text: percent-decoded when that gives such text, else percent-encoded. */
function decodeSafely(value: string): string {
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    text = value;
  }
  const latin1 = /^[\x20-\x7E\x80-\xFF]*$/;
  if (latin1.test(text)) return text;
  return latin1.test(value) ? value : encodeURIComponent(value);
}
