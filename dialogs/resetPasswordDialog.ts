/**
 * ResetPasswordDialog: emails a one-time reset link to the account's verified email, found by that
 * email or by the username. Without an email it offers the other ways: the security questions, a reset
 * token from the practice, or asking the practice for one.
 *
 * The reply is the same whether or not the account exists or has a verified email; at most
 * RESET_EMAILS_PER_ACCOUNT_PER_HOUR links are emailed per account per hour (more get the same reply).
 */
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import { sha256 } from '../services/crypto';
import {
  accountLimitKey,
  CHOICES,
  conversationRef,
  EMAIL_LINK_MINUTES,
  askMenu,
  followChoice,
  resetUrl,
  UNIFORM,
  withinLimits,
  type AccountDeps,
  type FlowResult,
  type Menu,
} from './accountKit';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked } from './prompts';

export const RESET_PASSWORD_DIALOG = 'resetPasswordDialog';
const BY_EMAIL = `${RESET_PASSWORD_DIALOG}.email`;
const OTHER_WAYS_STEPS = `${RESET_PASSWORD_DIALOG}.otherWays`;

const OTHER_WAYS: Menu = [
  [CHOICES.securityQuestions, 'reset-by-questions'],
  [CHOICES.haveToken, 'reset-by-token'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];
/** After the link was (or was not) sent: the other ways, or nothing more. */
const AFTER_SENT: Menu = [...OTHER_WAYS.slice(0, 3), [CHOICES.noThanks, 'done']];

export class ResetPasswordDialog extends ComponentDialog {
  constructor(private readonly deps: AccountDeps) {
    super(RESET_PASSWORD_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(new WaterfallDialog(BY_EMAIL, [this.askEmailOrUsername.bind(this), this.sendLink.bind(this), (step) => followChoice(step, AFTER_SENT)]));
    this.addDialog(
      new WaterfallDialog(OTHER_WAYS_STEPS, [
        (step) => askMenu(step, 'Without a verified email, you can reset your password in one of these ways:', OTHER_WAYS),
        (step) => followChoice(step, OTHER_WAYS),
      ]),
    );
    this.initialDialogId = BY_EMAIL;
  }

  /** A patient who already said they have no email starts with the other ways. */
  protected override async onBeginDialog(inner: DialogContext, options?: { start?: string }): Promise<DialogTurnResult> {
    return inner.beginDialog(options?.start === 'reset-password-without-email' ? OTHER_WAYS_STEPS : BY_EMAIL);
  }

  private async askEmailOrUsername(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'login',
      {
        text: 'I can email you a link to reset your password. Please type your verified account email or your username. (Never type your password here.)',
        choices: [CHOICES.noEmailReset, CHOICES.haveToken],
      },
      'Please type your verified account email or your username (6 to 50 characters, no spaces), or choose an option.',
    );
  }

  private async sendLink(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'login', [CHOICES.noEmailReset, CHOICES.haveToken]);
    if ('choice' in answer) {
      if (answer.choice === CHOICES.haveToken) return step.endDialog({ next: 'reset-by-token' } satisfies FlowResult);
      return step.replaceDialog(OTHER_WAYS_STEPS);
    }
    if ('invalid' in answer) {
      if (this.deps.isNewQuestion(step.context.activity.text ?? '')) return step.endDialog({ reroute: true } satisfies FlowResult);
      return step.replaceDialog(OTHER_WAYS_STEPS);
    }

    await this.emailResetLink(step.context, answer.value);
    return askMenu(step, `${UNIFORM.resetLinkSent}\n\nNo email arrived, or no email on your account? I can help another way.`, AFTER_SENT);
  }

  /** Issues and emails a link when the account exists, is active, has a verified email and is under its limits. */
  private async emailResetLink(context: TurnContext, emailOrUsername: string): Promise<void> {
    const ref = conversationRef(context);
    if (!(await withinLimits(this.deps, [['perConversation', ref]], { conversationRef: ref, flow: 'reset-email' }))) return;
    const { directory } = this.deps;
    const match = emailOrUsername.includes('@')
      ? ((await directory.findByVerifiedEmail(emailOrUsername)) ?? (await directory.findByUsername(emailOrUsername)))
      : await directory.findByUsername(emailOrUsername);
    const to = match?.account.status === 'active' ? match.account.verifiedEmail : undefined;
    if (!match || !to) {
      await this.deps.audit.record({ type: 'reset-requested', conversationRef: ref, detail: { via: 'email', outcome: 'no-verified-email-account' } });
      return;
    }
    const accountRef = this.deps.audit.accountRef(match.account.username);
    await this.deps.audit.record({ type: 'reset-requested', accountRef, conversationRef: ref, detail: { via: 'email' } });
    const limitKey = accountLimitKey(this.deps.serverSecret, match.account.username);
    if (!(await withinLimits(this.deps, [['resetEmailsPerAccount', limitKey]], { conversationRef: ref, accountRef, flow: 'reset-email' }))) return;
    const { token } = await this.deps.tokens.issueResetLink(match.account.username, { ttlSeconds: EMAIL_LINK_MINUTES * 60, via: 'email' });
    await this.deps.mailer.send({
      to,
      template: 'reset-link',
      data: { resetUrl: resetUrl(this.deps.publicBaseUrl, token), minutes: String(EMAIL_LINK_MINUTES) },
      idempotencyKey: `reset-link:${sha256(token)}`,
    });
    await this.deps.audit.record({ type: 'reset-link-sent', accountRef, conversationRef: ref, detail: { via: 'email' } });
  }
}
