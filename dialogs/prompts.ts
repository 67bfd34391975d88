/**
 * Prompt helpers shared by every dialog: send a reply rendered for the patient's channel and wait for
 * whatever they type next. All prompts are free-text prompts: buttons only send text, so typed text,
 * a number (SMS) and a button press all arrive the same way and each step decides what it means.
 */
import type { TurnContext } from 'botbuilder';
import { TextPrompt, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { renderReply, type BotReply, type Choice } from '../bot/render';

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
  const r = typeof reply === 'string' ? { text: reply } : reply;
  const activities = renderReply(step.context.activity.channelId, r);
  const last = activities.pop();
  if (activities.length) await step.context.sendActivities(activities);
  return step.prompt(TEXT_PROMPT, { prompt: last, retryPrompt: last });
}

export const YES_NO: Choice[] = [
  { label: 'Yes', value: 'Yes', synonyms: ['y', 'yes please', 'yeah', 'yep', 'sure', 'ok', 'okay', 'please'] },
  { label: 'No', value: 'No', synonyms: ['n', 'no thanks', 'nope', 'nah', 'not now'] },
];

/** Reads a yes/no answer from free text ("yes please", "sure thing", "nope"); undefined if neither. */
export function recogniseYesNo(text: unknown): 'yes' | 'no' | undefined {
  if (typeof text !== 'string') return undefined;
  const t = text.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').trim();
  if (t === '1') return 'yes';
  if (t === '2') return 'no';
  const first = t.split(/\s+/)[0] ?? '';
  if (['yes', 'y', 'yeah', 'yea', 'yep', 'yup', 'sure', 'ok', 'okay', 'k', 'please', 'pls', 'plz', 'absolutely', 'definitely'].includes(first)) return 'yes';
  if (['no', 'n', 'nope', 'nah', 'not'].includes(first)) return 'no';
  return undefined;
}
