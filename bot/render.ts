/**
 * Channel rendering: the one place that decides cards vs suggested actions vs numbered SMS text.
 *
 * Dialogs describe a reply as plain data (`BotReply`: text plus optional choices); `renderReply` turns it
 * into activities for the channel the patient is on. Typed text always works in place of a button:
 * every choice's `value` is what a button sends, and `matchChoice` accepts the number, the value or the label.
 */
import { CardFactory, MessageFactory, type Activity, type CardAction } from 'botbuilder';

export interface Choice {
  /** What the button shows (and what an SMS list shows). */
  label: string;
  /** What a button press sends back as text; typed text is matched against it too. */
  value: string;
  /** Other words a patient may type for this choice. */
  synonyms?: string[];
}

export interface BotReply {
  text: string;
  choices?: Choice[];
}

/** SMS carriers concatenate at most ~10 segments; Twilio refuses bodies over 1,600 characters. */
export const SMS_MAX_LENGTH = 1600;
/** Teams hero cards show at most 3 buttons comfortably. */
export const TEAMS_MAX_ACTIONS = 3;

export type ChannelKind = 'sms' | 'msteams' | 'rich';

export function channelKind(channelId: string | undefined): ChannelKind {
  if (channelId === 'sms') return 'sms';
  if (channelId === 'msteams') return 'msteams';
  return 'rich';
}

/** Splits text into parts of at most `max` characters, preferring paragraph, line, then word breaks. */
export function splitText(text: string, max = SMS_MAX_LENGTH): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'));
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut < max / 2) cut = max;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Renders one reply for the channel. Returns one or more activities to send in order. */
export function renderReply(channelId: string | undefined, reply: BotReply): Partial<Activity>[] {
  const choices = reply.choices ?? [];
  switch (channelKind(channelId)) {
    case 'sms': {
      // A yes/no question reads "Reply YES or NO", so it never clashes with a numbered list in the answer.
      const yesNo = choices.length === 2 && choices[0].label === 'Yes' && choices[1].label === 'No';
      const list = yesNo ? 'Reply YES or NO' : choices.map((c, i) => `Reply ${i + 1} for ${c.label}`).join('\n');
      // With "Reply 1 for …" below, a numbered list inside the text would be ambiguous: make it bullets.
      const body = choices.length ? reply.text.replace(/^(\s*)\d{1,2}[.:)]\s+/gm, '$1- ') : reply.text;
      const full = list ? `${body}\n\n${list}` : body;
      return splitText(full).map((part) => MessageFactory.text(part));
    }
    case 'msteams': {
      if (choices.length === 0) return [MessageFactory.text(reply.text)];
      const shown = choices.slice(0, TEAMS_MAX_ACTIONS);
      const more = choices.slice(TEAMS_MAX_ACTIONS);
      const text = more.length ? `${reply.text}\n\nYou can also type: ${more.map((c) => c.label).join(', ')}` : reply.text;
      const buttons: CardAction[] = shown.map((c) => ({ type: 'imBack', title: c.label, value: c.value }));
      return [MessageFactory.attachment(CardFactory.heroCard('', text, undefined, buttons))];
    }
    default: {
      if (choices.length === 0) return [MessageFactory.text(reply.text)];
      const activity = MessageFactory.suggestedActions(
        choices.map((c) => ({ type: 'imBack', title: c.label, value: c.value })),
        reply.text,
      );
      return [activity];
    }
  }
}

/**
 * Folds typed text for comparing with choices: lower case, no accents, apostrophes dropped (so "dont",
 * "don't" and "don’t" agree), other punctuation as spaces.
 */
export function foldTyped(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9? ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Maps what the patient typed to one of the offered choices: a number ("2", "#2", "option 2"), the
 * button value, the label, or a synonym. Returns undefined when it is not a choice (then the text is
 * treated as a new question).
 */
export function matchChoice<T extends Choice>(text: string, choices: T[]): T | undefined {
  const t = foldTyped(text).replace(/\?/g, '').trim();
  if (!t) return undefined;
  const num = /^(?:option |number |no |reply )?(\d{1,2})$/.exec(t);
  if (num) return choices[Number(num[1]) - 1];
  return choices.find((c) => [c.value, c.label, ...(c.synonyms ?? [])].some((s) => foldTyped(s).replace(/\?/g, '').trim() === t));
}
