/**
 * EnrollDialog ("I have an enrollment token", "the office gave me a code to sign up"): asks for the enrollment
 * token, then last name and date of birth as a second factor, and hands them to the enrollment use case → a
 * one-time link to the create-account page. A wrong token, name or date gets one uniform failure that never
 * says which part was wrong (limited attempts are refused the same way, without being checked). A patient with
 * no token is offered an enrollment request instead (the request-enrollment flow).
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { ENROLLMENT_TOKEN_TTL_SECONDS } from '../services/tokens';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { askMenu, callerOf, followChoice, unreadable, type FlowResult, type Menu } from './flow';
import { choice, matchChoice } from './input';
import { ask, askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';

export const ENROLL_DIALOG = 'enrollDialog';
const STEPS = `${ENROLL_DIALOG}.steps`;

const ENROLLMENT_TOKEN_DAYS = ENROLLMENT_TOKEN_TTL_SECONDS / (24 * 3600);

/** The one reply for a wrong token, last name or date of birth (or an attempt over the limits). */
export const ENROLL_FAILED = `Sorry, I couldn't match those details to a valid enrollment token. Please check the token, your last name and your date of birth, and try again. Enrollment tokens work once and expire after ${ENROLLMENT_TOKEN_DAYS} days; if yours has expired, the practice can send you a new one.`;

/** Offered with the token question: a patient without one can ask the practice to enroll them instead. */
const NO_TOKEN = choice("I don't have a token", [
  'no token',
  'no enrollment token',
  "i don't have an enrollment token",
  "i don't have one",
  "don't have one",
  'no code',
  "i don't have a code",
  'none',
  'i never got one',
]);

const FAILED: Menu = [
  [CHOICES.tryAgain, 'retry'],
  [choice('Ask for a new enrollment token', ['new token', 'ask for a token', 'request a token', 'new enrollment token']), 'renew-token'],
  [CHOICES.person, 'handoff'],
];

interface Values {
  token?: string;
  lastName?: string;
}

export class EnrollDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(ENROLL_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(
      new WaterfallDialog(STEPS, [
        this.askToken.bind(this),
        this.askLastName.bind(this),
        this.askDob.bind(this),
        this.redeem.bind(this),
        this.afterFailure.bind(this),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  private async askToken(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return ask(step, {
      text: 'I can help you create your portal account with the enrollment token from the practice. Please type the token exactly as the practice gave it to you.',
      choices: [NO_TOKEN],
    });
  }

  private async askLastName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const text = (typeof step.result === 'string' ? step.result : '').trim();
    // No token after all: the practice can enroll them on request (an invitation email once staff approve).
    if (matchChoice(text, [NO_TOKEN])) return step.endDialog({ next: 'request-enrollment' } satisfies FlowResult);
    // A question instead of a token is routed as one; anything token-sized is checked later, with the rest.
    if (!text || text.length > 64 || text.split(/\s+/).length > 3) return unreadable(step, this.deps.isNewQuestion, "That didn't look like an enrollment token.");
    (step.values as Values).token = this.deps.sealer.seal(text);
    return askFor(step, 'name', { text: 'Thanks. To make sure the token is yours, what is your last name?' }, 'Please type your last name.');
  }

  private async askDob(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'name', [], this.deps.isNewQuestion);
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that name.");
    (step.values as Values).lastName = this.deps.sealer.seal(answer.value);
    return askFor(step, 'dob', { text: 'And your date of birth? Please type it as mm/dd/yyyy.' }, RETRY.dob);
  }

  private async redeem(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as Values;
    const token = this.deps.sealer.open(values.token) ?? '';
    const lastName = this.deps.sealer.open(values.lastName) ?? '';
    delete values.token;
    delete values.lastName;
    const answer = readAsked(step.result, 'dob');
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that date of birth.");
    const outcome = await this.deps.recovery.redeemEnrollmentToken({ token, lastName, dateOfBirth: answer.value }, callerOf(step.context));
    if (outcome.kind === 'failed') return askMenu(step, ENROLL_FAILED, FAILED);
    await say(
      step.context,
      `Thank you, that's right. Here is your one-time link to create your portal account: choose a username, a password and two security questions. It works once, for the next ${outcome.minutes} minutes:\n${outcome.url}`,
    );
    return step.endDialog({} satisfies FlowResult);
  }

  private async afterFailure(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return followChoice(step, FAILED, () => step.replaceDialog(STEPS));
  }
}
