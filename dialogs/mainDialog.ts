/**
 * MainDialog: step 3 of routing (see routing.ts for the whole order) — a message nothing else claimed.
 *
 *   request reference, "I have my reset token", "thanks" → the matching flow or a closing reply
 *   FAQ/intent decision → answer, then offer the entry's action ("Would you like me to help you … now?")
 *   close scores → "Did you mean …" with the top candidates
 *   low score → say so honestly and ask to rephrase; two misses in a row → offer a person
 *
 * Flows (recover username, reset password, renew token, handoff, …) are started through the registry
 * (registry.ts): a flow runner starts the flow's dialog and, when it ends, chains into the next flow it
 * asks for or routes the text it hands back.
 * Every question the dialog asks accepts typed text, a number (SMS) or a button press; anything that is
 * not one of the offered choices is routed again as a new question.
 */
import type { StatePropertyAccessor } from 'botbuilder';
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
import { ask, createTextPrompt, say } from './prompts';
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

interface FlowOptions {
  flow: FlowName;
  options?: Record<string, string>;
}

/** Per-conversation facts the router keeps between turns (no PHI). */
export interface SessionState {
  misses: number;
  /** On SMS, the entry whose short form was sent last: "MORE" sends its full answer. */
  more?: string;
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
 * How the route step was started: route this turn's message (the default), an entry chosen already, or
 * show the menu. The message itself is read from the activity, never carried in (persisted) options.
 */
export interface MainOptions {
  entryId?: string;
  /** With `entryId`: the patient picked a main-menu task, so start its flow at once. */
  act?: true;
  menu?: 'welcome' | 'cancelled';
}

/** An offered choice and what it leads to. */
interface RoutedChoice extends Choice {
  entryId?: string;
  /** A main-menu task: start its flow at once rather than answer and offer it. */
  act?: true;
  yesNo?: 'yes' | 'no';
  other?: true;
}

interface Pending {
  kind: 'choices' | 'action' | 'offer-handoff';
  choices: RoutedChoice[];
  action?: FlowName;
  /** The entry that offered the action; its flow may start at a matching step. */
  entryId?: string;
}

export class MainDialog extends ComponentDialog {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    this.addDialog(createTextPrompt());
    for (const dialog of deps.dialogs) this.addDialog(dialog);
    this.addDialog(new WaterfallDialog(ROUTE, [this.routeStep.bind(this), this.followUpStep.bind(this)]));
    this.addDialog(new WaterfallDialog(FLOW, [this.beginFlowStep.bind(this), this.afterFlowStep.bind(this)]));
    this.initialDialogId = ROUTE;
  }

  private async routeStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = (step.options ?? {}) as MainOptions;
    if (options.menu) return this.offerMenu(step, options.menu === 'welcome' ? WELCOME(this.deps.practice.name) : CANCELLED);
    if (options.entryId) return this.answerEntry(step, options.entryId, options.act === true);

    const text = step.context.activity.text ?? '';
    const session = await this.deps.session.get(step.context, { misses: 0 });
    const moreOf = session.more ? this.deps.faq.entry(session.more) : undefined;
    delete session.more;
    if (moreOf && MORE.test(text.trim())) {
      // The renderer splits it into SMS-sized parts (bot/render.ts).
      await say(step.context, moreOf.answer);
      return step.endDialog();
    }
    const direct = shortcut(text);
    if (direct?.kind === 'flow') return this.startFlow(step, direct.flow, 'options' in direct ? direct.options : undefined);
    if (direct?.kind === 'closing') {
      await this.setMisses(step, 0);
      await say(step.context, "You're welcome! If you need anything else with the portal, just ask.");
      return step.endDialog();
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
        // The router answers emergencies before any dialog runs; kept so the decision is handled wherever it comes from.
        await say(step.context, emergencyAnswer(this.deps.faq));
        return step.endDialog();
      case 'answer':
        // "I never got the reset email": the missing email is the point, not how to ask for one.
        if (MAILED_ENTRIES.has(decision.id) && EMAIL_NEVER_CAME.test(text) && !NO_MAILBOX.test(text) && this.deps.faq.entry(EMAIL_NOT_RECEIVED)) {
          return this.answerEntry(step, EMAIL_NOT_RECEIVED, false);
        }
        return this.answerEntry(step, decision.id, false);
      case 'clarify': {
        await this.setMisses(step, 0);
        const choices: RoutedChoice[] = decision.candidates.slice(0, 3).map((c) => ({ label: c.title, value: c.title, entryId: c.id }));
        choices.push({ label: 'Something else', value: 'Something else', other: true, synonyms: ['none', 'none of these', 'neither', 'other'] });
        return this.offer(step, { kind: 'choices', choices }, 'I want to be sure I understand. Did you mean:');
      }
      case 'none':
      default:
        if (decision.type === 'none' && decision.uncovered) return this.uncovered(step);
        return this.notUnderstood(step);
    }
  }

  private async followUpStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const pending = (step.values as { pending?: Pending }).pending;
    const text = typeof step.result === 'string' ? step.result : '';
    if (!pending) return step.endDialog();

    if (pending.kind === 'action' || pending.kind === 'offer-handoff') {
      const yesNo = recogniseYesNo(text) ?? matchChoice(text, pending.choices)?.yesNo;
      if (yesNo === 'yes') return this.startFlow(step, pending.action ?? 'handoff', pending.entryId ? { start: pending.entryId } : undefined);
      if (yesNo === 'no') {
        await say(step.context, 'No problem. Is there anything else I can help you with?');
        return step.endDialog();
      }
      return step.replaceDialog(ROUTE, {} satisfies MainOptions);
    }

    const chosen = matchChoice(text, pending.choices);
    if (chosen?.other) {
      await say(step.context, 'Sure. Please tell me in your own words what you need help with.');
      return step.endDialog();
    }
    if (chosen?.entryId) return step.replaceDialog(ROUTE, { entryId: chosen.entryId, act: chosen.act } satisfies MainOptions);
    return step.replaceDialog(ROUTE, {} satisfies MainOptions);
  }

  /** Answers one entry. `act` is true when the patient picked a task from the main menu (then start it at once). */
  private async answerEntry(step: WaterfallStepContext, id: string, act: boolean): Promise<DialogTurnResult> {
    const entry = this.deps.faq.entry(id);
    if (!entry) return this.notUnderstood(step);
    await this.setMisses(step, 0);

    if (entry.kind === 'intent') {
      switch (entry.id) {
        case 'greeting':
        case 'help':
          return this.offerMenu(step, await this.answerText(step, entry));
        case 'cancel':
          await say(step.context, 'OK. There is nothing in progress. What can I help you with?');
          return step.endDialog();
        case 'emergency':
          await say(step.context, emergencyAnswer(this.deps.faq));
          return step.endDialog();
        case 'handoff':
          return this.startFlow(step, 'handoff');
        default:
          break;
      }
    }

    const action = isFlowName(entry.action) ? entry.action : undefined;
    if (act && action) return this.startFlow(step, action, { start: entry.id });

    const answer = await this.answerText(step, entry);
    if (action) {
      await say(step.context, answer);
      const prompt = entry.actionPrompt ?? 'Would you like me to help you with that now?';
      const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
      return this.offer(step, { kind: 'action', action, entryId: entry.id, choices }, prompt);
    }

    const followUps = (entry.followUps ?? [])
      .map((f) => this.deps.faq.entry(f))
      .filter((e): e is KbEntry => Boolean(e))
      .map((e): RoutedChoice => ({ label: e.title, value: e.title, entryId: e.id }));
    if (followUps.length) return this.offer(step, { kind: 'choices', choices: followUps }, answer);
    await say(step.context, answer);
    return step.endDialog();
  }

  /** The entry's answer; on SMS its short form (if it has one) and "Reply MORE for details", remembering the entry. */
  private async answerText(step: WaterfallStepContext, entry: KbEntry): Promise<string> {
    if (step.context.activity.channelId !== 'sms' || !entry.sms) return entry.answer;
    const session = await this.deps.session.get(step.context, { misses: 0 });
    session.more = entry.id;
    return `${entry.sms}\n${SMS_MORE_HINT}`;
  }

  private async startFlow(step: WaterfallStepContext, flow: FlowName, options?: Record<string, string>): Promise<DialogTurnResult> {
    return step.replaceDialog(FLOW, { flow, options } satisfies FlowOptions);
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
    await this.setMisses(step, 0);
    if (result.next) return step.replaceDialog(FLOW, { flow: result.next, options: result.nextOptions } satisfies FlowOptions);
    // Blank text too: routing it says "Please type your question…" (ending here sent no reply at all).
    if (result.reroute) return step.replaceDialog(ROUTE, {} satisfies MainOptions);
    return step.endDialog();
  }

  /** A portal question the KB knows it does not answer: say so, give the practice's contact, offer a person. */
  private async uncovered(step: WaterfallStepContext): Promise<DialogTurnResult> {
    await this.setMisses(step, 0);
    await say(step.context, `${UNCOVERED} ${contactPracticeText(this.deps.practice)}`);
    const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
    return this.offer(step, { kind: 'offer-handoff', action: 'handoff', choices }, UNCOVERED_OFFER);
  }

  private async notUnderstood(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const misses = (await this.getMisses(step)) + 1;
    await this.setMisses(step, misses);
    if (misses >= 2) {
      const choices: RoutedChoice[] = YES_NO.map((c) => ({ ...c, yesNo: c.value === 'Yes' ? 'yes' : 'no' }));
      return this.offer(step, { kind: 'offer-handoff', action: 'handoff', choices }, NOT_UNDERSTOOD_AGAIN);
    }
    return this.offerMenu(step, NOT_UNDERSTOOD);
  }

  private async offerMenu(step: WaterfallStepContext, text = 'What can I help you with?'): Promise<DialogTurnResult> {
    const choices: RoutedChoice[] = topTaskChoices().map((c) => ({ label: c.label, value: c.value, entryId: c.entryId, act: true }));
    return this.offer(step, { kind: 'choices', choices }, text);
  }

  private async offer(step: WaterfallStepContext, pending: Pending, text: string): Promise<DialogTurnResult> {
    (step.values as { pending?: Pending }).pending = pending;
    return ask(step, { text, choices: pending.choices });
  }

  private async getMisses(step: WaterfallStepContext): Promise<number> {
    return (await this.deps.session.get(step.context, { misses: 0 })).misses;
  }

  private async setMisses(step: WaterfallStepContext, misses: number): Promise<void> {
    const session = await this.deps.session.get(step.context, { misses: 0 });
    session.misses = misses;
  }
}
