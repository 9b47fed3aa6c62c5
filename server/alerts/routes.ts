import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type pg from 'pg';
import type { AuthEnv } from '../auth.js';
import { HttpError, badParameter } from '../http/errors.js';
import { parseIntParam, queryParams } from '../http/params.js';
import type { AlertPreview, CreatedAlertRule, TestFireResult } from './api-types.js';
import { DEFAULT_ALERT_DELAY_MS, DEFAULT_ALERT_INTERVAL_MS, webhookPolicy } from './evaluate.js';
import { DEFAULT_RETRY, attemptDelivery } from './notify.js';
import { previewRule } from './preview.js';
import { checkWebhookUrl, parseCreateBody, parsePatchBody, parsePreviewBody, webhookOrigin } from './rules.js';
import { newSigningSecret, type SecretBox } from './secrets.js';
import {
  InvalidHistoryCursorError,
  deleteRule,
  eventToApi,
  getRule,
  insertRule,
  listRules,
  ruleDefinition,
  ruleHistory,
  ruleToApi,
  updateRule,
  type EventRow,
  type RuleUpdate,
} from './store.js';
import type { WebhookPolicy } from './webhook.js';

export interface AlertRoutesOptions {
  pool: pg.Pool;
  /** The box webhook URLs and secrets are sealed with (loaded on first use). */
  secrets: () => Promise<SecretBox>;
  /** Allowed hosts, resolver and timeout of webhooks (creation checks and test-fires). */
  webhook?: Partial<WebhookPolicy>;
  /** The evaluation interval and delay, which previews simulate. */
  intervalMs?: number;
  delayMs?: number;
  now?: () => Date;
  /** The most rules the platform, and each tenant, may have (MAX_RULES_PER_OWNER). */
  maxRulesPerOwner?: number;
}

/**
 * Every rule costs a query a minute: the platform's own rules, and each tenant's, are capped,
 * so that no key can make the evaluation late for everyone.
 */
export const MAX_RULES_PER_OWNER = 200;

const MAX_BODY_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function jsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(400, 'the request body must be JSON (Content-Type: application/json)', 'body');
  try {
    return await c.req.json();
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON', 'body');
  }
}

const notFound = () => new HttpError(404, 'no alert rule with this id');

/**
 * /api/platform/logs/alerts (docs/api.md, "Alerts"): rules, their history, test-fires and
 * previews. A tenant key makes, sees and changes only its tenant's rules (any other is a 404),
 * and they count only its tenant's entries; a platform key sees every rule and makes
 * platform-wide ones. The webhook URL and signing secret are never answered, except the
 * secret once, in the answer that made it.
 */
export function createAlertRoutes(options: AlertRoutesOptions): Hono<AuthEnv> {
  const { pool } = options;
  const now = options.now ?? (() => new Date());
  const policy = webhookPolicy(options.webhook);
  const maxRules = options.maxRulesPerOwner ?? MAX_RULES_PER_OWNER;
  const app = new Hono<AuthEnv>();
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json({ error: `the request body is larger than ${MAX_BODY_BYTES} bytes` }, 413),
    }),
  );

  const ruleOf = async (c: Context<AuthEnv>, lock?: pg.PoolClient) => {
    const id = c.req.param('id') ?? '';
    if (!UUID.test(id)) throw notFound();
    const rule = await getRule(lock ?? pool, c.get('principal'), id, lock !== undefined);
    if (!rule) throw notFound();
    return rule;
  };

  app.get('/', queryParams(), async (c) => {
    const rules = await listRules(pool, c.get('principal'));
    return c.json({ rules: rules.map(ruleToApi) });
  });

  app.post('/', queryParams(), async (c) => {
    const principal = c.get('principal');
    const input = parseCreateBody(await jsonBody(c), principal, now());
    const owner = principal.scope === 'tenant' ? principal.tenantId : null;
    const { rows: owned } = await pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM platform_log_alert_rules WHERE tenant_id IS NOT DISTINCT FROM $1',
      [owner],
    );
    if (owned[0].count >= maxRules) {
      throw new HttpError(
        400,
        `${owner === null ? 'the platform has' : 'this tenant has'} ${maxRules} alert rules, the most it may have: delete one first`,
      );
    }
    const url = await checkWebhookUrl(input.webhook.url, policy);
    const box = await options.secrets();
    const secret = input.webhook.secret ?? newSigningSecret();
    const row = await insertRule(pool, {
      definition: input.definition,
      tenantId: principal.scope === 'tenant' ? principal.tenantId : null,
      webhook: {
        format: input.webhook.format,
        sealedUrl: box.seal(url.href),
        origin: webhookOrigin(url),
        sealedSecret: box.seal(secret),
      },
    });
    const rule = ruleToApi(row);
    const created: CreatedAlertRule = { ...rule, webhook: { ...rule.webhook, secret } };
    return c.json(created, 201, { Location: `/api/platform/logs/alerts/${row.id}` });
  });

  app.post('/preview', queryParams(), async (c) => {
    const principal = c.get('principal');
    const at = now();
    const definition = parsePreviewBody(await jsonBody(c), principal, at);
    const preview: AlertPreview = await previewRule(
      pool,
      definition,
      principal.scope === 'tenant' ? principal.tenantId : null,
      {
        intervalMs: options.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS,
        delayMs: options.delayMs ?? DEFAULT_ALERT_DELAY_MS,
        now: at,
      },
    );
    return c.json(preview);
  });

  app.get('/:id', queryParams(), async (c) => c.json(ruleToApi(await ruleOf(c))));

  app.patch('/:id', queryParams(), async (c) => {
    const principal = c.get('principal');
    const body = await jsonBody(c);
    const current = await ruleOf(c);
    const input = parsePatchBody(body, ruleDefinition(current), principal, now());
    let webhook: RuleUpdate['webhook'];
    let secret: string | undefined;
    if (input.webhook) {
      const box = await options.secrets();
      webhook = { format: input.webhook.format ?? current.webhook_format };
      if (input.webhook.url !== undefined) {
        const url = await checkWebhookUrl(input.webhook.url, policy);
        webhook.sealedUrl = box.seal(url.href);
        webhook.origin = webhookOrigin(url);
      }
      if (input.webhook.secret !== undefined) {
        secret = input.webhook.secret;
        webhook.sealedSecret = box.seal(secret);
      }
    }
    const row = await updateRule(pool, current.id, { definition: input.definition, webhook });
    return c.json(ruleToApi(row));
  });

  app.delete('/:id', queryParams(), async (c) => {
    const id = c.req.param('id');
    if (!UUID.test(id) || !(await deleteRule(pool, c.get('principal'), id))) throw notFound();
    return c.body(null, 204);
  });

  app.get('/:id/history', queryParams(['limit', 'cursor']), async (c) => {
    const params = c.get('params');
    const rule = await ruleOf(c);
    const limit = parseIntParam(params, 'limit', 1, 500, 50);
    try {
      const page = await ruleHistory(pool, rule.id, limit, params.one('cursor'));
      return c.json({ events: page.events.map(eventToApi), nextCursor: page.nextCursor });
    } catch (error) {
      if (error instanceof InvalidHistoryCursorError) throw badParameter('cursor', error.message);
      throw error;
    }
  });

  // A test notification, sent at once, once (no retries), and kept in the history.
  app.post('/:id/test', queryParams(), async (c) => {
    const rule = await ruleOf(c);
    const at = now();
    const { rows } = await pool.query<EventRow>(
      `INSERT INTO platform_log_alert_events (id, rule_id, dedupe_key, kind, window_end, value, delivery, next_attempt_at)
       VALUES ($1, $2, $3, 'test', $4, $5, 'pending', NULL) RETURNING *`,
      [randomUUID(), rule.id, `test:${randomUUID()}`, at, rule.last_value],
    );
    const box = await options.secrets();
    const result = await attemptDelivery({ pool, box, policy, retry: DEFAULT_RETRY, now }, rule, rows[0], true);
    const { rows: after } = await pool.query<EventRow>('SELECT * FROM platform_log_alert_events WHERE id = $1', [
      rows[0].id,
    ]);
    const answer: TestFireResult = {
      delivered: result.ok,
      status: result.status,
      error: result.ok ? null : result.error,
      event: eventToApi(after[0]),
    };
    return c.json(answer);
  });

  return app;
}
