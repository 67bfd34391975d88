/**
 * The practice website chat: `GET /chat` (a page on Microsoft's Web Chat, served from node_modules —
 * never a CDN), `GET /chat/embed.js` (a floating "Chat with us" button for the practice's own site that
 * opens /chat in a frame), and `POST /api/webchat/token`.
 *
 * The token endpoint exchanges DIRECT_LINE_SECRET server-side for a Direct Line token
 * (`{endpoint}/v3/directline/tokens/generate`) bound to a fresh, unguessable `dl_` user id and to the
 * allowed origins (`trustedOrigins`), after checking the request's Origin against WEBCHAT_ALLOWED_ORIGINS
 * and the per-IP limit. The secret is never in a response, a page or a log. Web Chat's Direct Line client
 * refreshes the token before it expires (`/v3/directline/tokens/refresh`, every 15 minutes).
 *
 * CSP: as strict as Web Chat allows — scripts from 'self' only (no inline script, no eval); styles from
 * 'self' plus a per-response nonce, which Web Chat passes to its CSS-in-JS (its `nonce` prop); connections
 * to this host and the Direct Line endpoint only; frames allowed only by the allowed origins (for embed.js).
 * Relaxations, both needed by Web Chat 4.18: `img-src data: blob:` (icons and avatars drawn from data:/blob:
 * URLs) and `'unsafe-hashes'` with the hash of the empty string (an element it renders carries an empty
 * `style=""` attribute; no other inline style is allowed).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { Config } from '../services/config';
import type { Limits } from '../services/limits';
import type { Logger } from '../services/logger';
import { escapeHtml, fillTemplate } from '../services/text/template';
import { clientIp, type RouteModule } from './server';

const WEB_DIR = path.join(__dirname, '..', 'web', 'chat');
/** CSP hash of the empty string: Web Chat renders an element with an empty inline style attribute. */
const EMPTY_STYLE_HASH = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

export interface WebChatDeps {
  config: Config;
  limits: Limits;
  logger: Logger;
}

interface Asset {
  type: string;
  body: Buffer;
}

/** The Web Chat bundle (UMD, exposes window.WebChat), from the installed package. */
function webChatBundle(): Buffer {
  // The package exports only its entry point (lib/index.js); the bundle sits beside it in dist/.
  const entry = require.resolve('botframework-webchat');
  return fs.readFileSync(path.join(path.dirname(entry), '..', 'dist', 'webchat.js'));
}

export class WebChatPage implements RouteModule {
  private readonly template: string;
  private readonly assets: Record<string, () => Asset>;

  constructor(private readonly deps: WebChatDeps) {
    const read = (f: string) => fs.readFileSync(path.join(WEB_DIR, f));
    this.template = read('chat.html').toString('utf8');
    const cached = (make: () => Asset) => {
      let asset: Asset | undefined;
      return () => (asset ??= make());
    };
    this.assets = {
      'chat.css': cached(() => ({ type: 'text/css; charset=utf-8', body: read('chat.css') })),
      'chat.js': cached(() => ({ type: 'text/javascript; charset=utf-8', body: read('chat.js') })),
      'webchat.js': cached(() => ({ type: 'text/javascript; charset=utf-8', body: webChatBundle() })),
    };
  }

  register(server: Server): void {
    server.get('/chat', async (req: Request, res: Response) => this.page(req, res));
    server.get('/chat/assets/:file', async (req: Request, res: Response) => {
      const file = String(req.params?.file ?? '');
      const asset = Object.hasOwn(this.assets, file) ? this.assets[file]() : undefined;
      if (!asset) return this.send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      this.send(res, 200, asset.type, asset.body, { 'Cache-Control': 'no-cache' });
    });
    server.get('/chat/embed.js', async (_req: Request, res: Response) => {
      const body = fs.readFileSync(path.join(WEB_DIR, 'embed.js'));
      // Loaded by the practice's own site: it must be usable cross-origin.
      this.send(res, 200, 'text/javascript; charset=utf-8', body, { 'Cache-Control': 'no-cache', 'Cross-Origin-Resource-Policy': 'cross-origin' });
    });
    server.post('/api/webchat/token', async (req: Request, res: Response) => this.token(req, res));
  }

  private csp(nonce: string): string {
    const { channels } = this.deps.config;
    const dl = new URL(channels.directLine.endpoint);
    const ws = `${dl.protocol === 'https:' ? 'wss:' : 'ws:'}//${dl.host}`;
    const ancestors = ["'self'", ...channels.webchat.allowedOrigins].join(' ');
    return [
      "default-src 'none'",
      "script-src 'self'",
      // Web Chat sets one empty style attribute: allowed by its hash (the empty string), nothing else inline.
      `style-src 'self' 'nonce-${nonce}' 'unsafe-hashes' '${EMPTY_STYLE_HASH}'`,
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "media-src 'self' blob:",
      `connect-src 'self' ${dl.origin} ${ws}`,
      "base-uri 'none'",
      "form-action 'none'",
      `frame-ancestors ${ancestors}`,
    ].join('; ');
  }

  private async page(_req: Request, res: Response): Promise<void> {
    const { practice, channels } = this.deps.config;
    const nonce = randomBytes(16).toString('base64');
    const settings = {
      practiceName: practice.name,
      practicePhone: practice.phone,
      brandColor: channels.webchat.brandColor,
      brandTextColor: channels.webchat.brandTextColor,
      nonce,
    };
    const html = fillTemplate(
      this.template,
      {
        practiceName: practice.name,
        practicePhone: practice.phone,
        practiceHours: practice.hours.text,
        brandColor: channels.webchat.brandColor,
        brandTextColor: channels.webchat.brandTextColor,
        nonce,
        // JSON inside <script type="application/json">: "<" escaped so no value can close the element.
        settings: JSON.stringify(settings).replace(/</g, '\\u003c'),
      },
      { escape: escapeHtml, raw: new Set(['settings']) },
    );
    this.send(res, 200, 'text/html; charset=utf-8', Buffer.from(html), { 'Content-Security-Policy': this.csp(nonce), 'Cache-Control': 'no-store' });
  }

  /** POST /api/webchat/token → { token, expiresIn, domain, webSocket }. */
  private async token(req: Request, res: Response): Promise<void> {
    const { config, limits, logger } = this.deps;
    const json = (status: number, body: unknown) => this.send(res, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)), { 'Cache-Control': 'no-store' });
    try {
      const origin = String(req.headers.origin ?? '');
      const allowed = config.channels.webchat.allowedOrigins;
      if (!origin || !allowed.includes(origin)) return json(403, { error: 'This site may not open the chat.' });
      if (!(await limits.consume('perIp', `webchat-token:${clientIp(req, config.trustProxyHops)}`))) {
        return json(429, { error: 'Too many chats opened from this device. Please wait a minute and try again.' });
      }
      const { secret, endpoint, dev } = config.channels.directLine;
      if (!secret) {
        logger.error({ event: 'webchat-token', problem: 'no-secret' }, 'DIRECT_LINE_SECRET is not set');
        return json(503, { error: 'The chat is not available right now.' });
      }
      const userId = `dl_${randomBytes(16).toString('hex')}`;
      const started = Date.now();
      const reply = await fetch(`${endpoint}/v3/directline/tokens/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: { id: userId }, trustedOrigins: allowed }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await reply.json().catch(() => ({}))) as { token?: unknown; expires_in?: unknown };
      if (!reply.ok || typeof body.token !== 'string') {
        logger.error({ event: 'webchat-token', status: reply.status, ms: Date.now() - started }, 'Direct Line refused to generate a token');
        return json(502, { error: 'The chat is not available right now.' });
      }
      logger.debug({ event: 'webchat-token', ms: Date.now() - started }, 'web chat token issued');
      return json(200, {
        token: body.token,
        expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 1800,
        domain: `${endpoint}/v3/directline`,
        // The development Direct Line has no WebSocket stream: Web Chat polls it.
        webSocket: !dev,
      });
    } catch (err) {
      // The name only: a fetch error's message can quote the request.
      logger.error({ event: 'webchat-token', err: { name: (err as Error).name } }, 'web chat token failed');
      return json(502, { error: 'The chat is not available right now.' });
    }
  }

  private send(res: Response, status: number, type: string, body: Buffer | string, extra: Record<string, string> = {}): void {
    const hsts: Record<string, string> = this.deps.config.publicBaseUrl.startsWith('https://')
      ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' }
      : {};
    res.writeHead(status, {
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      ...hsts,
      ...extra,
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}
