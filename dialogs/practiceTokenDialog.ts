/**
 * PracticeTokenDialog ("I have my password reset token"): the username plus the reset token the practice
 * issued → a one-time reset link in chat. A wrong pair gets one uniform failure; attempts are limited per
 * account and per conversation, and a limited attempt gets the same failure without being checked.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import {
  accountLimitKey,
  CHOICES,
  conversationRef,
  askMenu,
  followChoice,
  showChatResetLink,
  UNIFORM,
  unreadable,
  withinLimits,
  type AccountDeps,
  type Menu,
} from './accountKit';
import { askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY } from './prompts';

export const PRACTICE_TOKEN_DIALOG = 'practiceTokenDialog';
const STEPS = `${PRACTICE_TOKEN_DIALOG}.steps`;

const FAILED: Menu = [
  [CHOICES.tryAgain, 'retry'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];

export class PracticeTokenDialog extends ComponentDialog {
  constructor(private readonly deps: AccountDeps) {
    super(PRACTICE_TOKEN_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(
      new WaterfallDialog(STEPS, [this.askUsername.bind(this), this.askToken.bind(this), this.redeem.bind(this), this.afterFailure.bind(this)]),
    );
    this.initialDialogId = STEPS;
  }

  private async askUsername(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'username',
      { text: 'To use the password reset token from the practice, first type your portal username.' },
      RETRY.username,
    );
  }

  private async askToken(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'username');
    if (!('value' in answer)) return unreadable(step, this.deps, "I couldn't read that username.");
    (step.values as { user?: string }).user = this.deps.sealer.seal(answer.value);
    return askFor(step, 'token', { text: 'Now type the reset token the practice gave you.' }, 'That does not look like a reset token. Please type it exactly as the practice gave it to you.');
  }

  private async redeem(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as { user?: string };
    const username = this.deps.sealer.open(values.user) ?? '';
    delete values.user;
    const answer = readAsked(step.result, 'token');
    // Not a token at all (a question, or three unreadable tries): route it, without spending any attempt.
    if (!('value' in answer)) return unreadable(step, this.deps, "That didn't look like a reset token.");
    const ref = conversationRef(step.context);
    const accountRef = this.deps.audit.accountRef(username);

    const allowed = await withinLimits(
      this.deps,
      [
        ['practiceTokenPerConversation', ref],
        ['perAccount', accountLimitKey(this.deps.serverSecret, username)],
      ],
      { conversationRef: ref, accountRef, flow: 'practice-token' },
    );
    const ok = allowed && (await this.deps.tokens.redeemPracticeResetToken(username, answer.value));
    if (!ok) {
      if (allowed) await this.deps.audit.record({ type: 'practice-token-failed', accountRef, conversationRef: ref });
      return askMenu(step, UNIFORM.practiceTokenFailed, FAILED);
    }
    await this.deps.audit.record({ type: 'practice-token-used', accountRef, conversationRef: ref });
    return showChatResetLink(this.deps, step, username, 'practice-token');
  }

  private async afterFailure(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return followChoice(step, FAILED, () => step.replaceDialog(STEPS));
  }
}
