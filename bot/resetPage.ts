/**
 * The reset page: `GET /reset?token=…` shows a new-password form with a ✗/✓ checklist of the policy;
 * `POST /reset` checks the token and the policy again on the server (so it works without JavaScript),
 * sets the new password hash, consumes the token, revokes the account's other links, audits, and emails
 * a "your password was changed" notice. Pages come from `web/reset/`; links use PUBLIC_BASE_URL only.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { AccountServices } from '../services/accountServices';
import { checkPasswordPolicy, PASSWORD_RULES } from '../services/passwords';
import { escapeHtml } from '../services/mail';
import { sha256 } from '../services/crypto';
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

type Tokens = AccountServices['tokens'];
type LinkState = Awaited<ReturnType<Tokens['inspectResetLink']>>['state'];

const LINK_PROBLEMS: Record<Exclude<LinkState, 'valid'>, string> = {
  used: 'This reset link has already been used.',
  expired: 'This reset link has expired.',
  revoked: 'This reset link was replaced by a newer one.',
  unknown: 'This reset link is not valid.',
};

/** Fills `{{name}}` (HTML-escaped) and `{{{name}}}` (pre-rendered HTML) placeholders. */
function fill(template: string, values: Record<string, string>): string {
  return template
    .replace(/\{\{\{(\w+)\}\}\}/g, (_, k: string) => values[k] ?? '')
    .replace(/\{\{(\w+)\}\}/g, (_, k: string) => escapeHtml(values[k] ?? ''));
}

export interface ResetPageDeps {
  config: Config;
  services: AccountServices;
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

  /** Per-IP limit and a last-resort error page: these routes never answer 500 with a stack. */
  private async guard(req: Request, res: Response, handler: () => Promise<void>): Promise<void> {
    try {
      if (!(await this.deps.services.limits.consume('perIp', `reset:${clientIp(req, this.deps.config.trustProxyHops)}`))) {
        this.page(res, 429, 'Too many attempts', this.message('error', 'Too many attempts from this device.', 'Please wait a minute and try again.'));
        return;
      }
      await handler();
    } catch (err) {
      this.deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'reset page failed');
      this.page(res, 500, 'Something went wrong', this.message('error', 'Sorry, something went wrong on our side.', 'Please try again in a few minutes.'));
    }
  }

  private async showForm(req: Request, res: Response): Promise<void> {
    const token = typeof req.query?.token === 'string' ? req.query.token : '';
    const info = token ? await this.deps.services.tokens.inspectResetLink(token) : { state: 'unknown' as const, username: undefined };
    if (info.state !== 'valid') return this.linkProblem(res, info.state, info.username);
    this.page(res, 200, 'Choose a new password', this.form(token, null));
  }

  private async submit(req: Request, res: Response): Promise<void> {
    const parsed = ResetForm.safeParse(req.body);
    if (!parsed.success) {
      this.page(res, 400, 'Something is missing', this.message('error', 'The form was incomplete.', 'Please open the reset link from your email or chat again.'));
      return;
    }
    const { token, password, confirm } = parsed.data;
    const { tokens, directory, audit } = this.deps.services;
    const info = await tokens.inspectResetLink(token);
    if (info.state !== 'valid' || !info.username) return this.linkProblem(res, info.state, info.username);

    const match = await directory.findByUsername(info.username);
    if (!match) return this.linkProblem(res, 'unknown', info.username);
    const policy = checkPasswordPolicy(password, { username: match.account.username, lastName: match.patient.lastName });
    const problems: string[] = [];
    if (!policy.ok) problems.push('Your new password does not meet every rule below yet.');
    if (password !== confirm) problems.push('The two passwords do not match.');
    if (problems.length) {
      this.page(res, 400, 'Choose a new password', this.form(token, { policy, matches: password === confirm && password.length > 0, problems }));
      return;
    }

    const consumed = await tokens.consumeResetLink(token);
    if (!consumed) return this.linkProblem(res, 'used', info.username);
    await directory.setPassword(consumed.username, password);
    // The password has changed: what follows must not turn the patient's success into an error page.
    try {
      await tokens.revokeResetLinks(consumed.username);
      const accountRef = audit.accountRef(consumed.username);
      await audit.record({ type: 'reset-link-used', accountRef, detail: { via: info.via ?? 'email' } });
      await audit.record({ type: 'password-changed', accountRef, patientId: match.patient.id });
      await this.notifyChanged(match.account.verifiedEmail, match.patient.notificationEmail, token);
    } catch (err) {
      this.deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'after password change: follow-up failed');
    }
    this.page(
      res,
      200,
      'Password changed',
      this.message(
        'success',
        'Your password has been changed.',
        `You can now sign in to the patient portal with your new password.${match.account.verifiedEmail || match.patient.notificationEmail ? ' We have emailed you a confirmation.' : ''}`,
      ),
    );
  }

  /** Emails the change notice to each distinct address on the account (never to one typed in chat). */
  private async notifyChanged(verified: string | undefined, notification: string | undefined, token: string): Promise<void> {
    const time = new Intl.DateTimeFormat('en-US', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: this.deps.config.practice.timeZone,
    }).format(new Date());
    const addresses = [...new Set([verified, notification].filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase()))];
    for (const to of addresses) {
      await this.deps.services.mailer.send({
        to,
        template: 'password-changed',
        data: { time },
        idempotencyKey: `password-changed:${sha256(`${token}:${to}`)}`,
      });
    }
  }

  /** Explains why a link does not work (and audits the failed use, by account ref when known). */
  private async linkProblem(res: Response, state: LinkState, username?: string): Promise<void> {
    const audit = this.deps.services.audit;
    await audit.record({
      type: state === 'expired' ? 'reset-link-expired' : 'reset-link-invalid',
      accountRef: username ? audit.accountRef(username) : undefined,
      detail: { state },
    });
    const problem = state === 'valid' ? LINK_PROBLEMS.unknown : LINK_PROBLEMS[state];
    this.page(
      res,
      state === 'unknown' ? 404 : 410,
      'This link does not work',
      this.message(
        'error',
        problem,
        'To get a new link, ask the portal help chat to reset your password, or call the practice. Links from email work for 30 minutes and links shown in chat for 10 minutes, and each works only once.',
      ),
    );
  }

  /** The form; after a failed submit, `attempt` carries the server's rule results (checked with the account's context). */
  private form(token: string, attempt: { policy: ReturnType<typeof checkPasswordPolicy>; matches: boolean; problems: string[] } | null): string {
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
