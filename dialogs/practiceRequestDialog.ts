/**
 * PracticeRequestDialog: asks the practice (through the practice-request use case) for something only staff can do — a new enrollment token
 * ("my token isn't working"), reactivating an unenrolled account, a password-reset token for a patient
 * who remembers only the username, or enrolling a patient who has no token (staff approve → an invitation
 * email). Collects first name, last name, date of birth and a contact email or phone, files the request in
 * the practice's queue, notifies the practice by email (reference only, no PHI), and gives the patient the
 * reference to ask about its status. The wording per kind is in messages.ts (`REQUEST_WORDING`).
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { RequestKind } from '../services/requests';
import type { DialogDeps } from './deps';
import { DEFAULT_REQUEST_RESPONSE_TIME } from './faq';
import { callerOf, unreadable, type FlowResult } from './flow';
import { REQUEST_WORDING } from './messages';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';

export const PRACTICE_REQUEST_DIALOG = 'practiceRequestDialog';
const STEPS = `${PRACTICE_REQUEST_DIALOG}.steps`;

export interface PracticeRequestOptions {
  kind: RequestKind;
}

interface Values {
  kind: RequestKind;
  firstName?: string;
  lastName?: string;
  dateOfBirth?: string;
}

/** Passed to the next step when the last name came with the first name. */
const LAST_NAME_GIVEN = Symbol('last name given');

export class PracticeRequestDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(PRACTICE_REQUEST_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(
      new WaterfallDialog(STEPS, [
        this.askFirstName.bind(this),
        this.askLastName.bind(this),
        this.askDateOfBirth.bind(this),
        this.askContact.bind(this),
        this.file.bind(this),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  private async askFirstName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { kind } = (step.options ?? { kind: 'token-renewal' }) as PracticeRequestOptions;
    (step.values as Values).kind = kind;
    return askFor(
      step,
      'name',
      { text: `${REQUEST_WORDING[kind].intro} The practice needs a few details to find your record. What is your first name?` },
      'Please type just your first name, using letters.',
    );
  }

  private async askLastName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'name', [], this.deps.isNewQuestion);
    if (!('value' in answer)) return this.giveUp(step);
    // "Robert Chen" at the first-name question: the first word is the first name, the rest answers the next question.
    const [first, ...rest] = answer.value.split(' ');
    if (rest.length > 0) {
      const values = step.values as Values;
      values.firstName = this.deps.sealer.seal(first);
      values.lastName = this.deps.sealer.seal(rest.join(' '));
      await say(step.context, "Thanks, I've noted your first and last name.");
      return step.next(LAST_NAME_GIVEN);
    }
    (step.values as Values).firstName = this.deps.sealer.seal(answer.value);
    return askFor(step, 'name', { text: 'And your last name?' }, 'Please type just your last name, using letters.');
  }

  private async askDateOfBirth(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (step.result !== LAST_NAME_GIVEN && !this.keep(step, 'lastName', readAsked(step.result, 'name', [], this.deps.isNewQuestion))) return this.giveUp(step);
    return askFor(
      step,
      'dob',
      { text: 'What is your date of birth? Please type it as mm/dd/yyyy.' },
      RETRY.dob,
    );
  }

  private async askContact(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (!this.keep(step, 'dateOfBirth', readAsked(step.result, 'dob'))) return this.giveUp(step);
    return askFor(
      step,
      'contact',
      { text: 'Last one: an email address or phone number where the practice can reach you about this request.' },
      'Please type an email address (name@example.com) or a phone number.',
    );
  }

  private async file(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'contact');
    if (!('value' in answer)) return this.giveUp(step);
    const values = step.values as Values;
    const open = (v: string | undefined) => this.deps.sealer.open(v) ?? '';
    const outcome = await this.deps.recovery.filePracticeRequest(
      {
        kind: values.kind,
        firstName: open(values.firstName),
        lastName: open(values.lastName),
        dateOfBirth: open(values.dateOfBirth),
        contact: answer.value.includes('@') ? { email: answer.value } : { phone: answer.value },
      },
      callerOf(step.context),
    );
    if (outcome.kind === 'limited') {
      await say(step.context, "Sorry, I can't file more requests from this chat right now. Please try again later, or call the practice.");
      return step.endDialog({} satisfies FlowResult);
    }
    if (outcome.kind === 'invalid') return this.giveUp(step);
    delete values.firstName;
    delete values.lastName;
    delete values.dateOfBirth;
    const { requestId } = outcome;
    const when = `The practice answers requests ${this.deps.requestResponseTime ?? DEFAULT_REQUEST_RESPONSE_TIME}.`;
    await say(
      step.context,
      `Thank you. I've sent your request to the practice. Your reference number is ${requestId}. ${REQUEST_WORDING[values.kind].filed} ${when} You can ask me "status of ${requestId}" at any time.`,
    );
    return step.endDialog({} satisfies FlowResult);
  }

  /** Seals and keeps a valid answer; false when the patient gave up (three unreadable answers). */
  private keep(step: WaterfallStepContext, field: 'firstName' | 'lastName' | 'dateOfBirth', answer: ReturnType<typeof readAsked>): boolean {
    if (!('value' in answer)) return false;
    (step.values as Values)[field] = this.deps.sealer.seal(answer.value);
    return true;
  }

  private async giveUp(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return unreadable(step, this.deps.isNewQuestion, "I couldn't read that.");
  }
}
