/**
 * ResetPasswordDialog: asks for the verified email or the username and has the reset-by-email use case
 * email a one-time link. Without an email it offers the other ways: the security questions, a reset token
 * from the practice, or asking the practice for one. The reply is the same whether or not the account
 * exists or has a verified email.
 */
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { askMenu, callerOf, followChoice, type FlowResult, type Menu } from './flow';
import { UNIFORM } from './messages';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked } from './prompts';
import { USERNAME_RULE } from '../services/passwords';
import { EMAIL_NEVER_CAME } from './routing';

export const RESET_PASSWORD_DIALOG = 'resetPasswordDialog';
const BY_EMAIL = `${RESET_PASSWORD_DIALOG}.email`;
const OTHER_WAYS_STEPS = `${RESET_PASSWORD_DIALOG}.otherWays`;
const AFTER_SENT_STEPS = `${RESET_PASSWORD_DIALOG}.afterSent`;

const SENT_FOLLOW_UP = 'No email arrived, or no email on your account? I can help another way.';
const NOT_ARRIVED =
  "Sorry it hasn't arrived. It can take a few minutes, so please check your spam or junk folder too. If it still doesn't come, you can reset your password another way:";

const OTHER_WAYS: Menu = [
  [CHOICES.securityQuestions, 'reset-by-questions'],
  [CHOICES.haveToken, 'reset-by-token'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];
/** After the link was (or was not) sent: the other ways, or nothing more. */
const AFTER_SENT: Menu = [...OTHER_WAYS.slice(0, 3), [CHOICES.noThanks, 'done']];

export class ResetPasswordDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(RESET_PASSWORD_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(new WaterfallDialog(BY_EMAIL, [this.askEmailOrUsername.bind(this), this.sendLink.bind(this)]));
    this.addDialog(
      new WaterfallDialog(AFTER_SENT_STEPS, [
        (step) => askMenu(step, (step.options as { text: string }).text, AFTER_SENT),
        // "It never came": the same ways, with a word about spam; anything else is a choice or a new question.
        (step) => (EMAIL_NEVER_CAME.test(String(step.result ?? '')) ? step.replaceDialog(AFTER_SENT_STEPS, { text: NOT_ARRIVED }) : followChoice(step, AFTER_SENT)),
      ]),
    );
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
      `Please type your verified account email or your username (${USERNAME_RULE.summary}), or choose an option.`,
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
    await this.deps.recovery.emailResetLink(answer.value, callerOf(step.context));
    return step.replaceDialog(AFTER_SENT_STEPS, { text: `${UNIFORM.resetLinkSent}\n\n${SENT_FOLLOW_UP}` });
  }
}
