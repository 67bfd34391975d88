/**
 * ResetPasswordDialog: emails a one-time reset link to the account's verified email, found by that
 * email or by the username. Without an email it offers the other ways: the security questions, a reset
 * token from the practice, or asking the practice for one.
 *
 * The reply is the same whether or not the account exists or has a verified email; at most
 * RESET_EMAILS_PER_ACCOUNT_PER_HOUR links are emailed per account per hour (more get the same reply).
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import { matchChoice } from '../bot/render';
import {
  accountLimitKey,
  CHOICES,
  conversationRef,
  EMAIL_LINK_MINUTES,
  resetUrl,
  UNIFORM,
  type AccountDeps,
  type FlowResult,
} from './accountKit';
import { ask, askFor, createTextPrompt, createValidatedPrompt, readAsked, say } from './prompts';
import { sha256 } from '../services/crypto';

export const RESET_PASSWORD_DIALOG = 'resetPasswordDialog';
const BY_EMAIL = `${RESET_PASSWORD_DIALOG}.email`;
const OTHER_WAYS = `${RESET_PASSWORD_DIALOG}.otherWays`;

const OTHER_WAY_CHOICES = [CHOICES.securityQuestions, CHOICES.haveToken, CHOICES.requestToken, CHOICES.person];

export class ResetPasswordDialog extends ComponentDialog {
  constructor(private readonly deps: AccountDeps) {
    super(RESET_PASSWORD_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt());
    this.addDialog(new WaterfallDialog(BY_EMAIL, [this.askEmailOrUsername.bind(this), this.sendLink.bind(this), this.afterSent.bind(this)]));
    this.addDialog(new WaterfallDialog(OTHER_WAYS, [this.offerOtherWays.bind(this), this.routeOtherWay.bind(this)]));
    this.initialDialogId = BY_EMAIL;
  }

  private async askEmailOrUsername(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'username',
      {
        text: "I can email you a link to reset your password. Please type your verified account email or your username. (Never type your password here.)",
        choices: [CHOICES.noEmailReset, CHOICES.haveToken],
      },
      'Please type your verified account email or your username (6 to 50 characters, no spaces), or choose an option.',
    );
  }

  private async sendLink(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'username', [CHOICES.noEmailReset, CHOICES.haveToken]);
    if ('choice' in answer) {
      if (answer.choice === CHOICES.haveToken) return step.endDialog({ next: 'reset-by-token' } satisfies FlowResult);
      return step.replaceDialog(OTHER_WAYS);
    }
    if ('invalid' in answer) return step.replaceDialog(OTHER_WAYS);

    await this.emailResetLink(step.context, answer.value);
    const text = `${UNIFORM.resetLinkSent}\n\nNo email arrived, or no email on your account? I can help another way.`;
    return ask(step, { text, choices: [...OTHER_WAY_CHOICES.slice(0, 3), CHOICES.noThanks] });
  }

  private async afterSent(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const text = typeof step.result === 'string' ? step.result : '';
    if (matchChoice(text, [CHOICES.noThanks])) {
      await say(step.context, 'OK. Once you have set a new password you can sign in to the portal as usual.');
      return step.endDialog({} satisfies FlowResult);
    }
    return this.routeOtherWay(step);
  }

  private async offerOtherWays(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return ask(step, { text: 'Without a verified email, you can reset your password in one of these ways:', choices: OTHER_WAY_CHOICES });
  }

  private async routeOtherWay(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const text = typeof step.result === 'string' ? step.result : '';
    const chosen = matchChoice(text, OTHER_WAY_CHOICES);
    if (chosen === CHOICES.securityQuestions) return step.endDialog({ next: 'reset-by-questions' } satisfies FlowResult);
    if (chosen === CHOICES.haveToken) return step.endDialog({ next: 'reset-by-token' } satisfies FlowResult);
    if (chosen === CHOICES.requestToken) return step.endDialog({ next: 'request-reset-token' } satisfies FlowResult);
    if (chosen === CHOICES.person) return step.endDialog({ next: 'handoff' } satisfies FlowResult);
    return step.endDialog({ reroute: text } satisfies FlowResult);
  }

  /** Issues and emails a link when the account exists, is active, has a verified email and is under its limit. */
  private async emailResetLink(context: TurnContext, emailOrUsername: string): Promise<void> {
    const ref = conversationRef(context);
    if (!(await this.deps.limits.consume('perConversation', ref))) {
      await this.deps.audit.record({ type: 'rate-limited', conversationRef: ref, detail: { flow: 'reset-email' } });
      return;
    }
    const match = emailOrUsername.includes('@')
      ? await this.deps.directory.findByVerifiedEmail(emailOrUsername)
      : await this.deps.directory.findByUsername(emailOrUsername);
    const to = match?.account.status === 'active' ? match.account.verifiedEmail : undefined;
    if (!match || !to) {
      await this.deps.audit.record({ type: 'reset-requested', conversationRef: ref, detail: { via: 'email', outcome: 'no-verified-email-account' } });
      return;
    }
    const accountRef = this.deps.audit.accountRef(match.account.username);
    await this.deps.audit.record({ type: 'reset-requested', accountRef, conversationRef: ref, detail: { via: 'email' } });
    if (!(await this.deps.limits.consume('resetEmailsPerAccount', accountLimitKey(this.deps.serverSecret, match.account.username)))) {
      await this.deps.audit.record({ type: 'rate-limited', accountRef, conversationRef: ref, detail: { flow: 'reset-email' } });
      return;
    }
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
