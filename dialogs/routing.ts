/**
 * Routing: where each patient message goes. The one home of every routing rule, applied in this order:
 *
 *   1. Emergency wording → the emergency answer, first, at any point (a flow in progress stops); a one-word
 *      name or security answer that is an emergency word only after typo correction also goes on to the flow.
 *   2. A flow is waiting for an answer (on the dialog stack):
 *        "cancel" / "start over" / "stop" …  → stop it, show the menu;
 *        "help" inside a flow               → explain and ask the question again;
 *        a side question inside a flow      → answer it, then ask the flow's question again, keeping what
 *          ("do I need an email to sign up?")   the flow already has ("Now, back to your token request: …");
 *                                               "talk to a person" → the practice's contact, and the offer to carry on;
 *        anything else                      → the waiting dialog reads it (a flow may hand it back: step 3).
 *   2b. An offer is pending (the menu, "did you mean", "would you like me to…": kept in the session, no dialog):
 *        "cancel" …                         → show the menu again;
 *        anything else                      → MainDialog's `followUp`: the offered flow, the entry chosen, "no
 *                                               problem", or (not an answer to the offer) step 3.
 *   3. Nothing waiting (or the text was handed back), in MainDialog's `route`:
 *        a request reference / "status of my request" → request-status flow;
 *        "I have an enrollment token" / "the office gave me a code to sign up" → enroll-with-token flow;
 *        "I have my (password) reset token"           → reset-by-token flow;
 *        "thanks", "bye"                              → a closing reply;
 *        otherwise the FAQ matcher decides: answer (and offer the entry's action) / "did you mean" / don't know.
 *
 * Emergencies are recognised once (step 1) by the matcher's emergency patterns; a typed answer that is
 * really a new question is recognised by `isNewQuestion`, also here.
 */
import type { DialogContext, DialogState } from 'botbuilder-dialogs';
import type { Decision } from '../knowledge/matcher';
import { isFlowName, type FlowName } from './flow';
import { matchChoice, readAnswer, type PromptValidations } from './input';
import { parseRequestId } from '../services/requests';
import { foldTyped } from '../services/text/fold';
import type { FaqService } from './faq';

/** The main dialog's id (here so the router can tell "a flow is waiting" without importing the dialog). */
export const MAIN_DIALOG = 'mainDialog';
/** The main dialog's flow-runner waterfall. */
export const FLOW_RUNNER = 'mainFlow';

const CANCEL = /^(cancel|start over|restart|stop|quit|exit|never ?mind|forget it|main menu|menu|go back to (the )?(start|menu))$/;
const HELP = /^(help|\?|what can you do|options)$/;

/** "thanks", "ok got it", "bye": the conversation is closing, not a question we failed to answer. */
const CLOSING =
  /^(?:(?:thanks?|thank you|thx|ty|ok|okay|k|got it|great|perfect|cool|awesome|bye|goodbye|that worked|it worked|all set|done|no thanks|nothing else|thats all|that is all)\b\s*(?:so much|very much|a lot|again|you|!)*\s*)+$/;

/** "I have my password reset token", "got the reset code from the office" — but not "I don't have a token". */
const HAVE_RESET_TOKEN = /\b(have|got|received|gave me)\b.*\b(reset|password)\b.*\b(token|code)\b/i;
/** "I have an enrollment token", "I want to sign up and the office gave me a code" — but not "I don't have a token". */
const HAVE_ENROLL_TOKEN = /\b(have|got|received|gave me|given)\b.*\b(token|code)\b|\b(token|code)\b.*\b(have|got|received|gave me|given)\b/i;
const ENROLL_WORDS = /\b(enrol+(ment|ing)?|sign(ing)? ?up|signup|register|registration|create (an |my )?account)\b/i;
const LACKS = /\b(no|not|don'?t|dont|never|need|lost)\b/i;

/** "what's the status of my request", "any update on my request?" */
const STATUS_QUESTION = /\b(status|update|progress)\b.*\b(my|the)\s+request\b|\bmy\s+request\b.*\b(status|update|progress)\b/i;

/** Frustration shown in a message ("this is ridiculous", "so frustrated", "!!!", all capitals): acknowledged briefly, then help. */
const FRUSTRATED =
  /\b(frustrat\w*|annoy\w*|ridiculous|useless|pointless|angry|furious|fed up|sick (of|and tired)|tired of|had enough|stupid|dumb|wtf|ffs|crazy|insane|hate|terrible|horrible|awful|worst|pissed|upset|unacceptable|fuming|nightmare|waste of time|joke|again and again|for the \w+ time|keeps? (failing|not working|saying))\b|!{3,}/i;

export function showsFrustration(text: string): boolean {
  const letters = text.replace(/[^A-Za-z]/g, '');
  const shouting = letters.length >= 12 && letters === letters.toUpperCase() && text.trim().split(/\s+/).length >= 3;
  return FRUSTRATED.test(text) || shouting;
}

/** "the email never came", "I didn't get it", "nothing in spam": said after the bot emailed something. */
export const EMAIL_NEVER_CAME =
  /\b(never|didn'?t|did not|haven'?t|have not|hasn'?t|has not|not yet|still not|still hasn'?t)\s+(\w+\s+){0,2}(came|come|arrived?|get|got|gotten|received?|show(ed)? up|see|seen)\b|\b(not|hasn'?t|has not) (come|arrived|here|there)\b|\bno (email|e-?mail|mail|message|link)\b|\bnothing\b.*\b(spam|junk|inbox|came|arrived)\b|\bnot in (my )?(spam|junk|inbox)\b/i;

/** True when a flow (recovery, reset, request…) is in progress, not just the router waiting for a reply. */
export function inFlow(dc: DialogContext): boolean {
  const inner = (dc.activeDialog?.state as { dialogs?: DialogState } | undefined)?.dialogs?.dialogStack ?? [];
  return dc.activeDialog?.id === MAIN_DIALOG && inner[0]?.id === FLOW_RUNNER;
}

/** The flow in progress, if any (the flow runner's start options). */
export function currentFlow(dc: DialogContext): FlowName | undefined {
  if (!inFlow(dc)) return undefined;
  const runner = (dc.activeDialog?.state as { dialogs?: DialogState } | undefined)?.dialogs?.dialogStack?.[0];
  const flow = (runner?.state as { options?: { flow?: string } } | undefined)?.options?.flow;
  return isFlowName(flow) ? flow : undefined;
}

/** What the innermost waiting prompt accepts: its choices and, for a validated prompt, the kind of value. */
function waitingFor(dc: DialogContext): PromptValidations {
  let leaf: DialogContext = dc;
  while (leaf.child) leaf = leaf.child;
  const options = (leaf.activeDialog?.state as { options?: Record<string, unknown> } | undefined)?.options ?? {};
  const validations = options.validations as PromptValidations | undefined;
  if (validations) return validations;
  const actions = (options.prompt as { suggestedActions?: { actions?: Array<{ title?: string; value?: unknown }> } } | undefined)?.suggestedActions?.actions ?? [];
  return { choices: actions.map((a) => ({ label: a.title ?? String(a.value), value: String(a.value) })) };
}

/**
 * Step 2's side question: a flow waits, and the patient asks something the FAQ answers confidently instead of
 * answering (and the text is not an answer the prompt would take). Returns the entry to answer with.
 */
export function sideQuestion(dc: DialogContext, faq: FaqService, text: string, decision: Decision): string | undefined {
  if (!inFlow(dc) || decision.type !== 'answer' || !isNewQuestion(faq, text)) return undefined;
  if (EMAIL_NEVER_CAME.test(text)) return undefined; // the flow's own follow-up handles it
  const entry = faq.entry(decision.id);
  if (!entry || (entry.kind === 'intent' && entry.id !== 'handoff')) return undefined;
  const waiting = waitingFor(dc);
  if (matchChoice(text, waiting.choices)) return undefined;
  if (waiting.expect && readAnswer(waiting.expect, text) !== null) return undefined;
  return entry.id;
}

/**
 * Step 1's one exception: a one-word reply to a question that takes a name or a typed answer (a last name, a
 * security answer) that reads as an emergency only after typo correction — "Fant" as a last name, which
 * correction reads as "faint". The emergency answer is still given, but the flow is not stopped: it takes the word
 * as its answer and goes on (a patient named Fant can finish). Emergency words as typed ("overdose"), any longer
 * message, and replies to other questions (an email, a date, yes/no) stop the flow as always.
 */
export function typedAnswerKeepsFlow(dc: DialogContext, faq: FaqService, text: string): boolean {
  if (!inFlow(dc) || /\s/.test(text.trim())) return false;
  const waiting = waitingFor(dc);
  if (waiting.expect !== 'name' && !waiting.typedAnswer) return false;
  return !faq.emergencyAsTyped(text);
}

/** Step 2: what a message means while a dialog waits, before the dialog sees it. */
export function interruption(text: string, decision: Decision, dialogInFlow: boolean): 'cancel' | 'help' | undefined {
  const cmd = foldTyped(text);
  if (CANCEL.test(cmd) || (decision.type === 'answer' && decision.id === 'cancel' && cmd.split(' ').length <= 6)) return 'cancel';
  // "help" inside a flow explains the question; at the main menu it is routed like any message.
  if (HELP.test(cmd) && dialogInFlow) return 'help';
  return undefined;
}

/**
 * Finds a reference like "R-7K3Q9P" in a message: with its "R-", or written "R 7K3Q9P" / "R7K3Q9P" only
 * when it has a digit, so words ("refresh", "retyped") and SMS "r" for "are" ("r thanks") never count.
 */
export function findRequestId(text: string): string | null {
  const m = /\bR-[2-9A-Z]{6}\b/i.exec(text) ?? /\bR ?(?=[A-Z]*[2-9])[2-9A-Z]{6}\b/i.exec(text);
  return m ? parseRequestId(m[0]) : null;
}

/** Step 3's rules before the FAQ: a flow to start directly, a closing, or nothing (ask the FAQ). */
export type Shortcut =
  | { kind: 'flow'; flow: 'request-status'; options?: { requestId: string } }
  | { kind: 'flow'; flow: 'reset-by-token' }
  | { kind: 'flow'; flow: 'enroll-with-token' }
  | { kind: 'closing' };

export function shortcut(text: string): Shortcut | undefined {
  const requestId = findRequestId(text);
  if (requestId || STATUS_QUESTION.test(text)) return { kind: 'flow', flow: 'request-status', ...(requestId ? { options: { requestId } } : {}) };
  if (HAVE_ENROLL_TOKEN.test(text) && ENROLL_WORDS.test(text) && !/\b(reset|password)\b/i.test(text) && !LACKS.test(text)) return { kind: 'flow', flow: 'enroll-with-token' };
  if (HAVE_RESET_TOKEN.test(text) && !LACKS.test(text)) return { kind: 'flow', flow: 'reset-by-token' };
  if (CLOSING.test(foldTyped(text).replace(/[?!.]/g, '').trim())) return { kind: 'closing' };
  return undefined;
}

/**
 * Whether text typed where the bot expected an answer (an email, a name, a security answer) is really a
 * new question: a sentence of three or more words the FAQ answers confidently (or an emergency). Short
 * replies ("wrong", "nope") are answers, however the matcher would read them on their own.
 */
export function isNewQuestion(faq: FaqService, text: string): boolean {
  if (text.trim().split(/\s+/).length < 3) return false;
  const decision = faq.decide(text);
  return decision.type === 'emergency' || (decision.type === 'answer' && decision.confidence >= 0.9);
}
