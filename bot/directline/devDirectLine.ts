/**
 * Development Direct Line (outside production only; DEV_DIRECTLINE, default true in development and test).
 *
 * The host itself speaks the Direct Line 3.0 REST protocol, so Web Chat, `botframework-directlinejs` and
 * curl work locally without Azure, and `/api/webchat/token` runs its production code path against it:
 *
 *   POST /v3/directline/tokens/generate                     Bearer <secret>  → { conversationId, token, expires_in }
 *   POST /v3/directline/tokens/refresh                      Bearer <token>   → a fresh token, same conversation
 *   POST /v3/directline/conversations                       Bearer <token|secret> → starts it (conversationUpdate with the user)
 *   GET  /v3/directline/conversations/{id}                  Bearer <token>   → the same answer (reconnect)
 *   POST /v3/directline/conversations/{id}/activities       Bearer <token>   → { id }; the bot has answered when this returns
 *   GET  /v3/directline/conversations/{id}/activities?watermark=N            → { activities, watermark } (polling)
 *
 * and, as the Bot Connector the bot replies to (the `serviceUrl` it is given is this host's own loopback
 * address, which bot/activitySchema.ts accepts while authentication is disabled):
 *
 *   POST /v3/conversations/{id}/activities[/{replyToId}]   → { id }
 *
 * Activities go to the bot over HTTP to this host's `/api/messages`, exactly as Azure would post them.
 * Conversations and their activities live in Redis (`<prefix>:{dl:<id>}`, `…:activities`, 24 h TTL,
 * refreshed on use), so a proactive message sent by any instance reaches a patient polling another.
 * Tokens are stateless: HMAC-signed (SERVER_SECRET) claims of conversation, user, trusted origins and
 * expiry. A request whose Origin is not among the token's trusted origins is refused, like Azure's
 * enhanced authentication. No WebSocket stream: clients poll (`webSocket: false`).
 *
 * The development Direct Line needs authentication disabled (MicrosoftAppId empty): it does not sign its
 * requests to /api/messages.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, Server } from 'restify';
import { constantTimeEqualHex, hmac, sha256 } from '../../services/crypto';
import type { Logger } from '../../services/logger';
import type { Keys, RedisClient } from '../../services/redis';
import type { RouteModule } from '../server';

/** Token lifetime, as Azure's (refresh before it ends; directlinejs refreshes every 15 minutes). */
export const DEV_TOKEN_SECONDS = 30 * 60;
/** How long an idle conversation and its activities are kept. */
export const DEV_CONVERSATION_TTL_SECONDS = 24 * 60 * 60;
/** The bot's account in development conversations. */
export const DEV_BOT_ID = 'portal-help-bot';
/** Longest the host waits for the bot to take an activity. */
const BOT_TIMEOUT_MS = 30_000;

interface Claims {
  /** conversation id */
  c: string;
  /** user id (bound: activities are posted as this user) */
  u?: string;
  /** trusted origins */
  o?: string[];
  /** expiry, epoch seconds */
  e: number;
}

export interface DevDirectLineDeps {
  redis: RedisClient;
  keys: Keys;
  /** The Direct Line secret this development service accepts (config.channels.directLine.secret). */
  secret: string;
  /** Signs tokens (SERVER_SECRET). */
  signingSecret: string;
  botName: string;
  logger: Logger;
}

type Auth = { kind: 'secret' } | { kind: 'token'; claims: Claims };

export class DevDirectLine implements RouteModule {
  constructor(private readonly deps: DevDirectLineDeps) {}

  register(server: Server): void {
    const route = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
      try {
        await handler(req, res);
      } catch (err) {
        this.deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'dev direct line failed');
        if (!res.headersSent) res.send(500, { error: { code: 'ServiceError', message: 'internal error' } });
      }
    };
    server.post('/v3/directline/tokens/generate', route((req, res) => this.generate(req, res)));
    server.post('/v3/directline/tokens/refresh', route((req, res) => this.refresh(req, res)));
    server.post('/v3/directline/conversations', route((req, res) => this.start(req, res)));
    server.get('/v3/directline/conversations/:conversationId', route((req, res) => this.reconnect(req, res)));
    server.post('/v3/directline/conversations/:conversationId/activities', route((req, res) => this.postActivity(req, res)));
    server.get('/v3/directline/conversations/:conversationId/activities', route((req, res) => this.getActivities(req, res)));
    server.post('/v3/conversations/:conversationId/activities', route((req, res) => this.fromBot(req, res)));
    server.post('/v3/conversations/:conversationId/activities/:replyToId', route((req, res) => this.fromBot(req, res)));
  }

  // ── tokens ────────────────────────────────────────────────────────────────────────────────────────

  private sign(claims: Claims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `dev1.${body}.${hmac(this.deps.signingSecret, `dev-directline:${body}`)}`;
  }

  private verify(token: string): Claims | null {
    const [version, body, mac] = token.split('.');
    if (version !== 'dev1' || !body || !mac) return null;
    if (!constantTimeEqualHex(mac, hmac(this.deps.signingSecret, `dev-directline:${body}`))) return null;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
      return claims.e * 1000 > Date.now() ? claims : null;
    } catch {
      return null;
    }
  }

  /** The request's credentials: the secret, or a valid token (for `conversationId` when given); replies 401/403 itself. */
  private auth(req: Request, res: Response, conversationId?: string): Auth | null {
    const header = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (bearer && constantTimeEqualHex(sha256(bearer), sha256(this.deps.secret))) return { kind: 'secret' };
    const claims = bearer ? this.verify(bearer) : null;
    if (!claims) {
      res.send(401, { error: { code: 'TokenExpired', message: 'Missing, invalid or expired token' } });
      return null;
    }
    const origin = req.headers.origin;
    if (origin && claims.o?.length && !claims.o.includes(origin)) {
      res.send(403, { error: { code: 'BadArgument', message: 'Origin is not trusted for this token' } });
      return null;
    }
    if (conversationId && claims.c !== conversationId) {
      res.send(403, { error: { code: 'BadArgument', message: 'Token is not valid for this conversation' } });
      return null;
    }
    return { kind: 'token', claims };
  }

  private tokenAnswer(claims: Omit<Claims, 'e'>) {
    const token = this.sign({ ...claims, e: Math.floor(Date.now() / 1000) + DEV_TOKEN_SECONDS });
    return { conversationId: claims.c, token, expires_in: DEV_TOKEN_SECONDS };
  }

  private async generate(req: Request, res: Response): Promise<void> {
    const auth = this.auth(req, res);
    if (!auth) return;
    if (auth.kind !== 'secret') {
      res.send(403, { error: { code: 'BadArgument', message: 'Generating a token needs the Direct Line secret' } });
      return;
    }
    const body = (req.body ?? {}) as { user?: { id?: unknown }; trustedOrigins?: unknown };
    const userId = typeof body.user?.id === 'string' && body.user.id.length <= 256 ? body.user.id : undefined;
    const origins = Array.isArray(body.trustedOrigins) ? body.trustedOrigins.filter((o): o is string => typeof o === 'string').slice(0, 20) : undefined;
    res.send(200, this.tokenAnswer({ c: newConversationId(), u: userId, o: origins }));
  }

  private async refresh(req: Request, res: Response): Promise<void> {
    const auth = this.auth(req, res);
    if (!auth) return;
    if (auth.kind !== 'token') {
      res.send(403, { error: { code: 'BadArgument', message: 'Refresh needs a token' } });
      return;
    }
    const { e: _expiry, ...claims } = auth.claims;
    res.send(200, this.tokenAnswer(claims));
  }

  // ── conversations ─────────────────────────────────────────────────────────────────────────────────

  private metaKey(id: string): string {
    return this.deps.keys.tagged('dl', id);
  }

  private activitiesKey(id: string): string {
    return this.deps.keys.tagged('dl', id, 'activities');
  }

  /** Starts the conversation (once): records it and lets the bot greet the user. */
  private async start(req: Request, res: Response): Promise<void> {
    const auth = this.auth(req, res);
    if (!auth) return;
    const claims = auth.kind === 'token' ? auth.claims : { c: newConversationId(), u: undefined, o: undefined };
    const id = claims.c;
    const created = await this.deps.redis.hsetnx(this.metaKey(id), 'created', new Date().toISOString());
    await this.touch(id);
    if (created) {
      if (claims.u) await this.deps.redis.hset(this.metaKey(id), 'user', claims.u);
      // As Azure does for a user-bound token: the bot learns the bot and the user joined, and greets them.
      const members = [{ id: DEV_BOT_ID, name: this.deps.botName }, ...(claims.u ? [{ id: claims.u }] : [])];
      await this.toBot(req, id, { type: 'conversationUpdate', membersAdded: members, from: claims.u ? { id: claims.u } : { id: DEV_BOT_ID } });
    }
    const answer = auth.kind === 'token' ? { ...this.tokenAnswer({ c: id, u: claims.u, o: claims.o }) } : { conversationId: id, expires_in: DEV_TOKEN_SECONDS };
    res.send(created ? 201 : 200, answer);
  }

  private async reconnect(req: Request, res: Response): Promise<void> {
    const id = String(req.params?.conversationId ?? '');
    const auth = this.auth(req, res, id);
    if (!auth) return;
    if (!(await this.deps.redis.exists(this.metaKey(id)))) {
      res.send(404, { error: { code: 'BadArgument', message: 'Conversation not found' } });
      return;
    }
    res.send(200, auth.kind === 'token' ? this.tokenAnswer({ c: id, u: auth.claims.u, o: auth.claims.o }) : { conversationId: id });
  }

  private async postActivity(req: Request, res: Response): Promise<void> {
    const id = String(req.params?.conversationId ?? '');
    const auth = this.auth(req, res, id);
    if (!auth) return;
    const user = await this.deps.redis.hget(this.metaKey(id), 'user');
    if (!(await this.deps.redis.exists(this.metaKey(id)))) {
      res.send(404, { error: { code: 'BadArgument', message: 'Conversation not found; start it first' } });
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || typeof body.type !== 'string') {
      res.send(400, { error: { code: 'BadArgument', message: 'body must be an activity with a type' } });
      return;
    }
    // A user-bound token decides who is speaking, whatever the activity says.
    const claimed = (body.from as { id?: unknown } | undefined)?.id;
    const fromId = (auth.kind === 'token' && auth.claims.u) || user || (typeof claimed === 'string' ? claimed : undefined);
    if (!fromId) {
      res.send(400, { error: { code: 'BadArgument', message: 'from.id is required' } });
      return;
    }
    if (!user) await this.deps.redis.hset(this.metaKey(id), 'user', fromId);
    const from = { ...((body.from as object) ?? {}), id: fromId, role: 'user' };
    const stored = await this.append(id, { ...body, from });
    const status = await this.toBot(req, id, stored);
    if (status >= 400) {
      res.send(502, { error: { code: 'BotError', message: `The bot answered ${status}` } });
      return;
    }
    res.send(200, { id: stored.id });
  }

  private async getActivities(req: Request, res: Response): Promise<void> {
    const id = String(req.params?.conversationId ?? '');
    const auth = this.auth(req, res, id);
    if (!auth) return;
    const watermark = Math.max(0, Number.parseInt(String(req.query?.watermark ?? '0'), 10) || 0);
    const raw = await this.deps.redis.lrange(this.activitiesKey(id), watermark, -1);
    res.send(200, { activities: raw.map((a) => JSON.parse(a) as unknown), watermark: String(watermark + raw.length) });
  }

  /** The Bot Connector side: a reply (or proactive message) from the bot for a development conversation. */
  private async fromBot(req: Request, res: Response): Promise<void> {
    const id = String(req.params?.conversationId ?? '');
    if (!(await this.deps.redis.exists(this.metaKey(id)))) {
      res.send(404, { error: { code: 'BadArgument', message: 'Conversation not found' } });
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || typeof body.type !== 'string') {
      res.send(400, { error: { code: 'BadArgument', message: 'body must be an activity with a type' } });
      return;
    }
    const from = { id: DEV_BOT_ID, name: this.deps.botName, ...((body.from as object) ?? {}), role: 'bot' };
    const stored = await this.append(id, { ...body, from, replyToId: req.params?.replyToId ?? body.replyToId });
    res.send(200, { id: stored.id });
  }

  /** Appends an activity to the conversation (id, timestamp and channel filled in); returns it as stored. */
  private async append(conversationId: string, activity: Record<string, unknown>): Promise<Record<string, unknown> & { id: string }> {
    // The id comes from a counter and the activity is pushed whole, in one command: a poll never sees a
    // half-written entry (a placeholder pushed first and filled in later would be skipped by a poll that
    // read it in between, and that message would never reach the client).
    const seq = await this.deps.redis.hincrby(this.metaKey(conversationId), 'seq', 1);
    const stored = {
      ...activity,
      id: `${conversationId}|${String(seq - 1).padStart(7, '0')}`,
      timestamp: new Date().toISOString(),
      channelId: 'directline',
      conversation: { id: conversationId },
    };
    await this.deps.redis.rpush(this.activitiesKey(conversationId), JSON.stringify(stored));
    await this.touch(conversationId);
    return stored;
  }

  private async touch(conversationId: string): Promise<void> {
    await this.deps.redis
      .multi()
      .expire(this.metaKey(conversationId), DEV_CONVERSATION_TTL_SECONDS)
      .expire(this.activitiesKey(conversationId), DEV_CONVERSATION_TTL_SECONDS)
      .exec();
  }

  /** Posts an activity to this host's /api/messages, with this host as the bot's serviceUrl; returns the HTTP status. */
  private async toBot(req: Request, conversationId: string, activity: Record<string, unknown>): Promise<number> {
    const self = `http://127.0.0.1:${req.socket.localPort}`;
    const res = await fetch(`${self}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...activity,
        channelId: 'directline',
        serviceUrl: self,
        conversation: { id: conversationId },
        recipient: { id: DEV_BOT_ID, name: this.deps.botName, role: 'bot' },
        timestamp: activity.timestamp ?? new Date().toISOString(),
      }),
      signal: AbortSignal.timeout(BOT_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    if (res.status >= 400) this.deps.logger.warn({ event: 'dev-directline-bot-status', status: res.status }, 'the bot refused a development Direct Line activity');
    return res.status;
  }
}

function newConversationId(): string {
  return `dev-${randomBytes(12).toString('hex')}`;
}
