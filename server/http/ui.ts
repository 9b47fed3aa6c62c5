import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** The UI talks only to its own origin, over HTTP and WebSocket, and is never framed. */
const securityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'", 'ws:', 'wss:'],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
});

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Platform logs</title></head>
<body><h1>Platform logs</h1><p>The web UI is not built. Run <code>npm run build</code>, then restart the server.
The API is at <a href="/api/platform/logs/openapi.json">/api/platform/logs</a>.</p></body></html>`;

/**
 * The operators' UI: static files from `uiDir`, and index.html for any other GET, so that
 * a reload of a client-side route (/aggregates?level=error) opens the app there.
 */
export function createUiRoutes(uiDir: string): Hono {
  const app = new Hono();
  app.use('*', securityHeaders);
  // index.html declares its icon inline; this answers browsers that ask on their own.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  const indexFile = join(uiDir, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('*', (c) => c.html(NOT_BUILT_PAGE));
    return app;
  }
  app.use('*', serveStatic({ root: relative(process.cwd(), uiDir) || '.' }));
  app.get('*', async (c) => {
    // A missing asset is a 404, not the app's page served as script or style.
    if (/\.[a-z0-9]+$/i.test(c.req.path)) return c.text('not found', 404);
    return c.html(await readFile(indexFile, 'utf8'));
  });
  return app;
}
