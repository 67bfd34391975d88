/**
 * Talking to a person, the patient's side.
 *
 * HandoffDialog ("talk to a person", "agent", the offer after two misses): during office hours with a
 * staff member online the conversation joins the queue (services/handoff) and the patient hears their
 * position and an honest wait; otherwise — closed, nobody online — the practice's contact details and the
 * offer to leave a message for a callback. Without a handoff service (dialog tests) it gives the contact
 * details only, as before.
 *
 * HandoffTurns is what dialogs/conversation.ts asks before routing a message (after the emergency check):
 * while the patient waits, FAQ questions are still answered ("you keep your place") and "cancel" leaves
 * the queue; while a staff member has the conversation the bot is silent and relays the message; after a
 * time-out the next "yes" takes a callback request.
 */
import { EventFactory, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogContext, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Decision } from '../knowledge/matcher';
import { EMERGENCY_ALERT, redactTranscriptText, type ConversationKeysRead, type HandoffPort, type PatientHandoff } from '../services/handoff';
import type { Logger } from '../services/logger';
import type { FaqService } from './faq';
import { conversationRef, type FlowResult } from './flow';
import { recogniseYesNo } from './input';
import { contactPracticeText, type PracticeInfo } from './messages';
import { ask, askFor, createTextPrompt, createValidatedPrompt, readAsked, say } from './prompts';
import { interruption } from './routing';

export const HANDOFF_DIALOG = 'handoffDialog';

export interface HandoffOptions {
  /** Skip the queue and offer a callback (after a time-out). */
  mode?: 'callback';
  /** 'yes': the callback offer was already accepted; ask for the contact at once. */
  offered?: string;
  /** Why a person was asked for (an intent or flow name), for staff. */
  start?: string;
}

export interface HandoffDialogDeps {
  handoff?: HandoffPort;
  practice: PracticeInfo;
  logger: Logger;
  isNewQuestion(text: string): boolean;
}

const YES_NO = [
  { label: 'Yes', value: 'Yes' },
  { label: 'No', value: 'No' },
];

/** `channel/conversation`: one handoff at a time per conversation. */
export function handoffConversationKey(context: TurnContext): string {
  return `${context.activity.channelId}/${context.activity.conversation.id}`;
}

export function queueStatusText(h: PatientHandoff): string {
  const wait = h.waitMinutes ? `about ${h.waitMinutes} minute${h.waitMinutes === 1 ? '' : 's'}` : 'a few minutes';
  return `You're number ${h.position ?? 1} in the queue for a person; the wait is ${wait}.`;
}

export const CALLBACK_OFFER = 'Would you like to leave a message so someone from the practice contacts you?';
export const TIMED_OUT_TEXT = "Sorry, no one from the team was free to take your conversation in time.";

export class HandoffDialog extends ComponentDialog {
  constructor(private readonly deps: HandoffDialogDeps) {
    super(HANDOFF_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(createValidatedPrompt((text) => deps.isNewQuestion(text)));
    this.addDialog(
      new WaterfallDialog(`${HANDOFF_DIALOG}.steps`, [this.startStep.bind(this), this.offerStep.bind(this), this.contactStep.bind(this)]),
    );
    this.initialDialogId = `${HANDOFF_DIALOG}.steps`;
  }

  private async startStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = (step.options ?? {}) as HandoffOptions;
    const handoff = this.deps.handoff;
    if (!handoff) {
      await say(step.context, contactPracticeText(this.deps.practice));
      return step.endDialog({} satisfies FlowResult);
    }
    if (options.offered === 'yes') return step.next('yes');
    if (options.mode !== 'callback') {
      const availability = await handoff.availability();
      if (availability === 'available' && handoff.mode === 'external') return this.startExternal(step, options);
      if (availability === 'available') {
        const context = step.context;
        const joined = await handoff.join({
          conversationKey: handoffConversationKey(context),
          channel: context.activity.channelId,
          reason: options.start ? `asked for a person (${options.start})` : 'asked for a person',
          context: { intents: [options.start ?? 'handoff'], flows: ['handoff'] },
          reference: TurnContext.getConversationReference(context.activity),
          conversationRef: conversationRef(context),
        });
        this.deps.logger.info({ handoffId: joined.id, position: joined.position }, 'patient joined the handoff queue');
        await say(
          context,
          `I've asked for a person from the ${this.deps.practice.name} team. ${queueStatusText(joined)} I'll tell you when someone joins.\n\n` +
            `While you wait you can still ask me portal questions: you keep your place. Type "cancel" to leave the queue.`,
        );
        return step.endDialog({} satisfies FlowResult);
      }
      const why =
        availability === 'closed'
          ? "No one from the team can chat right now because the office is closed."
          : "No one from the team is available to chat right now.";
      return ask(step, { text: `${why} ${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`, choices: YES_NO });
    }
    return ask(step, { text: `${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`, choices: YES_NO });
  }

  /**
   * HANDOFF_MODE=external: the Bot Framework handoff protocol. A `handoff.initiate` event (skill
   * portal-support) with the redacted transcript attachment goes to the channel; an agent hub such as
   * Dynamics 365 Omnichannel watching the bot's registration routes the conversation to an agent and
   * answers with `handoff.status` events (bot/staff/delivery.ts).
   */
  private async startExternal(step: WaterfallStepContext, options: HandoffOptions): Promise<DialogTurnResult> {
    const context = step.context;
    const reason = options.start ? `asked for a person (${options.start})` : 'asked for a person';
    // The bot keeps no message history: the transcript is the request (redacted) and the bot's note, no PHI.
    const activities = [
      { type: 'message', from: { id: context.activity.from.id, role: 'user' }, text: redactTranscriptText(context.activity.text ?? ''), timestamp: new Date() },
      { type: 'message', from: { id: context.activity.recipient?.id ?? 'bot', role: 'bot' }, text: `From the bot: Reason: ${reason}.`, timestamp: new Date() },
    ] as Partial<Activity>[] as Activity[];
    await context.sendActivity(EventFactory.createHandoffInitiation(context, { skill: 'portal-support' }, { activities }));
    await this.deps.handoff!.setExternalState!(handoffConversationKey(context), 'pending', { conversationRef: conversationRef(context) });
    this.deps.logger.info({ handoff: 'external' }, 'handoff initiated to the agent hub');
    await say(context, `I've asked for a person from the ${this.deps.practice.name} team. They'll join this conversation shortly.`);
    return step.endDialog({} satisfies FlowResult);
  }

  private async offerStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const yesNo = recogniseYesNo(step.result);
    if (yesNo === 'yes') {
      return askFor(
        step,
        'contact',
        { text: 'What phone number or email address should they use to reach you? (Please don\'t include medical details.)' },
        'Please type a phone number (for example 555-010-1234) or an email address.',
      );
    }
    if (yesNo === 'no') {
      await say(step.context, 'No problem. Is there anything else I can help you with?');
      return step.endDialog({} satisfies FlowResult);
    }
    return step.endDialog({ reroute: true } satisfies FlowResult);
  }

  private async contactStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answer = readAsked(step.result, 'contact');
    if (!('value' in answer)) {
      if (this.deps.isNewQuestion(step.context.activity.text ?? '')) return step.endDialog({ reroute: true } satisfies FlowResult);
      await say(step.context, `Sorry, I couldn't read a phone number or email there. ${contactPracticeText(this.deps.practice)}`);
      return step.endDialog({} satisfies FlowResult);
    }
    const ref = await this.deps.handoff!.fileCallback({
      channel: step.context.activity.channelId,
      reason: ((step.options ?? {}) as HandoffOptions).mode === 'callback' ? 'no one took the chat in time' : 'asked for a person',
      context: { flows: ['handoff'] },
      contact: answer.value,
      conversationRef: conversationRef(step.context),
    });
    await say(
      step.context,
      `Thanks. I've passed your message to the practice (reference ${ref}). Someone will contact you ${this.deps.handoff!.responseTime}.`,
    );
    return step.endDialog({} satisfies FlowResult);
  }
}

export interface HandoffTurnsDeps {
  handoff: HandoffPort;
  faq: FaqService;
  practice: PracticeInfo;
  logger: Logger;
  isNewQuestion(text: string): boolean;
  /**
   * What the turn already read of the conversation's handoff keys, with its lock (bot/app.ts): the check before
   * routing, on every message, then costs no Redis round trip of its own.
   */
  keysRead?: (context: TurnContext) => ConversationKeysRead | undefined;
}

/** The pre-routing check of dialogs/conversation.ts (see the file comment). */
export class HandoffTurns {
  /** Added to the conversation's top-level dialog set: a callback accepted after a time-out runs it there. */
  readonly dialog: HandoffDialog;

  constructor(private readonly deps: HandoffTurnsDeps) {
    this.dialog = new HandoffDialog(deps);
  }

  /**
   * Handles the message if this conversation has a handoff: returns true when it did (nothing else
   * should route it), false when the bot routes it as usual.
   */
  async onMessage(context: TurnContext, dc: () => Promise<DialogContext>, text: string, decision: Decision): Promise<boolean> {
    const key = handoffConversationKey(context);
    if (this.deps.handoff.mode === 'external') return this.onExternalMessage(context, dc, key, text);
    const current = await this.deps.handoff.current(key, this.deps.keysRead?.(context));
    if (!current) return false;

    if (current.status === 'claimed') {
      // A person has the conversation: the bot is silent and passes the message on.
      if (text) await this.deps.handoff.patientSaid(current.id, text);
      return true;
    }

    if (current.status === 'timed-out') {
      // The patient was offered a callback (proactively, or on their last message).
      return this.answerCallbackOffer(context, dc, key, text);
    }

    if (current.status !== 'waiting') {
      await this.deps.handoff.forget(key);
      return false;
    }

    if (interruption(text, decision, false) === 'cancel') {
      await this.deps.handoff.leave(current.id, key);
      await say(context, "OK, you've left the queue. What else can I help you with?");
      return true;
    }

    if (current.overdue && (await this.deps.handoff.timeOut(current.id))) {
      await say(context, { text: `${TIMED_OUT_TEXT} ${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`, choices: YES_NO });
      return true;
    }

    const entry = decision.type === 'answer' && decision.id !== 'handoff' ? this.deps.faq.entry(decision.id) : undefined;
    if (entry && entry.kind !== 'intent') {
      await say(context, entry.answer);
      await say(context, `You keep your place. ${queueStatusText(current)}`);
      return true;
    }
    await say(context, `${queueStatusText(current)} A person will be with you as soon as possible. Type "cancel" to leave the queue.`);
    return true;
  }

  /**
   * HANDOFF_MODE=external: after `accepted` the hub's agent has the conversation and the bot is silent;
   * after `failed` the patient was offered a callback, answered here. Pending: the bot answers as usual.
   */
  private async onExternalMessage(context: TurnContext, dc: () => Promise<DialogContext>, key: string, text: string): Promise<boolean> {
    const state = await this.deps.handoff.externalState?.(key, this.deps.keysRead?.(context));
    if (state === 'accepted') return true;
    if (state !== 'failed') return false;
    return this.answerCallbackOffer(context, dc, key, text);
  }

  /**
   * The patient's reply to a callback offer (after a time-out, or a hub that could not take the conversation):
   * "yes" starts the callback request, "no" closes it; anything else is routed as usual.
   */
  private async answerCallbackOffer(context: TurnContext, dc: () => Promise<DialogContext>, key: string, text: string): Promise<boolean> {
    await this.deps.handoff.forget(key);
    const yesNo = recogniseYesNo(text);
    if (yesNo === 'yes') {
      await (await dc()).beginDialog(HANDOFF_DIALOG, { mode: 'callback', offered: 'yes' } satisfies HandoffOptions);
      return true;
    }
    if (yesNo === 'no') {
      await say(context, 'No problem. Is there anything else I can help you with?');
      return true;
    }
    return false;
  }

  /**
   * External mode: while the hub has (or is about to have) the conversation, a `handoff.alert` event goes to the
   * channel with the alert, beside the emergency answer the agent sees in the conversation itself.
   */
  private async alertAgentHub(context: TurnContext): Promise<void> {
    const state = await this.deps.handoff.externalState?.(handoffConversationKey(context));
    if (state !== 'pending' && state !== 'accepted') return;
    await context.sendActivity({
      type: 'event',
      name: 'handoff.alert',
      value: { kind: 'emergency', text: EMERGENCY_ALERT },
      relatesTo: TurnContext.getConversationReference(context.activity) as ConversationReference,
    });
    await this.deps.handoff.externalEmergency?.(conversationRef(context));
    this.deps.logger.warn({ handoff: 'external', decision: 'emergency' }, 'agent hub alerted: emergency wording');
  }

  /** Emergency wording in a conversation with a handoff: the staff member is alerted (after the emergency reply). */
  async onEmergency(context: TurnContext): Promise<void> {
    if (this.deps.handoff.mode === 'external') return this.alertAgentHub(context);
    const current = await this.deps.handoff.current(handoffConversationKey(context));
    if (!current || (current.status !== 'waiting' && current.status !== 'claimed')) return;
    await this.deps.handoff.patientSaid(current.id, context.activity.text ?? '');
    await this.deps.handoff.alertEmergency(current.id);
  }
}
