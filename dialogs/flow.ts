/**
 * What every flow dialog shares: the names of the flows, what a flow returns when it ends (another flow to
 * start, or the message to route as a new question), menus of next steps, and the way out when an answer
 * cannot be read. The registry (dialogs/registry.ts) says which dialog performs each flow.
 */
import type { TurnContext } from 'botbuilder';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { sha256 } from '../services/crypto';
import { turnScopeIn, type Caller } from '../services/recovery';
import { matchChoice, type Choice } from './input';
import { ask, say } from './prompts';

/** Every flow the router can start and a flow can hand over to. `registry.ts` must map each one. */
export const FLOW_NAMES = [
  'recover-username',
  'reset-password',
  'reset-by-questions',
  'reset-by-token',
  'renew-token',
  'request-reset-token',
  'reactivate',
  'request-status',
  'contact-practice',
  'handoff',
  'enroll-with-token',
  'request-enrollment',
] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

export function isFlowName(name: string | undefined): name is FlowName {
  return (FLOW_NAMES as readonly string[]).includes(name ?? '');
}

/**
 * What a flow dialog returns: another flow to start, or `reroute` to treat this turn's message as a new
 * question. (The message itself is never carried in dialog state: it is re-read from the activity.)
 */
export interface FlowResult {
  next?: FlowName;
  /** Options for the next flow (e.g. the reason shown by contact-practice, a request reference). */
  nextOptions?: Record<string, string>;
  reroute?: boolean;
}

/** What a menu option leads to: another flow, the end of this one, or trying this one again. */
export type Outcome = FlowName | 'done' | 'retry';
/** A menu as shown: the same list is rendered and matched, so a typed number always means what it showed. */
export type Menu = Array<[Choice, Outcome]>;

export function askMenu(step: WaterfallStepContext, text: string, menu: Menu): Promise<DialogTurnResult> {
  return ask(step, { text, choices: menu.map(([c]) => c) });
}

/**
 * Ends a flow dialog with what the patient chose from `menu`: the option's flow, `done`, or (`retry`)
 * whatever `retry` does. Anything else typed is routed as a new question.
 */
export async function followChoice(step: WaterfallStepContext, menu: Menu, retry?: () => Promise<DialogTurnResult>): Promise<DialogTurnResult> {
  const chosen = matchChoice(typeof step.result === 'string' ? step.result : '', menu.map(([c]) => c));
  const outcome = menu.find(([c]) => c === chosen)?.[1];
  if (outcome === 'retry' && retry) return retry();
  if (outcome === 'done') {
    await say(step.context, 'OK. Is there anything else I can help you with?');
    return step.endDialog({} satisfies FlowResult);
  }
  if (outcome && outcome !== 'retry') return step.endDialog({ next: outcome } satisfies FlowResult);
  return step.endDialog({ reroute: true } satisfies FlowResult);
}

/**
 * When an answer could not be read even after re-asking: a patient who changed the subject gets that
 * question routed; otherwise, the practice's contact details with the reason.
 */
export async function unreadable(step: WaterfallStepContext, isNewQuestion: (text: string) => boolean, reason: string): Promise<DialogTurnResult> {
  if (isNewQuestion(step.context.activity.text ?? '')) return step.endDialog({ reroute: true } satisfies FlowResult);
  return step.endDialog({ next: 'contact-practice', nextOptions: { reason } } satisfies FlowResult);
}

/** An opaque, stable reference to this conversation for audit events and limits (never the raw id). */
export function conversationRef(context: TurnContext): string {
  return sha256(`${context.activity.channelId}/${context.activity.conversation.id}`).slice(0, 16);
}

/**
 * Who is asking, for the use cases: this conversation, this message, this channel user (a digest of
 * channel + from.id, never the raw id: the use cases key their per-user caps with an HMAC of it) and this
 * turn (its mail is held until the turn committed).
 */
export function callerOf(context: TurnContext): Caller {
  const caller: Caller = { conversationRef: conversationRef(context), requestId: context.activity.id, turn: turnScopeIn(context.turnState) ?? null };
  const from = context.activity.from?.id;
  if (from) caller.userRef = sha256(`user:${context.activity.channelId}/${from}`).slice(0, 16);
  return caller;
}
