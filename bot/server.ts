/**
 * HTTP routes of the host (restify): /api/messages, /healthz. Other capabilities add their routes
 * through `RouteModule`s so this file stays the one place that wires HTTP.
 */
import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from '../services/logger';
import type { RedisClient } from '../services/redis';
import type { PortalBot } from './portalBot';
import { activityProblem, MAX_BODY_BYTES } from './activitySchema';

/** A capability that serves its own HTTP routes (the reset page, the staff console, …). */
export interface RouteModule {
  register(server: Server): void;
}

export interface ServerDeps {
  adapter: CloudAdapter;
  bot: PortalBot;
  redis: RedisClient;
  logger: Logger;
  routes?: RouteModule[];
  /** True when MicrosoftAppId is empty: channel authentication is off (local use). */
  authDisabled: boolean;
}

/**
 * The patient's address for per-IP limits. Behind `trustProxyHops` reverse proxies (a load balancer,
 * Azure Front Door…) it is the X-Forwarded-For entry that the outermost trusted proxy added; entries
 * further left are client-supplied and ignored. With 0 hops it is the socket's peer.
 */
export function clientIp(req: Request, trustProxyHops = 0): string {
  const peer = req.socket?.remoteAddress ?? 'unknown';
  if (trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  return hops[hops.length - trustProxyHops] ?? hops[0] ?? peer;
}

export function createServer(deps: ServerDeps): Server {
  const { adapter, bot, redis, logger } = deps;
  const server = restify.createServer({ name: 'portal-help-bot', handleUncaughtExceptions: false });

  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(
    restify.plugins.bodyParser({
      maxBodySize: MAX_BODY_BYTES,
      mapParams: false,
      mapFiles: false,
      overrideParams: false,
      rejectUnknown: false,
    }),
  );

  server.post('/api/messages', async (req: Request, res: Response) => {
    const started = Date.now();
    try {
      const problem = activityProblem(req.body, deps.authDisabled);
      if (problem) {
        res.send(400, { error: problem });
        return;
      }
      await adapter.process(req, res, (context) => bot.run(context));
      logger.debug({ route: 'messages', status: res.statusCode, ms: Date.now() - started }, 'request done');
    } catch (err) {
      logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'message route failed');
      if (!res.headersSent) res.send(500, { error: 'Something went wrong processing this activity.' });
    }
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    try {
      const pong = await Promise.race([
        redis.ping(),
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
      ]);
      if (pong !== 'PONG') throw new Error('unexpected ping reply');
      res.send(200, { status: 'ok' });
    } catch {
      res.send(503, { status: 'unavailable', reason: 'redis is not answering' });
    }
  });

  for (const route of deps.routes ?? []) route.register(server);

  // Turn restify's own errors (bad JSON, body too large, unknown route) into short JSON reasons.
  server.on('restifyError', (_req: Request, _res: Response, err: Error & { statusCode?: number; toJSON?: () => unknown }, cb: () => void) => {
    const status = err.statusCode ?? 500;
    const reason =
      status === 413 ? `body is larger than ${MAX_BODY_BYTES} bytes` : status >= 500 ? 'internal error' : err.message.replace(/\n.*/s, '').slice(0, 200);
    err.toJSON = () => ({ error: reason });
    if (status >= 500) logger.error({ err: { name: err.name, message: err.message } }, 'http error');
    cb();
  });

  return server;
}
