/**
 * Sending replies and waiting for answers, shared by every dialog.
 *
 * Dialogs send channel-neutral activities: text plus the offered choices as suggested actions. The bot's
 * channel renderer (bot/render.ts) turns them into what the patient's channel shows — suggested actions on
 * Web Chat, a hero card on Teams, numbered text on SMS — as they are sent. All prompts are free-text
 * prompts: buttons only send text, so typed text, a number (SMS) and a button press arrive the same way
 * and each step decides what it means.
 */
import { ActionTypes, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import { TextPrompt, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { USERNAME_RULE } from '../services/passwords';
import { matchChoice, readAnswer, readDateOfBirth, type BotReply, type Choice, type Expect, type PromptValidations } from './input';

export const TEXT_PROMPT = 'textPrompt';
export const VALIDATED_PROMPT = 'validatedPrompt';

/** The prompt every dialog registers (`addDialog(createTextPrompt())`). */
export function createTextPrompt(): TextPrompt {
  return new TextPrompt(TEXT_PROMPT);
}

/** A reply as a channel-neutral activity: its choices become `imBack` suggested actions. */
export function replyActivity(reply: BotReply | string): Partial<Activity> {
  const r = typeof reply === 'string' ? { text: reply } : reply;
  const choices = r.choices ?? [];
  if (!choices.length) return MessageFactory.text(r.text);
  return MessageFactory.suggestedActions(
    choices.map((c) => ({ type: ActionTypes.ImBack, title: c.label, value: c.value })),
    r.text,
  );
}

/** Sends a reply (text and optional choices). */
export async function say(context: TurnContext, reply: BotReply | string): Promise<void> {
  await context.sendActivity(replyActivity(reply));
}

/** Sends a reply and waits for the patient's next message, which becomes `step.result` (a string). */
export async function ask(step: WaterfallStepContext, reply: BotReply | string): Promise<DialogTurnResult> {
  return step.prompt(TEXT_PROMPT, { prompt: replyActivity(reply) });
}

/**
 * Like `ask`, for an answer only the flow can check (a security answer): free text, whatever its words. The
 * prompt says so (`validations.typedAnswer`), so a one-word reply that only typo correction reads as an emergency
 * word gets the emergency answer and still reaches the flow (routing.ts, `typedAnswerKeepsFlow`).
 */
export async function askTypedAnswer(step: WaterfallStepContext, reply: BotReply): Promise<DialogTurnResult> {
  return step.prompt(TEXT_PROMPT, { prompt: replyActivity(reply), validations: { typedAnswer: true, choices: reply.choices ?? [] } satisfies PromptValidations });
}

/** Re-ask wording shared by every dialog that asks for the same kind of answer. */
export const RETRY = {
  username: `Usernames are ${USERNAME_RULE.summary}. Please type yours.`,
  dob: "That isn't a date I can use. Please type your date of birth as mm/dd/yyyy, for example 01/31/1985.",
  /** A two-digit year is never guessed: asked again, without repeating the date. */
  fourDigitYear: 'Please type the year with all four digits, for example 01/31/1985.',
};

/** A validated prompt's options always name the kind of value. */
type Validations = PromptValidations & { expect: Expect };

/**
 * The prompt behind `askFor`: accepts an offered choice or a valid answer, and hands over (without
 * re-asking) text that is really a new question; re-asks anything else, three times at most.
 */
export function createValidatedPrompt(isNewQuestion: (text: string) => boolean = () => false): TextPrompt {
  return new TextPrompt(VALIDATED_PROMPT, async (pc) => {
    const { expect, choices } = (pc.options.validations ?? { expect: 'name', choices: [] }) as Validations;
    const text = pc.recognized.value ?? '';
    if (matchChoice(text, choices) || readAnswer(expect, text) !== null || isNewQuestion(text)) return true;
    const date = expect === 'dob' ? readDateOfBirth(text) : null;
    if (date && 'twoDigitYear' in date) {
      pc.options.retryPrompt = replyActivity({ text: RETRY.fourDigitYear, choices });
    }
    return pc.attemptCount >= 3; // after three tries the step decides (usually: offer help)
  });
}

/** Result of `askFor`, as read by the next step with `readAsked`. */
export type Asked = { choice: Choice } | { value: string } | { invalid: true };

/** Asks for an answer of a kind (email, date of birth…), with optional choices, re-asking with `retry`. */
export async function askFor(step: WaterfallStepContext, expect: Expect, reply: BotReply, retry: string): Promise<DialogTurnResult> {
  const choices = reply.choices ?? [];
  return step.prompt(VALIDATED_PROMPT, {
    prompt: replyActivity(reply),
    retryPrompt: replyActivity({ text: retry, choices }),
    validations: { expect, choices } satisfies Validations,
  });
}

/**
 * Reads what the patient answered to `askFor`. With `isNewQuestion`, a several-word "name" that is really
 * a question ("talk to a person") is not taken as a name: it comes back invalid, so the step routes it.
 */
export function readAsked(result: unknown, expect: Expect, choices: Choice[] = [], isNewQuestion?: (text: string) => boolean): Asked {
  const text = typeof result === 'string' ? result : '';
  const chosen = matchChoice(text, choices);
  if (chosen) return { choice: chosen };
  if (expect === 'name' && isNewQuestion && text.trim().split(/\s+/).length >= 2 && isNewQuestion(text)) return { invalid: true };
  const value = readAnswer(expect, text);
  return value === null ? { invalid: true } : { value };
}
