/**
 * HTTP routes of the host (restify): /api/messages, /healthz. Other capabilities add their routes
 * through `RouteModule`s so this file stays the one place that wires HTTP.
 *
 * `POST /api/messages` with a JSON body — every channel message — is served straight from node:http, in
 * front of restify (its router, request decoration and body parser cost more than the turn's own HTTP
 * work). Same limits, reasons and statuses: the body read up to MAX_BODY_BYTES (413 past it), bad JSON 400,
 * the activity validated, auth failures 401. Everything else — other routes, other content types, gzip,
 * Content-MD5, `Expect: 100-continue` — goes to restify as before, including its own /api/messages route,
 * which answers with the same code.
 */
import type { IncomingMessage, ServerResponse, Server as HttpServer } from 'node:http';
import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter, TurnContext } from 'botbuilder';
import type { Logger } from '../services/logger';
import type { RedisClient } from '../services/redis';
import type { PortalBot } from './portalBot';
import { activityProblem, MAX_BODY_BYTES } from './activitySchema';

/** One readiness check: resolves true (ok) or false/throws (not ok), within `HEALTH_CHECK_TIMEOUT_MS`. */
export interface HealthCheck {
  name: string;
  check(): Promise<boolean>;
  /** Only `/readyz` runs it (a check whose failure should take the instance out of the load balancer, not restart it). */
  readinessOnly?: boolean;
}

export const HEALTH_CHECK_TIMEOUT_MS = 1000;

/**
 * Logs failed channel authentication as one JSON line per reason at most every `intervalMs`, with the
 * number of failures suppressed since the last line, so unauthenticated traffic cannot flood the logs.
 */
export class AuthFailureLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 60_000,
  ) {}

  note(reason: string): void {
    const now = Date.now();
    const entry = this.last.get(reason);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed += 1;
      return;
    }
    if (this.last.size > 100) this.last.clear(); // reasons are SDK messages, but never let the map grow
    this.last.set(reason, { at: now, suppressed: 0 });
    this.logger.warn({ event: 'auth-failed', status: 401, reason, suppressedSinceLast: entry?.suppressed ?? 0 }, 'channel authentication failed');
  }
}

/** The adapter's own timestamp fixes (botbuilder's validateAndFixActivity), done here because we call processActivity directly. */
function fixTimestamps(activity: Record<string, unknown>): Record<string, unknown> {
  for (const [field, raw] of [
    ['timestamp', 'rawTimestamp'],
    ['expiration', 'rawExpiration'],
    ['localTimestamp', 'rawLocalTimestamp'],
  ] as const) {
    if (typeof activity[field] === 'string') {
      activity[raw] = activity[field];
      activity[field] = new Date(activity[field] as string);
    }
  }
  return activity;
}

/** CloudAdapterBase.processActivity (protected in the typings; it is what adapter.process() calls). */
interface ProcessActivity {
  processActivity(
    authHeader: string,
    activity: Record<string, unknown>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<{ status: number; body?: unknown } | undefined>;
}

function isAuthenticationError(err: unknown): boolean {
  return err instanceof Error && (err.constructor?.name === 'AuthenticationError' || (err as { statusCode?: number }).statusCode === 401);
}

/** What /api/messages answers: a status and, unless empty, a JSON body. */
interface MessageOutcome {
  status: number;
  body?: unknown;
}

/** Served by the fast path: a plain JSON POST to /api/messages (anything unusual goes through restify). */
function isPlainMessagePost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (url !== '/api/messages' && !url.startsWith('/api/messages?')) return false;
  const h = req.headers;
  return /^application\/json\s*(;|$)/i.test(h['content-type'] ?? '') && h['content-encoding'] === undefined && h['content-md5'] === undefined && h.expect === undefined;
}

/** Reads the whole body; past `limit` bytes the rest is read and dropped (as restify does) and `tooLarge` set. */
function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('end', () => resolve({ text: size > limit ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge: size > limit }));
    req.once('error', reject);
  });
}

/** Answers as restify's JSON formatter does (same headers, same serialisation). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status, { Server: SERVER_NAME });
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, { Server: SERVER_NAME, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

const SERVER_NAME = 'portal-help-bot';

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
  /** Ports on this machine replies may be posted to while authentication is disabled (besides the host's own). */
  devConnectorPorts?: number[];
  /** What /healthz and /readyz check besides Redis (the mail queue, the directory…). */
  healthChecks?: HealthCheck[];
  /** How often an auth-failure reason is logged at most (ms). Default 60 s. */
  authLogIntervalMs?: number;
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
  const server = restify.createServer({ name: SERVER_NAME, handleUncaughtExceptions: false });

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

  const authFailures = new AuthFailureLog(logger, deps.authLogIntervalMs);
  // The ports replies may go to while authentication is off: the host's own (known once it listens) and the
  // configured ones. Worked out once, not on every message (server.address() is a system call).
  let allowedPortsCache: number[] | undefined;
  const allowedPorts = (): number[] => {
    if (allowedPortsCache) return allowedPortsCache;
    const own = (server.address() as { port?: number } | null)?.port;
    const ports = [own, ...(deps.devConnectorPorts ?? [])].filter((p): p is number => typeof p === 'number');
    if (own !== undefined) allowedPortsCache = ports;
    return ports;
  };

  /** The message route's work, for both ways in: validate, run the turn, say what to answer. */
  const processMessage = async (body: unknown, authorization: string | undefined): Promise<MessageOutcome> => {
    const started = Date.now();
    const outcome = await (async (): Promise<MessageOutcome> => {
      try {
        const problem = activityProblem(body, deps.authDisabled, allowedPorts());
        if (problem) return { status: 400, body: { error: problem } };
        // adapter.process() would do the same, but it console.error()s every failure with its stack (one
        // multi-line trace per unauthenticated request): call processActivity and log failures ourselves.
        let invoke;
        try {
          invoke = await (adapter as unknown as ProcessActivity).processActivity(String(authorization ?? ''), fixTimestamps({ ...(body as Record<string, unknown>) }), (context) =>
            bot.run(context),
          );
        } catch (err) {
          if (!isAuthenticationError(err)) throw err;
          authFailures.note((err as Error).message.replace(/\s+/g, ' ').slice(0, 120));
          return { status: 401, body: { error: 'unauthorized' } };
        }
        return { status: invoke?.status ?? 200, body: invoke?.body || undefined };
      } catch (err) {
        logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'message route failed');
        return { status: 500, body: { error: 'Something went wrong processing this activity.' } };
      }
    })();
    logger.debug({ route: 'messages', status: outcome.status, ms: Date.now() - started }, 'request done');
    return outcome;
  };

  // restify's route: the bodies the fast path leaves to restify's parser (other content types, gzip, …).
  server.post('/api/messages', async (req: Request, res: Response) => {
    const { status, body } = await processMessage(req.body, req.headers.authorization);
    if (body === undefined) {
      res.status(status);
      res.end();
    } else res.send(status, body);
  });

  // The fast path, in front of restify: restify's own request listener serves everything else.
  const http = server.server as HttpServer;
  const restifyListeners = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!isPlainMessagePost(req)) {
      for (const listener of restifyListeners) listener.call(http, req, res);
      return;
    }
    readBody(req, MAX_BODY_BYTES).then(
      async ({ text, tooLarge }) => {
        if (tooLarge) return sendJson(res, 413, { error: `body is larger than ${MAX_BODY_BYTES} bytes` });
        let body: unknown;
        try {
          body = text.length ? JSON.parse(text) : undefined;
        } catch (err) {
          return sendJson(res, 400, { error: `Invalid JSON: ${(err as Error).message}`.slice(0, 200) });
        }
        const outcome = await processMessage(body, req.headers.authorization);
        sendJson(res, outcome.status, outcome.body);
      },
      () => res.destroy(), // the client went away mid-body: nobody to answer
    );
  });

  const withTimeout = (p: Promise<boolean>) =>
    Promise.race([p, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), HEALTH_CHECK_TIMEOUT_MS).unref())]).catch(() => false);
  const checks: HealthCheck[] = [{ name: 'redis', check: async () => (await redis.ping()) === 'PONG' }, ...(deps.healthChecks ?? [])];
  /** 200 when every check passes, else 503 naming the failing ones (`Retry-After` for load balancers and clients). */
  const health = (readiness: boolean) => async (_req: Request, res: Response) => {
    const run = checks.filter((c) => readiness || !c.readinessOnly);
    const results = await Promise.all(run.map((c) => withTimeout(c.check())));
    const report = Object.fromEntries(run.map((c, i) => [c.name, results[i] ? 'ok' : 'failing']));
    const failing = run.filter((_, i) => !results[i]).map((c) => c.name);
    if (!failing.length) {
      res.send(200, { status: 'ok', checks: report });
      return;
    }
    res.header('Retry-After', '10');
    res.send(503, { status: 'unavailable', reason: `${failing.join(', ')} not ready`, checks: report });
  };
  server.get('/healthz', health(false));
  server.get('/readyz', health(true));

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
