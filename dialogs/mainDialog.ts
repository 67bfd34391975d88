/**
 * MainDialog: step 3 of routing (see routing.ts for the whole order) — a message nothing else claimed.
 *
 *   request reference, "I have my reset token", "thanks" → the matching flow or a closing reply
 *   FAQ/intent decision → answer, then offer the entry's action ("Would you like me to help you … now?")
 *   close scores → "Did you mean …" with the top candidates
 *   low score → say so honestly and ask to rephrase; two misses in a row → offer a person
 *
 * Routing a message and answering an offer run without a dialog (`route`, `followUp`): an offer (the menu, "did
 * you mean", "would you like me to…") is kept as a small pending offer in the session, and the patient's next
 * message is read against it (`Conversation` in conversation.ts). Only a flow needs the dialog stack: flows
 * (recover username, reset password, renew token, handoff, …) are started through the registry (registry.ts)
 * by this dialog's flow runner, which starts the flow's dialog and, when it ends, chains into the next flow it
 * asks for or routes the text it hands back.
 * Every offer accepts typed text, a number (SMS) or a button press; anything that is not one of the offered
 * choices is routed again as a new question.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import {
  ComponentDialog,
  WaterfallDialog,
  type Dialog,
  type DialogTurnResult,
  type WaterfallStepContext,
} from 'botbuilder-dialogs';
import type { Logger } from '../services/logger';
import type { MissLog } from '../services/insights/misses';
import type { KbEntry } from '../knowledge/schema';
import type { FaqService } from './faq';
import { isFlowName, type FlowName, type FlowResult } from './flow';
import { matchChoice, recogniseYesNo, YES_NO, type Choice } from './input';
import {
  CANCELLED,
  contactPracticeText,
  emergencyAnswer,
  NOT_UNDERSTOOD,
  NOT_UNDERSTOOD_AGAIN,
  topTaskChoices,
  UNCOVERED,
  SMS_MORE_HINT,
  UNCOVERED_OFFER,
  WELCOME,
  type PracticeInfo,
} from './messages';
import { createTextPrompt, say } from './prompts';
import { FLOWS } from './registry';
import { EMAIL_NEVER_CAME, FLOW_RUNNER, MAIN_DIALOG, shortcut } from './routing';

export { MAIN_DIALOG };
const ROUTE = 'mainRoute';

/** The KB entry for "the email never came" asked with no flow running. */
const EMAIL_NOT_RECEIVED = 'email-not-received';
/** Entries a "the reset/username email never came" message matches by its subject; the missing email is the point. */
const MAILED_ENTRIES = new Set(['reset-password', 'recover-username']);
/** "MORE", "more info", "details": the full answer after an SMS short form. */
const MORE = /^(more|more info|more information|more details|details|tell me more)[.!]?$/i;
/** "I have no email": a missing mailbox, not a missing message. */
const NO_MAILBOX = /\b(no|don'?t have an?|do not have an?|without an?)\s+(e-?mail|email address)\b/i;
const FLOW = FLOW_RUNNER;

export interface FlowOptions {
  flow: FlowName;
  options?: Record<string, string>;
}

/** Per-conversation facts the router keeps between turns (no PHI). */
export interface SessionState {
  misses: number;
  /** On SMS, the entry whose short form was sent last: "MORE" sends its full answer. */
  more?: string;
  /** The offer the last reply made (menu, "did you mean", "would you like me to…"), read against the next message. */
  pending?: Pending;
}

export interface MainDialogDeps {
  faq: FaqService;
  session: StatePropertyAccessor<SessionState>;
  practice: PracticeInfo;
  logger: Logger;
  /** The dialogs that perform flows (registry.ts); each is added as a child of the main dialog. */
  dialogs: Dialog[];
  /** Where unanswered and uncertain questions are counted (and, if configured, kept redacted). */
  misses?: MissLog;
}

/**
 * How a route is started: route this turn's message (the default), an entry chosen already, or show the menu.
 * The message itself is read from the activity, never carried in (persisted) options.
 */
export interface MainOptions {
  entryId?: string;
  /** With `entryId`: the patient picked a main-menu task, so start its flow at once. */
  act?: true;
  menu?: 'welcome' | 'cancelled';
}

/** What routing decided: nothing more to do (replies sent, perhaps an offer left pending), or a flow to start. */
export type Routed = FlowOptions | undefined;

/** Begins the main dialog on a flow (what `Conversation` does with a `Routed` flow). */
export interface StartFlow {
  start: FlowOptions;
}

/** An offered choice and what it leads to. */
interface RoutedChoice extends Choice {
  entryId?: string;
  /** A main-menu task: start its flow at once rather than answer and offer it. */
  act?: true;
  yesNo?: 'yes' | 'no';
  other?: true;
}

export interface Pending {
  kind: 'choices' | 'action' | 'offer-handoff';
  choices: RoutedChoice[];
  action?: FlowName;
  /** The entry that offered the action; its flow may start at a matching step. */
  entryId?: string;
}

export class MainDialog extends ComponentDialog {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    this.addDialog(createTextPrompt()); // a conversation saved by an earlier version may wait on it (savedOfferStep)
    for (const dialog of deps.dialogs) this.addDialog(dialog);
    this.addDialog(new WaterfallDialog(ROUTE, [this.routeStep.bind(this), this.savedOfferStep.bind(this)]));
    this.addDialog(new WaterfallDialog(FLOW, [this.beginFlowStep.bind(this), this.afterFlowStep.bind(this)]));
    this.initialDialogId = ROUTE;
  }

  /** Inside the dialog (started on a flow, or a flow handed text back): route, then start the flow or end. */
  private async routeStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = (step.options ?? {}) as MainOptions & Partial<StartFlow>;
    const routed = options.start ?? (await this.route(step.context, options));
    return routed ? step.replaceDialog(FLOW, routed) : step.endDialog();
  }

  /**
   * A conversation saved by an earlier version, whose offer waits on the dialog stack (this waterfall's values and
   * a text prompt) rather than in the session: the reply answers it as `followUp` would.
   */
  private async savedOfferStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const pending = (step.values as { pending?: Pending }).pending;
    const routed = pending ? await this.followUp(step.context, pending) : undefined;
    return routed ? step.replaceDialog(FLOW, routed) : step.endDialog();
  }

  /** The offer the last reply left pending, taken (cleared): the next message answers it or moves on. */
  async takePending(context: TurnContext): Promise<Pending | undefined> {
    const session = await this.deps.session.get(context, { misses: 0 });
    const pending = session.pending;
    delete session.pending;
    return pending;
  }

  /** Whether an offer is pending (a join does not greet over it). */
  async hasPending(context: TurnContext): Promise<boolean> {
    return (await this.deps.session.get(context))?.pending !== undefined;
  }

  /** Routes this turn's message (or shows the menu, or answers a chosen entry): replies, and the flow to start, if any. */
  async route(context: TurnContext, options: MainOptions = {}): Promise<Routed> {
    if (options.menu) return this.offerMenu(context, options.menu === 'welcome' ? WELCOME(this.deps.practice.name) : CANCELLED);
    if (options.entryId) return this.answerEntry(context, options.entryId, options.act === true);

    const text = context.activity.text ?? '';
    const session = await this.deps.session.get(context, { misses: 0 });
    const moreOf = session.more ? this.deps.faq.entry(session.more) : undefined;
    delete session.more;
    if (moreOf && MORE.test(text.trim())) {
      // The renderer splits it into SMS-sized parts (bot/render.ts).
      await say(context, moreOf.answer);
      return undefined;
    }
    const direct = shortcut(text);
    if (direct?.kind === 'flow') return { flow: direct.flow, options: 'options' in direct ? direct.options : undefined };
    if (direct?.kind === 'closing') {
      await this.setMisses(context, 0);
      await say(context, "You're welcome! If you need anything else with the portal, just ask.");
      return undefined;
    }
    const started = process.hrtime.bigint();
    const decision = this.deps.faq.decide(text);
    this.deps.logger.info(
      {
        decision: decision.type,
        intent: decision.type === 'answer' ? decision.id : undefined,
        candidates: decision.candidates.slice(0, 3).map((c) => ({ id: c.id, confidence: Number(c.confidence.toFixed(3)) })),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      'routed message',
    );

    if (decision.type === 'none' || decision.type === 'clarify') {
      const kbId = decision.type === 'clarify' ? (decision.candidates[0]?.id ?? 'none') : decision.uncovered ? `uncovered:${decision.uncovered}` : 'none';
      await this.deps.misses?.record({ kbId, text });
    }

    switch (decision.type) {
      case 'emergency':
        // The router answers emergencies before routing; kept so the decision is handled wherever it comes from.
        await say(context, emergencyAnswer(this.deps.faq));
        return undefined;
      case 'answer':
        // "I never got the reset email": the missing email is the point, not how to ask for one.
        if (MAILED_ENTRIES.has(decision.id) && EMAIL_NEVER_CAME.test(text) && !NO_MAILBOX.test(text) && this.deps.faq.entry(EMAIL_NOT_RECEIVED)) {
          return this.answerEntry(context, EMAIL_NOT_RECEIVED, false);
        }
        return this.answerEntry(context, decision.id, false);
      case 'clarify': {
        await this.setMisses(context, 0);
        const choices: RoutedChoice[] = decision.candidates.slice(0, 3).map((c) => ({ label: c.title, value: c.title, entryId: c.id }));
        choices.push({ label: 'Something else', value: 'Something else', other: true, synonyms: ['none', 'none of these', 'neither', 'other'] });
        return this.offer(context, { kind: 'choices', choices }, 'I want to be sure I understand. Did you mean:');
      }
      case 'none':
      default:
        if (decision.type === 'none' && decision.uncovered) return this.uncovered(context);
        return this.notUnderstood(context);
    }
  }

  /** The patient's message after an offer (`takePending`): the offered flow, an entry chosen, or a new question. */
  async followUp(context: TurnContext, pending: Pending): Promise<Routed> {
    const text = context.activity.text ?? '';
    if (pending.kind === 'action' || pending.kind === 'offer-handoff') {
      const yesNo = recogniseYesNo(text) ?? matchChoice(text, pending.choices)?.yesNo;
      if (yesNo === 'yes') return { flow: pending.action ?? 'handoff', options: pending.entryId ? { start: pending.entryId } : undefined };
      if (yesNo === 'no') {
        await say(context, 'No problem. Is there anything else I can help you with?');
        return undefined;
      }
      return this.route(context);
    }

    const chosen = matchChoice(text, pending.choices);
    if (chosen?.other) {
      await say(context, 'Sure. Please tell me in your own words what you need help with.');
      return undefined;
    }
    if (chosen?.entryId) return this.route(context, { entryId: chosen.entryId, act: chosen.act });
    return this.route(context);
  }

  /** Answers one entry. `act` is true when the patient picked a task from the main menu (then start it at once). */
  private async answerEntry(context: TurnContext, id: string, act: boolean): Promise<Routed> {
    const entry = this.deps.faq.entry(id);
    if (!entry) return this.notUnderstood(context);
    await this.setMisses(context, 0);

    if (entry.kind === 'intent') {
      switch (entry.id) {
        case 'greeting':
        case 'help':
          return this.offerMenu(context, await this.answerText(context, entry));
        case 'cancel':
          await say(context, 'OK. There is nothing in progress. What can I help you with?');
          return undefined;
        case 'emergency':
          await say(context, emergencyAnswer(this.deps.faq));
          return undefined;
        case 'handoff':
          return { flow: 'handoff' };
        default:
          break;
      }
    }

    const action = isFlowName(entry.action) ? entry.action : undefined;
    if (act && action) return { flow: action, options: { start: entry.id } };

    const answer = await this.answerText(context, entry);
    if (action) {
      await say(context, answer);
      const prompt = entry.actionPrompt ?? 'Would you like me to help you with that now?';
      const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
      return this.offer(context, { kind: 'action', action, entryId: entry.id, choices }, prompt);
    }

    const followUps = (entry.followUps ?? [])
      .map((f) => this.deps.faq.entry(f))
      .filter((e): e is KbEntry => Boolean(e))
      .map((e): RoutedChoice => ({ label: e.title, value: e.title, entryId: e.id }));
    if (followUps.length) return this.offer(context, { kind: 'choices', choices: followUps }, answer);
    await say(context, answer);
    return undefined;
  }

  /** The entry's answer; on SMS its short form (if it has one) and "Reply MORE for details", remembering the entry. */
  private async answerText(context: TurnContext, entry: KbEntry): Promise<string> {
    if (context.activity.channelId !== 'sms' || !entry.sms) return entry.answer;
    const session = await this.deps.session.get(context, { misses: 0 });
    session.more = entry.id;
    return `${entry.sms}\n${SMS_MORE_HINT}`;
  }

  /** Starts the dialog the registry names for the flow. */
  private async beginFlowStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { flow, options } = step.options as FlowOptions;
    const spec = FLOWS[flow];
    this.deps.logger.info({ flow }, 'starting flow');
    return step.beginDialog(spec.dialogId, { ...spec.options, ...options });
  }

  /** When a flow ends: chain into the flow it asks for, route the text it hands back, or finish. */
  private async afterFlowStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = (step.result ?? {}) as FlowResult;
    await this.setMisses(step.context, 0);
    if (result.next) return step.replaceDialog(FLOW, { flow: result.next, options: result.nextOptions } satisfies FlowOptions);
    // Blank text too: routing it says "Please type your question…" (ending here sent no reply at all).
    if (result.reroute) return step.replaceDialog(ROUTE, {} satisfies MainOptions);
    return step.endDialog();
  }

  /** A portal question the KB knows it does not answer: say so, give the practice's contact, offer a person. */
  private async uncovered(context: TurnContext): Promise<Routed> {
    await this.setMisses(context, 0);
    await say(context, `${UNCOVERED} ${contactPracticeText(this.deps.practice)}`);
    const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
    return this.offer(context, { kind: 'offer-handoff', action: 'handoff', choices }, UNCOVERED_OFFER);
  }

  private async notUnderstood(context: TurnContext): Promise<Routed> {
    const misses = (await this.getMisses(context)) + 1;
    await this.setMisses(context, misses);
    if (misses >= 2) {
      const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
      return this.offer(context, { kind: 'offer-handoff', action: 'handoff', choices }, NOT_UNDERSTOOD_AGAIN);
    }
    return this.offerMenu(context, NOT_UNDERSTOOD);
  }

  private async offerMenu(context: TurnContext, text = 'What can I help you with?'): Promise<Routed> {
    const choices: RoutedChoice[] = topTaskChoices().map((c) => ({ label: c.label, value: c.value, entryId: c.entryId, act: true }));
    return this.offer(context, { kind: 'choices', choices }, text);
  }

  /** Sends the offer and keeps it pending in the session: the patient's next message is read against it. */
  private async offer(context: TurnContext, pending: Pending, text: string): Promise<Routed> {
    const session = await this.deps.session.get(context, { misses: 0 });
    session.pending = pending;
    await say(context, { text, choices: pending.choices });
    return undefined;
  }

  private async getMisses(context: TurnContext): Promise<number> {
    return (await this.deps.session.get(context, { misses: 0 })).misses;
  }

  private async setMisses(context: TurnContext, misses: number): Promise<void> {
    const session = await this.deps.session.get(context, { misses: 0 });
    session.misses = misses;
  }
}
