/**
 * SMS carrier keywords (CTIA / US carrier rules, which Twilio also applies at its edge), handled before the
 * conversation sees the message.
 *
 * The rule: a message that is *only* a keyword (any case, surrounding spaces and punctuation ignored) is the
 * keyword — whatever is in progress.
 * - STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT → the number is opted out (a keyed hash
 *   is recorded, services/channels/optOut.ts: nothing proactive is sent to it again), any flow in progress
 *   is cancelled, and the patient is told both and how to opt back in. The carrier has already blocked
 *   further texts to the number, so a bare "stop" or "cancel" can only mean this: to leave a flow without
 *   opting out on SMS, text "start over".
 * - START, UNSTOP → opted back in (a flow in progress is left as it was).
 * - HELP, INFO → who we are, phone, hours, "Msg & data rates may apply", "Reply STOP to opt out" (a flow in
 *   progress is left as it was; "help" inside a sentence still goes to the conversation).
 * Anything longer ("stop this", "I want to cancel") goes to the conversation, where "cancel", "stop" and
 * "start over" end a flow as on every channel.
 */
import type { TurnContext } from 'botbuilder';
import type { OptOutStore } from '../services/channels/optOut';
import type { Logger } from '../services/logger';
import type { Config } from '../services/config';

export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP'] as const;
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type SmsKeyword = 'opt-out' | 'opt-in' | 'help';

/** The keyword a message is, or null: only a bare keyword counts ("STOP", " stop. ", "Stop!"). */
export function smsKeyword(text: string | undefined): SmsKeyword | null {
  const word = (text ?? '').trim().replace(/^[\s.!?,;:'"-]+|[\s.!?,;:'"-]+$/g, '').toUpperCase();
  if ((OPT_OUT_KEYWORDS as readonly string[]).includes(word)) return 'opt-out';
  if ((OPT_IN_KEYWORDS as readonly string[]).includes(word)) return 'opt-in';
  if ((HELP_KEYWORDS as readonly string[]).includes(word)) return 'help';
  return null;
}

export interface SmsKeywordDeps {
  optOuts: OptOutStore;
  practice: Config['practice'];
  logger: Logger;
  /** Cancels whatever flow the conversation is in (dialogs/conversation.ts `cancel`). */
  cancelFlow(context: TurnContext): Promise<boolean>;
}

/** The replies, fixed text (GSM-7 already; rendered for SMS like every reply). */
export function smsReplies(practice: Config['practice']) {
  return {
    optOut: (cancelled: boolean) =>
      `You are unsubscribed from ${practice.name} portal help texts and will get no more messages from us.${cancelled ? ' What we were doing has been cancelled.' : ''} Reply START to opt back in.`,
    optIn: `You are opted back in to ${practice.name} portal help texts. Ask your question any time. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`,
    help: `${practice.name} patient portal help. Call ${practice.phone} (${practice.hours.text}). Msg & data rates may apply. Reply STOP to opt out.`,
  };
}

/**
 * Handles a bare carrier keyword on SMS; returns true when the message was one (the conversation must then
 * not see it). Call inside the turn lock, so cancelling the flow is saved with the turn.
 */
export async function handleSmsKeyword(context: TurnContext, deps: SmsKeywordDeps): Promise<boolean> {
  const keyword = smsKeyword(context.activity.text);
  if (!keyword) return false;
  const userId = context.activity.from?.id;
  const replies = smsReplies(deps.practice);
  if (!userId) return false;
  switch (keyword) {
    case 'opt-out': {
      await deps.optOuts.optOut(userId);
      const cancelled = await deps.cancelFlow(context);
      deps.logger.info({ event: 'sms-opt-out', cancelled }, 'sms opt-out recorded');
      await context.sendActivity(replies.optOut(cancelled));
      return true;
    }
    case 'opt-in':
      await deps.optOuts.optIn(userId);
      deps.logger.info({ event: 'sms-opt-in' }, 'sms opt-out lifted');
      await context.sendActivity(replies.optIn);
      return true;
    case 'help':
      await context.sendActivity(replies.help);
      return true;
  }
}
