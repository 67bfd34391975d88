/**
 * PracticeTokenDialog ("I have my password reset token"): asks for the username and the reset token the
 * practice issued and hands them to the practice-token use case → a one-time reset link in chat. A wrong
 * pair gets one uniform failure (limited attempts are refused the same way, without being checked).
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { askMenu, callerOf, followChoice, unreadable, type Menu } from './flow';
import { UNIFORM } from './messages';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY } from './prompts';
import { showChatResetLink } from './resetLinkReply';

export const PRACTICE_TOKEN_DIALOG = 'practiceTokenDialog';
const STEPS = `${PRACTICE_TOKEN_DIALOG}.steps`;

const FAILED: Menu = [
  [CHOICES.tryAgain, 'retry'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];

export class PracticeTokenDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(PRACTICE_TOKEN_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(
      new WaterfallDialog(STEPS, [this.askUsername.bind(this), this.askToken.bind(this), this.redeem.bind(this), this.afterFailure.bind(this)]),
    );
    this.initialDialogId = STEPS;
  }

  private async askUsername(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(step, 'username', { text: 'To use the password reset token from the practice, first type your portal username.' }, RETRY.username);
  }

  private async askToken(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'username');
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that username.");
    (step.values as { user?: string }).user = this.deps.sealer.seal(answer.value);
    return askFor(
      step,
      'token',
      { text: 'Now type the reset token the practice gave you.' },
      'That does not look like a reset token. Please type it exactly as the practice gave it to you.',
    );
  }

  private async redeem(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as { user?: string };
    const username = this.deps.sealer.open(values.user) ?? '';
    delete values.user;
    const answer = readAsked(step.result, 'token');
    // Not a token at all (a question, or three unreadable tries): route it, without spending any attempt.
    if (!('value' in answer)) return unreadable(step, this.deps.isNewQuestion, "That didn't look like a reset token.");
    const outcome = await this.deps.recovery.redeemPracticeToken({ username, token: answer.value }, callerOf(step.context));
    if (outcome.kind === 'failed') return askMenu(step, UNIFORM.practiceTokenFailed, FAILED);
    return showChatResetLink(step, outcome);
  }

  private async afterFailure(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return followChoice(step, FAILED, () => step.replaceDialog(STEPS));
  }
}
