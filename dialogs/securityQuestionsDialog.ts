/**
 * SecurityQuestionsDialog: reset without email by answering the account's two security questions, one at
 * a time, three tries each (the security-questions use case keeps the count, the 24-hour lock and the
 * decoys for usernames that do not exist). Both right → a one-time reset link shown in chat.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { CHOICES } from './choices';
import type { DialogDeps } from './deps';
import { askMenu, callerOf, followChoice, unreadable, type FlowResult, type Menu } from './flow';
import { matchChoice } from './input';
import { askFor, askTypedAnswer, createTextPrompt, createValidatedPrompt, readAsked, RETRY, say } from './prompts';
import { showChatResetLink } from './resetLinkReply';

export const SECURITY_QUESTIONS_DIALOG = 'securityQuestionsDialog';
const START = `${SECURITY_QUESTIONS_DIALOG}.start`;
const QUESTION = `${SECURITY_QUESTIONS_DIALOG}.question`;
const LOCKED = `${SECURITY_QUESTIONS_DIALOG}.locked`;
const OTHER_WAYS_STEPS = `${SECURITY_QUESTIONS_DIALOG}.otherWays`;

const OTHER_WAYS: Menu = [
  [CHOICES.haveToken, 'reset-by-token'],
  [CHOICES.requestToken, 'request-reset-token'],
  [CHOICES.person, 'handoff'],
];

interface QuestionOptions {
  /** Sealed username. */
  user: string;
  index: 0 | 1;
}

export class SecurityQuestionsDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
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
    if ('invalid' in answer) return unreadable(step, this.deps.isNewQuestion, "I couldn't read that username.");
    await this.deps.recovery.beginSecurityQuestions(callerOf(step.context));
    return step.replaceDialog(QUESTION, { user: this.deps.sealer.seal(answer.value), index: 0 } satisfies QuestionOptions);
  }

  private async askQuestion(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { user, index } = step.options as QuestionOptions;
    const next = await this.deps.recovery.securityQuestion(this.deps.sealer.open(user) ?? '', index, callerOf(step.context));
    if (next.kind === 'locked') return step.replaceDialog(LOCKED);
    return askTypedAnswer(step, { text: `Question ${index + 1} of 2: ${next.question}`, choices: [CHOICES.dontRemember] });
  }

  private async checkAnswer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { user, index } = step.options as QuestionOptions;
    const username = this.deps.sealer.open(user) ?? '';
    const answer = typeof step.result === 'string' ? step.result : '';
    if (matchChoice(answer, [CHOICES.dontRemember])) return step.replaceDialog(OTHER_WAYS_STEPS);

    const verdict = await this.deps.recovery.checkSecurityAnswer(
      // "talk to a person", "how do I enroll": a question, not an answer — routed, and no try counted.
      { username, index, answer, isNotAnAnswer: (text) => this.deps.isNewQuestion(text) },
      callerOf(step.context),
    );
    switch (verdict.kind) {
      case 'limited':
        await say(step.context, "Sorry, that's too many attempts for now. Please try again later, or call the practice.");
        return step.endDialog({} satisfies FlowResult);
      case 'locked':
        return step.replaceDialog(LOCKED);
      case 'not-an-answer':
        return step.endDialog({ reroute: true } satisfies FlowResult);
      case 'right':
        if (index === 0) return step.replaceDialog(QUESTION, { user, index: 1 } satisfies QuestionOptions);
        return showChatResetLink(step, await this.deps.recovery.issueChatResetLink(username, 'questions', callerOf(step.context)));
      case 'wrong': {
        const { triesLeft } = verdict;
        await say(step.context, `Sorry, that answer doesn't match. You have ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left for this question.`);
        return step.replaceDialog(QUESTION, { user, index } satisfies QuestionOptions);
      }
    }
  }
}
