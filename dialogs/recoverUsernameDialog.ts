/**
 * RecoverUsernameDialog: asks for the verified account email — or, without one, the notification email,
 * last name and date of birth — and hands them to the username-recovery use case, which emails the
 * username if they match. The reply is the same whether or not anything matched, the username never
 * appears in chat, and the typed email and last name are kept sealed in conversation state between steps.
 */
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { askMenu, callerOf, followChoice, unreadable, type FlowResult, type Menu } from './flow';
import { choice } from './input';
import { EMAIL_NEVER_CAME } from './routing';
import { UNIFORM } from './messages';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY } from './prompts';

export const RECOVER_USERNAME_DIALOG = 'recoverUsernameDialog';
const VERIFIED = `${RECOVER_USERNAME_DIALOG}.verified`;
const NOTIFICATION = `${RECOVER_USERNAME_DIALOG}.notification`;
const AFTER_SENT = `${RECOVER_USERNAME_DIALOG}.afterSent`;

const SENT_FOLLOW_UP = 'No email arrived? I can help another way.';
const NOT_ARRIVED =
  "Sorry it hasn't arrived. It can take a few minutes, so please check your spam or junk folder too. If it still doesn't come, I can help another way:";
const USE_NOTIFICATION = choice('Use my notification email', ['notification email', 'notification', 'other email']);
/** After the username was (or was not) sent: the other way to recover it, a person, or nothing more. */
const AFTER_SENT_MENU: Menu = [
  [USE_NOTIFICATION, 'retry'],
  [CHOICES.person, 'handoff'],
  [CHOICES.noThanks, 'done'],
];
/** After the notification-email path there is no other self-service way left. */
const AFTER_NOTIFICATION_MENU: Menu = [
  [CHOICES.person, 'handoff'],
  [CHOICES.noThanks, 'done'],
];

interface AfterSentOptions {
  text: string;
  /** The notification-email path was already used. */
  notification?: boolean;
}

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
    this.addDialog(new WaterfallDialog(AFTER_SENT, [this.offerOtherWays.bind(this), this.afterOtherWays.bind(this)]));
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
    return step.replaceDialog(AFTER_SENT, { text: `${UNIFORM.usernameSent}\n\n${SENT_FOLLOW_UP}` } satisfies AfterSentOptions);
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
    return step.replaceDialog(AFTER_SENT, { text: `${UNIFORM.usernameSent}\n\n${SENT_FOLLOW_UP}`, notification: true } satisfies AfterSentOptions);
  }

  /** "No email arrived?": the other ways, asked again (with a word about spam) when the patient says it never came. */
  private async offerOtherWays(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { text, notification } = step.options as AfterSentOptions;
    return askMenu(step, text, notification ? AFTER_NOTIFICATION_MENU : AFTER_SENT_MENU);
  }

  private async afterOtherWays(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as AfterSentOptions;
    const text = typeof step.result === 'string' ? step.result : '';
    if (EMAIL_NEVER_CAME.test(text)) return step.replaceDialog(AFTER_SENT, { ...options, text: NOT_ARRIVED } satisfies AfterSentOptions);
    return followChoice(step, options.notification ? AFTER_NOTIFICATION_MENU : AFTER_SENT_MENU, () => step.replaceDialog(NOTIFICATION));
  }
}
