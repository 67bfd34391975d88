/**
 * The reset page, a thin HTTP adapter over the password-reset use case (services/recovery/completeReset.ts):
 * `GET /reset?token=…` shows a new-password form with a ✗/✓ checklist of the policy; `POST /reset` hands
 * the form to the use case, which checks the token and the policy again (so the page works without
 * JavaScript) and changes the password. Pages come from `web/reset/`; links use PUBLIC_BASE_URL only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { Limits } from '../services/limits';
import { PASSWORD_RULES, type PasswordPolicyResult } from '../services/passwords';
import { CHAT_LINK_MINUTES, EMAIL_LINK_MINUTES, type Recovery, type ResetLinkProblem } from '../services/recovery';
import { escapeHtml, fillTemplate } from '../services/text/template';
import { isRedisUnavailable } from '../services/redis';
import { clientIp, type RouteModule } from './server';

const WEB_DIR = path.join(__dirname, '..', 'web', 'reset');

/** Headers on every reset page and asset: no inline script, no framing, no referrer, no caching. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

/** Rules the page's script cannot check (it knows no common-password list, username or last name). */
const SERVER_ONLY_RULES = new Set(['not-common', 'no-username', 'no-last-name']);

const ResetForm = z.object({
  token: z.string().min(1).max(200),
  password: z.string().max(1000),
  confirm: z.string().max(1000),
});

const LINK_PROBLEMS: Record<ResetLinkProblem, string> = {
  used: 'This reset link has already been used.',
  expired: 'This reset link has expired.',
  revoked: 'This reset link was replaced by a newer one.',
  unknown: 'This reset link is not valid.',
};

/** Template values that are pre-rendered HTML; every other value is HTML-escaped. */
const HTML_VALUES = new Set(['content', 'rules', 'error']);

function fill(template: string, values: Record<string, string>): string {
  return fillTemplate(template, values, { escape: escapeHtml, raw: HTML_VALUES });
}

const LINK_HELP = `To get a new link, ask the portal help chat to reset your password, or call the practice. Links from email work for ${EMAIL_LINK_MINUTES} minutes and links shown in chat for ${CHAT_LINK_MINUTES} minutes, and each works only once.`;

class PageDeadlineError extends Error {
  constructor() {
    super('the reset page request missed its deadline');
    this.name = 'PageDeadlineError';
  }
}

export interface ResetPageDeps {
  config: Config;
  recovery: Recovery;
  limits: Limits;
  logger: Logger;
}

export class ResetPage implements RouteModule {
  private readonly templates: Record<'layout' | 'form' | 'message', string>;
  private readonly assets: Record<string, { type: string; body: string }>;

  constructor(private readonly deps: ResetPageDeps) {
    const read = (f: string) => fs.readFileSync(path.join(WEB_DIR, f), 'utf8');
    this.templates = { layout: read('layout.html'), form: read('form.html'), message: read('message.html') };
    this.assets = {
      'reset.css': { type: 'text/css; charset=utf-8', body: read('reset.css') },
      'reset.js': { type: 'text/javascript; charset=utf-8', body: read('reset.js') },
    };
  }

  register(server: Server): void {
    server.get('/reset', async (req: Request, res: Response) => this.guard(req, res, () => this.showForm(req, res)));
    server.post('/reset', async (req: Request, res: Response) => this.guard(req, res, () => this.submit(req, res)));
    server.get('/reset/assets/:file', async (req: Request, res: Response) => {
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
  private async guard(req: Request, res: Response, handler: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PageDeadlineError()), this.deps.config.turnDeadlineMs);
    });
    const work = (async () => {
      if (!(await this.deps.limits.consume('perIp', `reset:${clientIp(req, this.deps.config.trustProxyHops)}`))) {
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
      this.deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message }, unavailable }, 'reset page failed');
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

  private async showForm(req: Request, res: Response): Promise<void> {
    const token = typeof req.query?.token === 'string' ? req.query.token : '';
    const link = await this.deps.recovery.checkResetLink(token);
    if (!link.ok) return this.linkProblem(res, link.problem);
    this.page(res, 200, 'Choose a new password', this.form(token, null));
  }

  private async submit(req: Request, res: Response): Promise<void> {
    const parsed = ResetForm.safeParse(req.body);
    if (!parsed.success) {
      this.page(res, 400, 'Something is missing', this.message('error', 'The form was incomplete.', 'Please open the reset link from your email or chat again.'));
      return;
    }
    const outcome = await this.deps.recovery.completePasswordReset(parsed.data);
    switch (outcome.kind) {
      case 'link-problem':
        return this.linkProblem(res, outcome.problem);
      case 'rejected': {
        const problems: string[] = [];
        if (!outcome.policy.ok) problems.push('Your new password does not meet every rule below yet.');
        if (!outcome.matches) problems.push('The two passwords do not match.');
        this.page(res, 400, 'Choose a new password', this.form(parsed.data.token, { policy: outcome.policy, matches: outcome.matches, problems }));
        return;
      }
      case 'changed':
        this.page(
          res,
          200,
          'Password changed',
          this.message(
            'success',
            'Your password has been changed.',
            `You can now sign in to the patient portal with your new password.${outcome.notified ? ' We have emailed you a confirmation.' : ''}`,
          ),
        );
    }
  }

  /** Explains why a link does not work (the use case has audited it). */
  private linkProblem(res: Response, problem: ResetLinkProblem): void {
    this.page(res, problem === 'unknown' ? 404 : 410, 'This link does not work', this.message('error', LINK_PROBLEMS[problem], LINK_HELP));
  }

  /** The form; after a failed submit, `attempt` carries the server's rule results (checked with the account's context). */
  private form(token: string, attempt: { policy: PasswordPolicyResult; matches: boolean; problems: string[] } | null): string {
    const rules = attempt ? attempt.policy.rules : PASSWORD_RULES.map((r) => ({ ...r, ok: false }));
    const items = [...rules, { id: 'match', label: 'Both passwords match', ok: attempt?.matches ?? false }]
      .map((r) => {
        // Before a submit, rules only the server can check are shown as pending, not failed.
        const pending = !attempt && SERVER_ONLY_RULES.has(r.id);
        const [cls, mark] = pending ? ['pending', '•'] : r.ok ? ['ok', '✓'] : ['bad', '✗'];
        const label = pending ? `${r.label} (checked when you submit)` : r.label;
        return `    <li data-rule="${escapeHtml(r.id)}" class="${cls}"><span class="mark">${mark}</span>${escapeHtml(label)}</li>`;
      })
      .join('\n');
    const error = attempt ? `<div class="error" role="alert">${attempt.problems.map(escapeHtml).join('<br>')}</div>` : '';
    return fill(this.templates.form, { baseUrl: this.deps.config.publicBaseUrl, token, rules: items, error });
  }

  private message(kind: 'error' | 'success', message: string, next: string): string {
    return fill(this.templates.message, { kind, message, next });
  }

  private page(res: Response, status: number, title: string, content: string): void {
    const { practice, publicBaseUrl } = this.deps.config;
    const html = fill(this.templates.layout, {
      title,
      content,
      baseUrl: publicBaseUrl,
      practiceName: practice.name,
      practicePhone: practice.phone,
      practiceHours: practice.hours.text,
    });
    this.send(res, status, 'text/html; charset=utf-8', html);
  }

  private send(res: Response, status: number, type: string, body: string): void {
    const hsts: Record<string, string> = this.deps.config.publicBaseUrl.startsWith('https://')
      ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' }
      : {};
    res.writeHead(status, { ...SECURITY_HEADERS, ...hsts, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}
