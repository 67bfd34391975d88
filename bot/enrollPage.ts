/**
 * The create-account page (issue 12), a thin HTTP adapter over the enrollment use cases
 * (services/recovery/enrollment.ts): `GET /enroll?token=…` shows the form (username with a live "available?"
 * check, password with the reset page's ✗/✓ checklist — the same script, web/reset/reset.js — two security
 * questions from the pool, optional email); `POST /enroll` hands it to the use case, which checks everything
 * again (the page works without JavaScript) and creates the account; a rejected form is shown again with
 * every field kept but the passwords. `GET /enroll/username?u=…` is the live check (JSON, "not available"
 * is all it says); `GET /enroll/verify?token=…` uses an email-verification link. Same headers as the reset
 * page, plus `connect-src 'self'` for the live check.
 */
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { USERNAME_RULE } from '../services/passwords';
import { ENROLL_INVITE_DAYS, ENROLL_LINK_MINUTES, ENROLL_QUESTIONS, type CreateAccountProblems, type EnrollLinkProblem, type Recovery } from '../services/recovery';
import { escapeHtml } from '../services/text/template';
import { PatientPage, type PatientPageDeps } from './patientPage';
import { clientIp } from './server';

const s = (max: number) => z.string().max(max).optional().default('');
const EnrollForm = z.object({
  token: z.string().min(1).max(200),
  username: s(200),
  password: s(1000),
  confirm: s(1000),
  q0: s(300),
  a0: s(300),
  q1: s(300),
  a1: s(300),
  email: s(300),
});
type EnrollFormData = z.infer<typeof EnrollForm>;

const LINK_PROBLEMS: Record<EnrollLinkProblem, string> = {
  used: 'This link has already been used.',
  expired: 'This link has expired.',
  revoked: 'This link was replaced by a newer one.',
  unknown: 'This link is not valid.',
};
const LINK_HELP = `To get a new link, tell the portal help chat "I have an enrollment token", or call the practice. Links shown in chat work for ${ENROLL_LINK_MINUTES} minutes and emailed invitations for ${ENROLL_INVITE_DAYS} days, and each works only once.`;

export interface EnrollPageDeps extends PatientPageDeps {
  recovery: Recovery;
}

export class EnrollPage extends PatientPage {
  constructor(private readonly deps: EnrollPageDeps) {
    // The reset page's message template, stylesheet and checklist script are shared (web/reset/).
    super(deps, {
      name: 'enroll',
      templates: { form: 'enroll/form.html', message: 'reset/message.html' },
      assets: ['enroll/enroll.css', 'enroll/enroll.js'],
      styles: ['enroll/enroll.css'],
      htmlValues: ['content', 'rules', 'error', 'q0options', 'q1options'],
      extraCsp: "connect-src 'self'",
    });
  }

  register(server: Server): void {
    server.get('/enroll', async (req: Request, res: Response) => this.guard(req, res, () => this.showForm(req, res)));
    server.post('/enroll', async (req: Request, res: Response) => this.guard(req, res, () => this.submit(req, res)));
    server.get('/enroll/verify', async (req: Request, res: Response) => this.guard(req, res, () => this.verify(req, res)));
    server.get('/enroll/username', async (req: Request, res: Response) => this.guard(req, res, () => this.usernameCheck(req, res)));
    this.registerAssets(server);
  }

  private async showForm(req: Request, res: Response): Promise<void> {
    const token = typeof req.query?.token === 'string' ? req.query.token : '';
    const link = await this.deps.recovery.checkEnrollLink(token);
    if (!link.ok) return this.linkProblem(res, link.problem);
    this.page(res, 200, 'Create your account', this.form({ token }, null));
  }

  private async submit(req: Request, res: Response): Promise<void> {
    const parsed = EnrollForm.safeParse(req.body);
    if (!parsed.success) {
      this.page(res, 400, 'Something is missing', this.message('error', 'The form was incomplete.', 'Please open the link from your email or chat again.'));
      return;
    }
    const f = parsed.data;
    const outcome = await this.deps.recovery.createAccount({
      link: f.token,
      username: f.username,
      password: f.password,
      confirm: f.confirm,
      questions: [
        { question: f.q0, answer: f.a0 },
        { question: f.q1, answer: f.a1 },
      ],
      email: f.email,
    });
    switch (outcome.kind) {
      case 'link-problem':
        return this.linkProblem(res, outcome.problem);
      case 'rejected':
        this.page(res, 400, 'Create your account', this.form(f, outcome.problems));
        return;
      case 'created':
        this.page(
          res,
          200,
          'Account created',
          this.message(
            'success',
            'Your patient portal account has been created.',
            `You can now sign in to the patient portal with your username and password.${outcome.verificationSent ? ' We have emailed you a link to confirm your email address.' : ''}`,
          ),
        );
    }
  }

  private async verify(req: Request, res: Response): Promise<void> {
    const token = typeof req.query?.token === 'string' ? req.query.token : '';
    const outcome = await this.deps.recovery.verifyEmail(token);
    if (outcome === 'verified') {
      this.page(res, 200, 'Email confirmed', this.message('success', 'Your email address is confirmed.', 'You can now recover your username and reset your password on your own with it.'));
      return;
    }
    const why = outcome === 'taken' ? 'This email address is already confirmed on another portal account.' : 'This confirmation link does not work: it was already used, has expired or is not valid.';
    this.page(res, outcome === 'taken' ? 409 : 410, 'This link does not work', this.message('error', why, 'Call the practice if you need help with your email address.'));
  }

  private async usernameCheck(req: Request, res: Response): Promise<void> {
    const u = typeof req.query?.u === 'string' ? req.query.u.slice(0, 200) : '';
    const status = await this.deps.recovery.checkUsername(u, { conversationRef: 'enroll-page', clientIp: clientIp(req, this.deps.config.trustProxyHops), turn: null });
    const body = JSON.stringify(status === 'invalid' ? { status, rule: `Usernames are ${USERNAME_RULE.summary}` } : { status: status === 'limited' ? 'unknown' : status });
    this.send(res, status === 'limited' ? 429 : 200, 'application/json; charset=utf-8', body);
  }

  private linkProblem(res: Response, problem: EnrollLinkProblem): void {
    this.page(res, problem === 'unknown' ? 404 : 410, 'This link does not work', this.message('error', LINK_PROBLEMS[problem], LINK_HELP));
  }

  /** The form, with what was typed (never the passwords) and, after a failed submit, what to fix. */
  private form(f: Partial<EnrollFormData>, problems: CreateAccountProblems | null): string {
    const items = this.checklist(problems?.password, false);
    const lines: string[] = [];
    if (problems?.username === 'not-available') lines.push('That username is not available. Please choose another.');
    if (problems?.username === 'invalid') lines.push(`Usernames are ${USERNAME_RULE.summary}.`);
    if (problems?.password) lines.push('Your password does not meet every rule below yet.');
    if (problems?.confirm) lines.push('The two passwords do not match.');
    if (problems?.questions === 'choose-two-different') lines.push('Please choose two different security questions from the lists.');
    if (problems?.questions === 'answer-missing') lines.push('Please answer both security questions.');
    if (problems?.email) lines.push('That email address does not look right. Please check it, or leave it empty.');
    if (problems) lines.push('Please type your password again.');
    const options = (selected: string | undefined, fallback: number) =>
      ENROLL_QUESTIONS.map((q, i) => {
        const isSelected = selected ? q === selected : i === fallback;
        return `      <option${isSelected ? ' selected' : ''}>${escapeHtml(q)}</option>`;
      }).join('\n');
    return this.fill('form', {
      baseUrl: this.deps.config.publicBaseUrl,
      token: f.token ?? '',
      username: f.username ?? '',
      usernameRule: `Usernames are ${USERNAME_RULE.summary}`,
      usernameStatus: problems?.username === 'not-available' ? '✗ Not available' : '',
      rules: items,
      q0options: options(f.q0, 0),
      q1options: options(f.q1, 1),
      a0: f.a0 ?? '',
      a1: f.a1 ?? '',
      email: f.email ?? '',
      error: lines.length ? `<div class="error" role="alert">${lines.map(escapeHtml).join('<br>')}</div>` : '',
    });
  }
}
