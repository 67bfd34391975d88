/**
 * SecurityQuestionsDialog: reset without email by answering the account's two security questions, one
 * at a time, three tries each. Both right → a one-time reset link (10 minutes) shown in chat. A third
 * wrong answer locks this path (only this path) for that account for 24 hours; the lock is checked
 * before every question and every answer, so a second conversation cannot keep guessing.
 *
 * A username that does not exist gets two decoy questions picked from it with a keyed hash (from the same
 * pool real accounts must use), and the same tries and lock, so the chat never reveals whether it exists.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import {
  CHOICES,
  conversationRef,
  decoyQuestions,
  askMenu,
  followChoice,
  showChatResetLink,
  unreadable,
  withinLimits,
  type AccountDeps,
  type FlowResult,
  type Menu,
} from './accountKit';
import { matchChoice } from '../bot/render';
import { ask, askFor, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';

export const SECURITY_QUESTIONS_DIALOG = 'securityQuestionsDialog';
const START = `${SECURITY_QUESTIONS_DIALOG}.start`;
const QUESTION = `${SECURITY_QUESTIONS_DIALOG}.question`;
const LOCKED = `${SECURITY_QUESTIONS_DIALOG}.locked`;

const OTHER_WAYS: Menu = [
  [CHOICES.haveToken, 'reset-by-token'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];
const OTHER_WAYS_STEPS = `${SECURITY_QUESTIONS_DIALOG}.otherWays`;

interface QuestionOptions {
  /** Sealed username. */
  user: string;
  index: 0 | 1;
}

export class SecurityQuestionsDialog extends ComponentDialog {
  constructor(private readonly deps: AccountDeps) {
    super(SECURITY_QUESTIONS_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(new WaterfallDialog(START, [this.askUsername.bind(this), this.startQuestions.bind(this)]));
    this.addDialog(new WaterfallDialog(QUESTION, [this.askQuestion.bind(this), this.checkAnswer.bind(this)]));
    this.addDialog(
      new WaterfallDialog(LOCKED, [
        (step) =>
          askMenu(
            step,
            'For your security, resetting with security questions is paused for this account for 24 hours. You can still reset your password with a token from the practice, or talk to a person.',
            OTHER_WAYS,
          ),
        (step) => followChoice(step, OTHER_WAYS),
      ]),
    );
    this.addDialog(
      new WaterfallDialog(OTHER_WAYS_STEPS, [
        (step) => askMenu(step, 'No problem. You can reset your password with a token from the practice instead, or talk to a person.', OTHER_WAYS),
        (step) => followChoice(step, OTHER_WAYS),
      ]),
    );
    this.initialDialogId = START;
  }

  private async askUsername(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return askFor(
      step,
      'username',
      { text: "Let's check your security questions. What is your portal username?", choices: [CHOICES.forgotUsername] },
      RETRY.username,
    );
  }

  private async startQuestions(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'username', [CHOICES.forgotUsername]);
    if ('choice' in answer) return step.endDialog({ next: 'recover-username' } satisfies FlowResult);
    if ('invalid' in answer) return unreadable(step, this.deps, "I couldn't read that username.");
    await this.deps.audit.record({ type: 'reset-requested', conversationRef: conversationRef(step.context), detail: { via: 'questions' } });
    return step.replaceDialog(QUESTION, { user: this.deps.sealer.seal(answer.value), index: 0 } satisfies QuestionOptions);
  }

  private async askQuestion(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { user, index } = step.options as QuestionOptions;
    const username = this.deps.sealer.open(user) ?? '';
    if (await this.deps.securityLock.isLocked(username)) return step.replaceDialog(LOCKED);
    const questions = (await this.deps.directory.getSecurityQuestions(username)) ?? decoyQuestions(this.deps.serverSecret, username);
    return ask(step, { text: `Question ${index + 1} of 2: ${questions[index]}`, choices: [CHOICES.dontRemember] });
  }

  private async checkAnswer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { user, index } = step.options as QuestionOptions;
    const username = this.deps.sealer.open(user) ?? '';
    const answer = typeof step.result === 'string' ? step.result : '';
    const ref = conversationRef(step.context);
    const accountRef = this.deps.audit.accountRef(username);
    if (matchChoice(answer, [CHOICES.dontRemember])) return step.replaceDialog(OTHER_WAYS_STEPS);

    if (!(await withinLimits(this.deps, [['perConversation', ref]], { conversationRef: ref, accountRef, flow: 'security-questions' }))) {
      await say(step.context, "Sorry, that's too many attempts for now. Please try again later, or call the practice.");
      return step.endDialog({} satisfies FlowResult);
    }

    // One check at a time per account (across conversations and instances), and never once it is locked.
    const verdict = await this.deps.accountLock.withLock(accountRef, async () => {
      if (await this.deps.securityLock.isLocked(username)) return 'locked' as const;
      if (await this.deps.directory.verifySecurityAnswer(username, index, answer)) {
        await this.deps.securityLock.reset(username, index);
        return 'right' as const;
      }
      // "talk to a person", "how do I enroll": a question, not an answer — route it, and count no try.
      if (this.deps.isNewQuestion(answer)) return 'question' as const;
      return this.deps.securityLock.recordFailure(username, index);
    });

    if (verdict === 'locked') return step.replaceDialog(LOCKED);
    if (verdict === 'question') return step.endDialog({ reroute: true } satisfies FlowResult);
    if (verdict === 'right') {
      if (index === 0) return step.replaceDialog(QUESTION, { user, index: 1 } satisfies QuestionOptions);
      return showChatResetLink(this.deps, step, username, 'questions');
    }
    const { triesLeft, locked } = verdict;
    await this.deps.audit.record({ type: 'security-answer-failed', accountRef, conversationRef: ref, detail: { question: index + 1, triesLeft } });
    if (locked) {
      await this.deps.audit.record({ type: 'security-path-locked', accountRef, conversationRef: ref });
      return step.replaceDialog(LOCKED);
    }
    await say(step.context, `Sorry, that answer doesn't match. You have ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left for this question.`);
    return step.replaceDialog(QUESTION, { user, index } satisfies QuestionOptions);
  }
}
