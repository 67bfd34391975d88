/**
 * What the pages patients open from a link (the reset page, the create-account page) share: their templates
 * and assets from one `web/` folder, strict security headers, a per-IP limit, a deadline, a last-resort error
 * page (never a 500 with a stack, never a hang: a Redis that does not answer gives 503 with `Retry-After`),
 * the practice-branded layout, and the password checklist. Each page adds only its own routes and forms.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { Limits } from '../services/limits';
import { PASSWORD_RULES, type PasswordPolicyResult } from '../services/passwords';
import { escapeHtml, fillTemplate } from '../services/text/template';
import { isRedisUnavailable } from '../services/redis';
import { clientIp, type RouteModule } from './server';

/** Headers on every patient page and asset: no inline script, no framing, no referrer, no caching. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** Password rules the page's script cannot check (it knows no common-password list, username or last name). */
const SERVER_ONLY_RULES = new Set(['not-common', 'no-username', 'no-last-name']);

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

export const WEB_ROOT = path.join(__dirname, '..', 'web');

class PageDeadlineError extends Error {
  constructor(name: string) {
    super(`the ${name} page request missed its deadline`);
    this.name = 'PageDeadlineError';
  }
}

export interface PatientPageDeps {
  config: Config;
  limits: Limits;
  logger: Logger;
}

export interface PageFiles {
  /** The page's name: its URL prefix (`/reset`), its limit key and its log lines. */
  name: string;
  /** `form` and `message` templates, as paths under `web/` (every page shares `web/reset/layout.html`). */
  templates: Record<'form' | 'message', string>;
  /** Stylesheets of this page besides the shared `reset.css`, as paths under `web/` served from its assets. */
  styles?: string[];
  /** Assets served at `/<name>/assets/<file>`, as paths under `web/`. */
  assets: string[];
  /** Template values that are pre-rendered HTML; every other value is HTML-escaped. */
  htmlValues: string[];
  /** Extra Content-Security-Policy directives (e.g. `connect-src 'self'`). */
  extraCsp?: string;
}

export abstract class PatientPage implements RouteModule {
  private readonly templates: Record<'layout' | 'form' | 'message', string>;
  private readonly assets: Record<string, { type: string; body: string }>;
  private readonly headers: Record<string, string>;
  private readonly htmlValues: ReadonlySet<string>;
  /** `<link>`s of the page's own stylesheets, built once. */
  private readonly pageStyles: string;

  protected constructor(
    protected readonly base: PatientPageDeps,
    private readonly files: PageFiles,
  ) {
    const read = (f: string) => fs.readFileSync(path.join(WEB_ROOT, f), 'utf8');
    this.templates = { layout: read('reset/layout.html'), form: read(files.templates.form), message: read(files.templates.message) };
    const styleUrl = (f: string) => escapeHtml(`${base.config.publicBaseUrl}/${files.name}/assets/${path.basename(f)}`);
    this.pageStyles = (files.styles ?? []).map((f) => `\n  <link rel="stylesheet" href="${styleUrl(f)}">`).join('');
    this.assets = Object.fromEntries(files.assets.map((f) => [path.basename(f), { type: TYPES[path.extname(f)] ?? 'text/plain; charset=utf-8', body: read(f) }]));
    const csp = files.extraCsp ? `${SECURITY_HEADERS['Content-Security-Policy']}; ${files.extraCsp}` : SECURITY_HEADERS['Content-Security-Policy'];
    const hsts: Record<string, string> = base.config.publicBaseUrl.startsWith('https://') ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {};
    this.headers = { ...SECURITY_HEADERS, 'Content-Security-Policy': csp, ...hsts };
    this.htmlValues = new Set([...files.htmlValues, 'pageStyles']);
  }

  abstract register(server: Server): void;

  /** Serves this page's assets at `/<name>/assets/:file`. */
  protected registerAssets(server: Server): void {
    server.get(`/${this.files.name}/assets/:file`, async (req: Request, res: Response) => {
      const file = String(req.params?.file ?? '');
      const asset = Object.hasOwn(this.assets, file) ? this.assets[file] : undefined;
      if (!asset) return this.send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return this.send(res, 200, asset.type, asset.body);
    });
  }

  /**
   * Per-IP limit, a deadline and a last-resort error page: these routes never answer 500 with a stack, and
   * never hang. When Redis does not answer (or the request misses TURN_DEADLINE_MS) the page is a 503 with
   * `Retry-After`; any other failure is a 500.
   */
  protected async guard(req: Request, res: Response, handler: () => Promise<void>): Promise<void> {
    const { config, limits, logger } = this.base;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PageDeadlineError(this.files.name)), config.turnDeadlineMs);
    });
    const work = (async () => {
      if (!(await limits.consume('perIp', `${this.files.name}:${clientIp(req, config.trustProxyHops)}`))) {
        this.page(res, 429, 'Too many attempts', this.message('error', 'Too many attempts from this device.', 'Please wait a minute and try again.'));
        return;
      }
      await handler();
    })();
    try {
      await Promise.race([work, deadline]);
    } catch (err) {
      const unavailable = err instanceof PageDeadlineError || isRedisUnavailable(err);
      if (err instanceof PageDeadlineError) work.catch(() => undefined); // it ends when Redis answers or its commands time out
      logger.error({ err: { name: (err as Error).name, message: (err as Error).message }, unavailable }, `${this.files.name} page failed`);
      if (res.headersSent) return;
      if (unavailable) {
        res.header('Retry-After', '60');
        this.page(res, 503, 'Temporarily unavailable', this.message('error', 'Sorry, this service is temporarily unavailable.', 'Please try again in a few minutes.'));
      } else {
        this.page(res, 500, 'Something went wrong', this.message('error', 'Sorry, something went wrong on our side.', 'Please try again in a few minutes.'));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Fills a template: `htmlValues` as they are, every other value HTML-escaped. */
  protected fill(template: 'layout' | 'form' | 'message', values: Record<string, string>): string {
    return fillTemplate(this.templates[template], values, { escape: escapeHtml, raw: this.htmlValues });
  }

  /**
   * The password checklist (`<li>` per rule, then "Both passwords match"). Before a submit (`policy` absent)
   * rules only the server can check are shown as pending, not failed; the page's script ticks the others.
   */
  protected checklist(policy: PasswordPolicyResult | undefined, matches: boolean): string {
    const rules = policy ? policy.rules : PASSWORD_RULES.map((r) => ({ ...r, ok: false }));
    return [...rules, { id: 'match', label: 'Both passwords match', ok: matches }]
      .map((r) => {
        const pending = !policy && SERVER_ONLY_RULES.has(r.id);
        const [cls, mark] = pending ? ['pending', '•'] : r.ok ? ['ok', '✓'] : ['bad', '✗'];
        const label = pending ? `${r.label} (checked when you submit)` : r.label;
        return `    <li data-rule="${escapeHtml(r.id)}" class="${cls}"><span class="mark">${mark}</span>${escapeHtml(label)}</li>`;
      })
      .join('\n');
  }

  protected message(kind: 'error' | 'success', message: string, next: string): string {
    return this.fill('message', { kind, message, next });
  }

  protected page(res: Response, status: number, title: string, content: string): void {
    const { practice, publicBaseUrl } = this.base.config;
    const html = this.fill('layout', {
      title,
      content,
      baseUrl: publicBaseUrl,
      pageStyles: this.pageStyles,
      practiceName: practice.name,
      practicePhone: practice.phone,
      practiceHours: practice.hours.text,
    });
    this.send(res, status, 'text/html; charset=utf-8', html);
  }

  protected send(res: Response, status: number, type: string, body: string): void {
    res.writeHead(status, { ...this.headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}
