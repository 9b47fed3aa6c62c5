import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { freePort } from './support/free-port.js';
import { useTestStores } from './support/stores.js';

// The real server process, as `platform-logs start` runs it: a request that crashes it shows as its exit.
const CLI = fileURLToPath(new URL('../dist/server/cli.js', import.meta.url));
const KEY = 'hostile-sockets-key-0123456789';
const STREAM = '/api/platform/logs/stream';
const UPGRADE =
  'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

const stores = useTestStores();
let server: ChildProcess;
let port: number;
let output = '';

beforeAll(async () => {
  port = await freePort();
  server = spawn(process.execPath, [CLI, 'start'], {
    env: {
      ...process.env,
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_API_KEYS: `${KEY}:platform`,
      LOG_CONSOLE: 'off',
      NODE_ENV: 'test',
      LOG_STREAM_MAX_CLIENTS_PER_KEY: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (chunk) => (output += chunk));
  server.stderr!.on('data', (chunk) => (output += chunk));
  for (let i = 0; ; i++) {
    const healthy = await fetch(`http://127.0.0.1:${port}/api/platform/logs/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (i > 150 || server.exitCode !== null) throw new Error(`the server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

afterAll(async () => {
  if (server?.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
});

/** Sends raw bytes, then gives what the server answered before closing (or within 2 s). */
async function rawExchange(bytes: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(bytes);
  await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 2_000))]);
  socket.destroy();
  return answer;
}

async function opened(): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

async function expectServerHealthy(): Promise<void> {
  expect(server.exitCode, output).toBeNull();
  const health = await fetch(`http://127.0.0.1:${port}/api/platform/logs/healthz`);
  expect(health.status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${port}${STREAM}`, { headers: { authorization: `Bearer ${KEY}` } });
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'subscribe' }));
  const [message] = await once(ws, 'message');
  expect(JSON.parse(String(message)).type).toBe('subscribed');
  ws.close();
  await once(ws, 'close');
}

describe('no client input ends the server or leaves it unhealthy', () => {
  test.each([
    ['an invalid absolute target on an upgrade', `GET http://[ HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`],
    [
      'an invalid target with a key',
      `GET http://[/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n${UPGRADE}\r\n`,
    ],
    ['an invalid target without an upgrade', 'GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['the asterisk target on an upgrade', `GET * HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`],
  ])('%s is answered 400', async (_name, request) => {
    const answer = await rawExchange(request);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    await expectServerHealthy();
  });

  test('upgrades reset at once, mid-headers and after the handshake, with and without a key', async () => {
    const requests = [
      `GET ${STREAM} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`,
      `GET ${STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n${UPGRADE}\r\n`,
      `GET ${STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nUpgrade: websocket\r\nConn`,
    ];
    for (let round = 0; round < 10; round++) {
      for (const request of requests) {
        const socket = await opened();
        socket.write(request);
        if (round % 2 === 1) await new Promise((resolve) => setTimeout(resolve, 20));
        socket.resetAndDestroy();
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expectServerHealthy();
  });

  test('half-open and slow-header connections do not hold the server back', async () => {
    const idle: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const halfOpen = await opened();
      halfOpen.end(`GET ${STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n${UPGRADE}\r\n`);
      const slow = await opened();
      slow.write(`GET /api/platform/logs HTTP/1.1\r\nHost: x\r\nX-Slow: `);
      idle.push(halfOpen, slow);
    }
    await expectServerHealthy();
    for (const socket of idle) socket.destroy();
  });
});

describe('WebSocket refusals answer like every other route', () => {
  test('401 with a JSON reason and WWW-Authenticate', async () => {
    const answer = await rawExchange(`GET ${STREAM} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 401 /);
    expect(head).toMatch(/\r\nwww-authenticate: Bearer/i);
    expect(JSON.parse(body).error).toMatch(/key/);
  });

  test('429 with a JSON reason and Retry-After once the key has its streams', async () => {
    const held = [0, 1].map(
      () => new WebSocket(`ws://127.0.0.1:${port}${STREAM}`, { headers: { authorization: `Bearer ${KEY}` } }),
    );
    await Promise.all(held.map((ws) => once(ws, 'open')));
    const answer = await rawExchange(
      `GET ${STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\n${UPGRADE}\r\n`,
    );
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 429 /);
    expect(head).toMatch(/\r\nretry-after: \d+/i);
    expect(JSON.parse(body).error).toMatch(/open streams/);
    for (const ws of held) ws.close();
    await Promise.all(held.map((ws) => once(ws, 'close')));
  });
});
