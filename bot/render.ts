/**
 * Channel rendering: the one place that decides cards vs suggested actions vs numbered SMS text.
 *
 * Dialogs send channel-neutral activities (text plus `imBack` suggested actions, see dialogs/prompts.ts);
 * `renderActivity` redraws each outgoing message for the channel the patient is on, as it is sent
 * (`useChannelRendering` hooks it into a turn):
 * - Web Chat and other rich channels: unchanged (suggested actions);
 * - Teams: a hero card with at most 3 buttons, the rest named in the text;
 * - SMS: plain text with "Reply 1 for …" (or "Reply YES or NO"), GSM-7 characters only (bot/gsm7.ts), split at 459 characters (3 segments).
 */
import { ActionTypes, CardFactory, type Activity, type CardAction, type TurnContext } from 'botbuilder';
import { toGsm7 } from './gsm7';

/** One SMS reply fits a phone: at most 3 concatenated GSM-7 segments (3 × 153 characters). */
export const SMS_MAX_LENGTH = 459;
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

/** The offered choices of a neutral activity: its `imBack` suggested actions. */
function choicesOf(activity: Partial<Activity>): Array<{ title: string; value: string }> {
  return (activity.suggestedActions?.actions ?? [])
    .filter((a) => a.type === ActionTypes.ImBack)
    .map((a) => ({ title: a.title ?? String(a.value), value: String(a.value) }));
}

/** Renders one outgoing activity for the channel; returns the activities to send in its place, in order. */
export function renderActivity(channelId: string | undefined, activity: Partial<Activity>): Partial<Activity>[] {
  if ((activity.type ?? 'message') !== 'message') return [activity];
  const choices = choicesOf(activity);
  const text = activity.text ?? '';
  const { suggestedActions: _dropped, ...rest } = activity;
  switch (channelKind(channelId)) {
    case 'sms': {
      // A yes/no question reads "Reply YES or NO", so it never clashes with a numbered list in the answer.
      const yesNo = choices.length === 2 && choices[0].title === 'Yes' && choices[1].title === 'No';
      const list = yesNo ? 'Reply YES or NO' : choices.map((c, i) => `Reply ${i + 1} for ${c.title}`).join('\n');
      // With "Reply 1 for …" below, a numbered list inside the text would be ambiguous: make it bullets.
      const body = choices.length ? text.replace(/^(\s*)\d{1,2}[.:)]\s+/gm, '$1- ') : text;
      // GSM-7 only (bot/gsm7.ts): one non-GSM character would make every segment UCS-2 (70 characters).
      const full = toGsm7(list ? `${body}\n\n${list}` : body);
      return splitText(full).map((part) => ({ ...rest, type: 'message', text: part }));
    }
    case 'msteams': {
      if (choices.length === 0) return [activity];
      const shown = choices.slice(0, TEAMS_MAX_ACTIONS);
      const more = choices.slice(TEAMS_MAX_ACTIONS);
      const cardText = more.length ? `${text}\n\nYou can also type: ${more.map((c) => c.title).join(', ')}` : text;
      const buttons: CardAction[] = shown.map((c) => ({ type: ActionTypes.ImBack, title: c.title, value: c.value }));
      const { text: _text, ...withoutText } = rest;
      return [{ ...withoutText, type: 'message', attachments: [CardFactory.heroCard('', cardText, undefined, buttons)] }];
    }
    default:
      return [activity];
  }
}

/** Renders every message this turn sends for the turn's channel, just before it goes out. */
export function useChannelRendering(context: TurnContext): void {
  context.onSendActivities(async (ctx, activities, next) => {
    const rendered = activities.flatMap((a) => renderActivity(ctx.activity.channelId, a));
    activities.splice(0, activities.length, ...rendered);
    return next();
  });
}
