import type { ApiKey } from '../../server/auth.js';
import { startLogServer, type LogServer, type LogServerOptions } from '../support/log-server.js';
import type { TestStores } from '../support/stores.js';

const UI_DIR = new URL('../../dist/ui', import.meta.url).pathname;

/** The real server (API, live stream, built UI) on the test file's stores, on `port` or a free one. */
export function startUiServer(
  stores: TestStores,
  keys: ApiKey[],
  port = 0,
  alerts?: LogServerOptions['alerts'],
): Promise<LogServer> {
  return startLogServer({
    pool: stores.pool,
    redisUrl: stores.redisUrl,
    streamKey: stores.streamKey,
    keys,
    port,
    limits: { heartbeatMs: 2_000 },
    uiDir: UI_DIR,
    alerts,
  });
}
