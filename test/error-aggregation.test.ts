import { describe, expect, test } from 'vitest';
import { computeErrorSignature, generalizeMessage, inAppFrames } from '../src/error-aggregation.js';
import { LABELLED_TEMPLATES } from './fixtures/log-templates.js';

/**
 * LogHub's grouping accuracy: a line counts as right when the lines sharing its generalized
 * message are exactly the lines of its true template.
 */
function groupingAccuracy(): number {
  const lines = LABELLED_TEMPLATES.flatMap((labelled, truth) => labelled.lines.map((line) => ({ line, truth })));
  const groups = new Map<string, number[]>();
  for (const { line, truth } of lines) {
    const key = generalizeMessage(line);
    groups.set(key, [...(groups.get(key) ?? []), truth]);
  }
  let right = 0;
  for (const truths of groups.values()) {
    const truth = truths[0];
    const whole = LABELLED_TEMPLATES[truth].lines.length;
    if (truths.every((t) => t === truth) && truths.length === whole) right += truths.length;
  }
  return right / lines.length;
}

describe('generalizeMessage', () => {
  test('groups the labelled lines of many systems by their true template', () => {
    const systems = new Set(LABELLED_TEMPLATES.map((t) => t.system));
    const lineCount = LABELLED_TEMPLATES.reduce((n, t) => n + t.lines.length, 0);
    expect(systems.size).toBeGreaterThanOrEqual(10);
    expect(LABELLED_TEMPLATES.length).toBeGreaterThanOrEqual(40);
    expect(lineCount).toBeGreaterThanOrEqual(300);
    const accuracy = groupingAccuracy();
    console.log(
      `grouping accuracy: ${accuracy.toFixed(3)} over ${lineCount} lines, ${LABELLED_TEMPLATES.length} templates, ${systems.size} systems`,
    );
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  });

  test.each([
    ['Lookup of 7f1c9a52-3b7e-4a61-9d1e-0c2f6e8b4a11 failed', 'Lookup of <UUID> failed'],
    ['Query timed out after 5000ms for order ord_8f3a9c2b1e', 'Query timed out after <DURATION> for order <ID>'],
    ['retrying in 2.5s', 'retrying in <DURATION>'],
    ['No account for bob.smith+shop@example.co.uk', 'No account for <EMAIL>'],
    ['GET https://api.example.com/v1/orders?id=9 returned 503', 'GET <URL> returned <NUM>'],
    ['connect ECONNREFUSED 10.0.0.12:5432', 'connect ECONNREFUSED <HOST>'],
    ['connect ECONNREFUSED [2001:db8::1]:6379', 'connect ECONNREFUSED <HOST>'],
    ['getaddrinfo ENOTFOUND db.internal', 'getaddrinfo ENOTFOUND <HOST>'],
    ['Received block blk_-1608999687919862906 of size 67108864', 'Received block <ID> of size <NUM>'],
    ['commit 3f9a2c1b0e7d4a5f6b8c9d0e1f2a3b4c5d6e7f80 pushed', 'commit <HEX> pushed'],
    ['register 0x1f set', 'register <HEX> set'],
    ['cron ran at 2024-05-02T10:21:33.120Z', 'cron ran at <DATE>'],
    ['lifetime 00:02:13', 'lifetime <TIME>'],
    ["Order 'ord_22b1' not found", 'Order <QUOTED> not found'],
    ['Unknown field `shipping_adress`', 'Unknown field <QUOTED>'],
    ['done (uid=0 user=root)', 'done (uid=<VALUE> user=<VALUE>)'],
    ['acquire tag="View Lock", pid=2227', 'acquire tag=<VALUE>, pid=<VALUE>'],
    [
      'ENOENT: no such file or directory, open /srv/app/uploads/a1.png',
      'ENOENT: no such file or directory, open <PATH>',
    ],
    ['Invalid user oracle from 5.188.10.180', 'Invalid user <USER> from <HOST>'],
    ['connection from 1.2.3.4 at Sat Jul  9 22:53:19 2005', 'connection from <HOST> at <DATE>'],
    ['user profile updated', 'user profile updated'],
    ["can't reach the database", "can't reach the database"],
  ])('%s', (message, template) => {
    expect(generalizeMessage(message)).toBe(template);
  });

  test('a list of any length gives one template', () => {
    const templates = ['nodes 1, 2, 3 down', 'nodes 7 down', 'nodes 12, 13 down', 'nodes 10.0.0.1 10.0.0.2 down'].map(
      generalizeMessage,
    );
    expect(new Set(templates.slice(0, 3)).size).toBe(1);
    expect(templates[0]).toBe('nodes <NUM> down');
  });

  test('words stay, so different messages stay apart', () => {
    expect(generalizeMessage('Payment declined for order 1')).not.toBe(
      generalizeMessage('Payment captured for order 1'),
    );
    expect(generalizeMessage('"GET /a HTTP/1.1" 200')).not.toBe(generalizeMessage('"POST /a HTTP/1.1" 200'));
  });

  test('is deterministic and keeps only the start of very long messages', () => {
    const long = `Batch failed: ${'item 42 rejected; '.repeat(500)}`;
    expect(generalizeMessage(long)).toBe(generalizeMessage(long));
    expect(generalizeMessage(`${long} and then something else`)).toBe(generalizeMessage(long));
  });

  test.each([
    ['50k letters', 'a'.repeat(50_000)],
    ['repeated ..@..', '..@..'.repeat(20_000)],
    ['unclosed quotes', ` "${'a'.repeat(10)}`.repeat(5_000)],
    ['apostrophes', " 'x".repeat(30_000)],
    ['dotted labels', `${'a.'.repeat(30_000)}com`],
    ['colons', '1:'.repeat(30_000)],
    ['brackets', '[('.repeat(30_000)],
    ['closing brackets', `a${')'.repeat(30_000)}`],
    ['key=value chain', 'k='.repeat(30_000)],
    ['empty', ''],
    ['whitespace', ' \t\n'.repeat(1_000)],
  ])('finishes on adversarial input: %s', (_, input) => {
    expect(typeof generalizeMessage(input)).toBe('string');
  });
});

const APP_STACK_A = `Error: Query timed out for order ord_8f3a9c2b1e
    at Timeout._onTimeout (/srv/releases/2024-05-01/node_modules/pg-pool/index.js:190:21)
    at OrderRepository.findById (/srv/releases/2024-05-01/dist/server/orders/repository.js:42:11)
    at async OrderService.get (/srv/releases/2024-05-01/dist/server/orders/service.js:17:19)
    at async handler (file:///srv/releases/2024-05-01/dist/server/routes/orders.js:30:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

const APP_STACK_B = `Error: Query timed out for order ord_11aa07c3d2
    at Timeout._onTimeout (/home/deploy/app/node_modules/pg-pool/index.js:192:17)
    at OrderRepository.findById (/home/deploy/app/dist/server/orders/repository.js:45:13)
    at async OrderService.get (/home/deploy/app/dist/server/orders/service.js:18:7)
    at async handler (file:///home/deploy/app/dist/server/routes/orders.js:31:9)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;

const OTHER_CALLER = `Error: Query timed out for order ord_11aa07c3d2
    at OrderRepository.findById (/home/deploy/app/dist/server/orders/repository.js:45:13)
    at async RefundService.create (/home/deploy/app/dist/server/refunds/service.js:51:20)
    at async handler (file:///home/deploy/app/dist/server/routes/refunds.js:12:9)`;

describe('computeErrorSignature', () => {
  const message = (text: string, errorType: string | null = 'Error') =>
    computeErrorSignature({ message: text, errorType, errorStack: null });

  test('is 16 hex characters', () => {
    expect(message('x')).toMatch(/^[0-9a-f]{16}$/);
  });

  test('without a stack, groups the same message with different ids, URLs and emails', () => {
    expect(message('Query timed out after 5000ms for order ord_8f3a9c2b1e', 'TimeoutError')).toBe(
      message('Query timed out after 30000ms for order ord_0b9e44ff10', 'TimeoutError'),
    );
    expect(message('fetch failed: GET https://api.stripe.com/v1/charges/ch_1 responded 503')).toBe(
      message('fetch failed: GET https://hooks.partner.net/v2/x?y=1 responded 502'),
    );
    expect(message('Validation failed: email jane@acme.io is already taken', 'ValidationError')).toBe(
      message('Validation failed: email bob+1@example.co.uk is already taken', 'ValidationError'),
    );
  });

  test('without a stack, different errors and different types stay apart', () => {
    expect(message('Payment declined for order 1')).not.toBe(message('Payment refunded for order 1'));
    expect(message('Query timed out', 'TimeoutError')).not.toBe(message('Query timed out', 'Error'));
  });

  test('with a stack, the same code path from two deploys gives the same signature', () => {
    const a = computeErrorSignature({
      message: 'Query timed out for order ord_8f3a9c2b1e',
      errorType: 'Error',
      errorStack: APP_STACK_A,
    });
    const b = computeErrorSignature({
      message: 'something else entirely 42',
      errorType: 'Error',
      errorStack: APP_STACK_B,
    });
    expect(a).toBe(b);
  });

  test('with a stack, the same throw site reached from two callers gives two groups', () => {
    const viaOrders = computeErrorSignature({ message: 'm', errorType: 'Error', errorStack: APP_STACK_B });
    const viaRefunds = computeErrorSignature({ message: 'm', errorType: 'Error', errorStack: OTHER_CALLER });
    expect(viaOrders).not.toBe(viaRefunds);
  });

  test('with a stack, the error type still counts', () => {
    const asError = computeErrorSignature({ message: 'm', errorType: 'Error', errorStack: APP_STACK_B });
    const asTypeError = computeErrorSignature({ message: 'm', errorType: 'TypeError', errorStack: APP_STACK_B });
    expect(asError).not.toBe(asTypeError);
  });

  test('in-app frames leave out dependencies, Node internals, anonymous frames, lines and install paths', () => {
    const frames = inAppFrames(`TypeError: Cannot read properties of undefined (reading 'id')
    at Object.<anonymous> (/app/dist/server/boot.js:3:1)
    at /app/dist/server/anonymous.js:9:3
    at new CheckoutController (/usr/src/app/src/checkout/controller.ts:12:5)
    at Router.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)
    at render (C:\\builds\\shop\\build\\static\\js\\main.3f9a2c1b.js:1:2045)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)`);
    expect(frames).toEqual(['CheckoutController@src/checkout/controller.ts', 'render@build/static/js/main.js']);
  });

  test('a stack with no in-app frame falls back to the message rule', () => {
    const stack = `Error: socket hang up
    at connResetException (node:internal/errors:720:14)
    at TLSSocket.socketOnEnd (node:_http_client:525:23)
    at ClientRequest.emit (/app/node_modules/undici/lib/core.js:1:1)`;
    expect(computeErrorSignature({ message: 'socket hang up', errorType: 'Error', errorStack: stack })).toBe(
      message('socket hang up'),
    );
  });
});
