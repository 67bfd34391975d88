/**
 * Prompt helpers shared by every dialog: send a reply rendered for the patient's channel and wait for
 * whatever they type next. All prompts are free-text prompts: buttons only send text, so typed text,
 * a number (SMS) and a button press all arrive the same way and each step decides what it means.
 */
import type { Activity, TurnContext } from 'botbuilder';
import { z } from 'zod';
import { TextPrompt, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { foldTyped, matchChoice, renderReply, type BotReply, type Choice } from '../bot/render';
import { normaliseTypedToken, PRACTICE_TOKEN_LENGTH, TYPABLE_ALPHABET } from '../services/tokens';

export const TEXT_PROMPT = 'textPrompt';

/** The prompt every dialog registers (`addDialog(new TextPrompt(TEXT_PROMPT))`). */
export function createTextPrompt(): TextPrompt {
  return new TextPrompt(TEXT_PROMPT);
}

/** Sends a reply (text and optional choices) rendered for the channel. */
export async function say(context: TurnContext, reply: BotReply | string): Promise<void> {
  const r = typeof reply === 'string' ? { text: reply } : reply;
  await context.sendActivities(renderReply(context.activity.channelId, r));
}

/** Sends a reply and waits for the patient's next message, which becomes `step.result` (a string). */
export async function ask(step: WaterfallStepContext, reply: BotReply | string): Promise<DialogTurnResult> {
  const prompt = await sendAllButLast(step, typeof reply === 'string' ? { text: reply } : reply);
  return step.prompt(TEXT_PROMPT, { prompt, retryPrompt: prompt });
}

/** Renders a reply, sends all but its last part (a long SMS), and returns the last part to prompt with. */
async function sendAllButLast(step: WaterfallStepContext, reply: BotReply): Promise<Partial<Activity> | undefined> {
  const activities = renderReply(step.context.activity.channelId, reply);
  const last = activities.pop();
  if (activities.length) await step.context.sendActivities(activities);
  return last;
}

export const YES_NO: Choice[] = [
  { label: 'Yes', value: 'Yes', synonyms: ['y', 'yes please', 'yeah', 'yep', 'sure', 'ok', 'okay', 'please'] },
  { label: 'No', value: 'No', synonyms: ['n', 'no thanks', 'nope', 'nah', 'not now'] },
];

const YES_WORDS = new Set(['yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'sure', 'ok', 'okay', 'k', 'please', 'pls', 'plz', 'absolutely', 'definitely']);
const NO_WORDS = new Set(['no', 'n', 'nope', 'nah', 'not']);
const FILLER = new Set(['please', 'pls', 'plz', 'thanks', 'thank', 'you', 'thx', 'sure', 'ok', 'okay', 'that', 'would', 'be', 'great', 'good', 'i', 'do', 'dont', 'now', 'not', 'yet', 'right', 'lets', 'go', 'it', 'is', 'fine']);

/**
 * Reads a yes/no answer ("yes please", "sure", "nope", "no thanks"); undefined when the message says more
 * than that ("no I dont have an email", "ok so how do I enroll?"), so the caller routes the whole text.
 */
export function recogniseYesNo(text: unknown): 'yes' | 'no' | undefined {
  if (typeof text !== 'string') return undefined;
  const words = foldTyped(text).replace(/\?/g, '').split(' ').filter(Boolean);
  const [first, ...rest] = words;
  if (!first || !rest.every((w) => FILLER.has(w))) return undefined;
  if (YES_WORDS.has(first)) return 'yes';
  if (NO_WORDS.has(first)) return 'no';
  return undefined;
}

/** Re-ask wording shared by every dialog that asks for the same kind of answer. */
export const RETRY = {
  username: 'Usernames are 6 to 50 characters with no spaces. Please type yours.',
  dob: "That isn't a date I can use. Please type your date of birth as mm/dd/yyyy, for example 01/31/1985.",
};

/** What a validated prompt expects; anything else is re-asked (up to three times). */
export type Expect = 'email' | 'dob' | 'username' | 'login' | 'name' | 'contact' | 'token';

export const VALIDATED_PROMPT = 'validatedPrompt';

interface Validations {
  expect: Expect;
  choices: Choice[];
}

/** The same rules the services apply (zod's email; the request queue's phone pattern), so nothing accepted here is refused later. */
const EMAIL = z.email().max(254);
const PHONE = /^[0-9+()\-. ]{7,40}$/;
const isEmail = (t: string) => EMAIL.safeParse(t).success;
const USERNAME = /^\S{6,50}$/;

/** Reads mm/dd/yyyy (also m/d/yyyy, dashes or dots) into `YYYY-MM-DD`; null when it is not a real past date. */
export function parseDateOfBirth(text: string, today = new Date()): string | null {
  const m = /^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [mo, d, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  const iso = `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (y < 1900 || iso > today.toISOString().slice(0, 10)) return null;
  return iso;
}

/** Normalises a typed answer of the expected kind, or returns null when it is not one. */
export function readAnswer(expect: Expect, text: string): string | null {
  const t = text.trim();
  switch (expect) {
    case 'email':
      return isEmail(t) ? t.toLowerCase() : null;
    case 'dob':
      return parseDateOfBirth(t);
    case 'username':
      return USERNAME.test(t) ? t : null;
    case 'login':
      return isEmail(t) || USERNAME.test(t) ? t : null;
    case 'name':
      // A name is a few words of letters; a sentence is not a name.
      return /^[\p{L}][\p{L}\p{M}'’ .-]{0,99}$/u.test(t) && t.split(/\s+/).length <= 4 ? t.replace(/\s+/g, ' ') : null;
    case 'contact':
      if (isEmail(t)) return t.toLowerCase();
      return PHONE.test(t) && t.replace(/\D/g, '').length >= 7 ? t : null;
    case 'token': {
      const typed = normaliseTypedToken(t);
      return typed.length === PRACTICE_TOKEN_LENGTH && [...typed].every((c) => TYPABLE_ALPHABET.includes(c)) ? t : null;
    }
    default:
      return null;
  }
}

/**
 * The prompt behind `askFor`: accepts an offered choice or a valid answer, and hands over (without
 * re-asking) text that is really a new question; re-asks anything else, three times at most.
 */
export function createValidatedPrompt(isNewQuestion: (text: string) => boolean = () => false): TextPrompt {
  return new TextPrompt(VALIDATED_PROMPT, async (pc) => {
    const { expect, choices } = (pc.options.validations ?? { expect: 'name', choices: [] }) as Validations;
    const text = pc.recognized.value ?? '';
    if (matchChoice(text, choices) || readAnswer(expect, text) !== null || isNewQuestion(text)) return true;
    return pc.attemptCount >= 3; // after three tries the step decides (usually: offer help)
  });
}

/** Result of `askFor`, as read by the next step with `readAsked`. */
export type Asked = { choice: Choice } | { value: string } | { invalid: true };

/** Asks for an answer of a kind (email, date of birth…), with optional choices, re-asking with `retry`. */
export async function askFor(
  step: WaterfallStepContext,
  expect: Expect,
  reply: BotReply,
  retry: string,
): Promise<DialogTurnResult> {
  const choices = reply.choices ?? [];
  const prompt = await sendAllButLast(step, reply);
  const [retryPrompt] = renderReply(step.context.activity.channelId, { text: retry, choices });
  return step.prompt(VALIDATED_PROMPT, { prompt, retryPrompt, validations: { expect, choices } satisfies Validations });
}

/**
 * Reads what the patient answered to `askFor`. With `isNewQuestion`, a several-word "name" that is really
 * a question ("talk to a person") is not taken as a name: it comes back invalid, so the step routes it.
 */
export function readAsked(result: unknown, expect: Expect, choices: Choice[] = [], isNewQuestion?: (text: string) => boolean): Asked {
  const text = typeof result === 'string' ? result : '';
  const choice = matchChoice(text, choices);
  if (choice) return { choice };
  if (expect === 'name' && isNewQuestion && text.trim().split(/\s+/).length >= 2 && isNewQuestion(text)) return { invalid: true };
  const value = readAnswer(expect, text);
  return value === null ? { invalid: true } : { value };
}
