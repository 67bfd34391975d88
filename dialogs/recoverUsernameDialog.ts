/**
 * RecoverUsernameDialog: asks for the verified account email — or, without one, the notification email,
 * last name and date of birth — and hands them to the username-recovery use case, which emails the
 * username if they match. The reply is the same whether or not anything matched, the username never
 * appears in chat, and the typed email and last name are kept sealed in conversation state between steps.
 */
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { callerOf, unreadable, type FlowResult } from './flow';
import { UNIFORM } from './messages';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';

export const RECOVER_USERNAME_DIALOG = 'recoverUsernameDialog';
const VERIFIED = `${RECOVER_USERNAME_DIALOG}.verified`;
const NOTIFICATION = `${RECOVER_USERNAME_DIALOG}.notification`;

const NO_EMAIL_REASON = 'Without an email address on file, the practice needs to help you recover your username.';

interface Values {
  email?: string;
  lastName?: string;
}

export class RecoverUsernameDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(RECOVER_USERNAME_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(new WaterfallDialog(VERIFIED, [this.askVerifiedEmail.bind(this), this.sendToVerifiedEmail.bind(this)]));
    this.addDialog(
      new WaterfallDialog(NOTIFICATION, [
        this.askNotificationEmail.bind(this),
        this.askLastName.bind(this),
        this.askDateOfBirth.bind(this),
        this.sendToNotificationEmail.bind(this),
      ]),
    );
    this.initialDialogId = VERIFIED;
  }

  /** A patient who already said they have no verified email starts at the notification-email step. */
  protected override async onBeginDialog(inner: DialogContext, options?: { start?: string }): Promise<DialogTurnResult> {
    return inner.beginDialog(options?.start === 'recover-username-without-email' ? NOTIFICATION : VERIFIED);
  }

  private async askVerifiedEmail(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'email',
      {
        text: "I can email your username to you. What's the verified email address on your portal account?",
        choices: [CHOICES.noVerifiedEmail],
      },
      "That doesn't look like an email address. Please type it like name@example.com, or choose \"I don't have a verified email\".",
    );
  }

  private async sendToVerifiedEmail(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'email', [CHOICES.noVerifiedEmail]);
    if ('choice' in answer) return step.replaceDialog(NOTIFICATION);
    if ('invalid' in answer) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that email address.");
    await this.deps.recovery.recoverUsername({ via: 'verified-email', email: answer.value }, callerOf(step.context));
    await say(step.context, UNIFORM.usernameSent);
    return step.endDialog({} satisfies FlowResult);
  }

  private async askNotificationEmail(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'email',
      {
        text: "No problem. I can also use your notification email: the address the practice has on file for you. What's that email address?",
        choices: [CHOICES.noEmailAtAll],
      },
      "That doesn't look like an email address. Please type it like name@example.com, or choose \"I don't have any email\".",
    );
  }

  private async askLastName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'email', [CHOICES.noEmailAtAll]);
    if ('choice' in answer) return step.endDialog({ next: 'contact-practice', nextOptions: { reason: NO_EMAIL_REASON } } satisfies FlowResult);
    if ('invalid' in answer) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that email address.");
    (step.values as Values).email = this.deps.sealer.seal(answer.value);
    return askFor(step, 'name', { text: 'Thanks. What is your last name, as the practice has it?' }, 'Please type just your last name, using letters.');
  }

  private async askDateOfBirth(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'name', [], this.deps.isNewQuestion);
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that name.");
    (step.values as Values).lastName = this.deps.sealer.seal(answer.value);
    return askFor(step, 'dob', { text: 'And your date of birth? Please type it as mm/dd/yyyy.' }, RETRY.dob);
  }

  private async sendToNotificationEmail(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'dob');
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that date of birth.");
    const values = step.values as Values;
    const email = this.deps.sealer.open(values.email);
    const lastName = this.deps.sealer.open(values.lastName);
    delete values.email;
    delete values.lastName;
    if (email && lastName) {
      await this.deps.recovery.recoverUsername({ via: 'notification-email', email, lastName, dateOfBirth: answer.value }, callerOf(step.context));
    }
    await say(step.context, UNIFORM.usernameSent);
    return step.endDialog({} satisfies FlowResult);
  }
}
