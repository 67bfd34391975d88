/**
 * RecoverUsernameDialog: emails the username — to the verified account email, or (without one) to the
 * notification email when it, the last name and the date of birth all match one account.
 *
 * The reply is the same whether or not anything matched, the username never appears in chat, and the
 * typed email and last name are kept sealed in conversation state between steps.
 */
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { accountLimitKey, CHOICES, conversationRef, UNIFORM, unreadable, withinLimits, type AccountDeps, type FlowResult } from './accountKit';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';
import type { AccountMatch } from '../services/directory';
import type { TurnContext } from 'botbuilder';

export const RECOVER_USERNAME_DIALOG = 'recoverUsernameDialog';
const VERIFIED = `${RECOVER_USERNAME_DIALOG}.verified`;
const NOTIFICATION = `${RECOVER_USERNAME_DIALOG}.notification`;

const NO_EMAIL_REASON = "Without an email address on file, the practice needs to help you recover your username.";

interface Values {
  email?: string;
  lastName?: string;
}

export class RecoverUsernameDialog extends ComponentDialog {
  constructor(private readonly deps: AccountDeps) {
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
    if ('invalid' in answer) return unreadable(step, this.deps, "I couldn't read that email address.");

    if (await this.allowed(step.context, answer.value)) {
      const match = await this.deps.directory.findByVerifiedEmail(answer.value);
      await this.sendUsername(step.context, match, 'verified-email', match?.account.verifiedEmail);
    }
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
    if ('invalid' in answer) return unreadable(step, this.deps, "I couldn't read that email address.");
    (step.values as Values).email = this.deps.sealer.seal(answer.value);
    return askFor(step, 'name', { text: 'Thanks. What is your last name, as the practice has it?' }, 'Please type just your last name, using letters.');
  }

  private async askDateOfBirth(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'name', [], this.deps.isNewQuestion);
    if (!('value' in answer)) return unreadable(step, this.deps, "I couldn't read that name.");
    (step.values as Values).lastName = this.deps.sealer.seal(answer.value);
    return askFor(
      step,
      'dob',
      { text: 'And your date of birth? Please type it as mm/dd/yyyy.' },
      RETRY.dob,
    );
  }

  private async sendToNotificationEmail(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'dob');
    if (!('value' in answer)) return unreadable(step, this.deps, "I couldn't read that date of birth.");
    const values = step.values as Values;
    const email = this.deps.sealer.open(values.email);
    const lastName = this.deps.sealer.open(values.lastName);
    delete values.email;
    delete values.lastName;
    if (email && lastName && (await this.allowed(step.context, email))) {
      const match = await this.deps.directory.findByNotificationEmailLastNameDob(email, lastName, answer.value);
      await this.sendUsername(step.context, match, 'notification-email', match?.patient.notificationEmail);
    }
    await say(step.context, UNIFORM.usernameSent);
    return step.endDialog({} satisfies FlowResult);
  }

  /** Per-conversation and per-address limits; a limited request gets the same reply and sends nothing. */
  private async allowed(context: TurnContext, email: string): Promise<boolean> {
    const ref = conversationRef(context);
    return withinLimits(
      this.deps,
      [
        ['perConversation', ref],
        ['perAccount', accountLimitKey(this.deps.serverSecret, `email:${email}`)],
      ],
      { conversationRef: ref, flow: 'recover-username' },
    );
  }

  private async sendUsername(context: TurnContext, match: AccountMatch | null, via: string, to: string | undefined): Promise<void> {
    const ref = conversationRef(context);
    if (!match || !to) {
      await this.deps.audit.record({ type: 'username-recovery-no-match', conversationRef: ref, detail: { via } });
      return;
    }
    await this.deps.mailer.send({
      to,
      template: 'username-reminder',
      data: { username: match.account.username },
      idempotencyKey: `username:${ref}:${context.activity.id ?? Date.now()}`,
    });
    await this.deps.audit.record({
      type: 'username-sent',
      accountRef: this.deps.audit.accountRef(match.account.username),
      patientId: match.patient.id,
      conversationRef: ref,
      detail: { via },
    });
  }
}
