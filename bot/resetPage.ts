/**
 * The reset page, a thin HTTP adapter over the password-reset use case (services/recovery/completeReset.ts):
 * `GET /reset?token=…` shows a new-password form with a ✗/✓ checklist of the policy; `POST /reset` hands
 * the form to the use case, which checks the token and the policy again (so the page works without
 * JavaScript) and changes the password. Pages come from `web/reset/`; links use PUBLIC_BASE_URL only.
 */
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { PasswordPolicyResult } from '../services/passwords';
import { CHAT_LINK_MINUTES, EMAIL_LINK_MINUTES, type Recovery, type ResetLinkProblem } from '../services/recovery';
import { escapeHtml } from '../services/text/template';
import { PatientPage, type PatientPageDeps } from './patientPage';

export { SECURITY_HEADERS } from './patientPage';

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

const LINK_HELP = `To get a new link, ask the portal help chat to reset your password, or call the practice. Links from email work for ${EMAIL_LINK_MINUTES} minutes and links shown in chat for ${CHAT_LINK_MINUTES} minutes, and each works only once.`;

export interface ResetPageDeps extends PatientPageDeps {
  recovery: Recovery;
}

export class ResetPage extends PatientPage {
  constructor(private readonly deps: ResetPageDeps) {
    super(deps, {
      name: 'reset',
      templates: { form: 'reset/form.html', message: 'reset/message.html' },
      assets: ['reset/reset.css', 'reset/reset.js'],
      htmlValues: ['content', 'rules', 'error'],
    });
  }

  register(server: Server): void {
    server.get('/reset', async (req: Request, res: Response) => this.guard(req, res, () => this.showForm(req, res)));
    server.post('/reset', async (req: Request, res: Response) => this.guard(req, res, () => this.submit(req, res)));
    this.registerAssets(server);
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
    const error = attempt ? `<div class="error" role="alert">${attempt.problems.map(escapeHtml).join('<br>')}</div>` : '';
    return this.fill('form', { baseUrl: this.deps.config.publicBaseUrl, token, rules: this.checklist(attempt?.policy, attempt?.matches ?? false), error });
  }
}
