/**
 * The conversation's entry points for the bot: a message (routed in the order routing.ts documents) and a
 * patient joining (the welcome). The bot host calls these inside the conversation's turn lock and saves
 * state afterwards; everything about what a message means happens here, in the dialogs layer.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogContext, type DialogState, type DialogStateManagerConfiguration } from 'botbuilder-dialogs';
import type { Logger } from '../services/logger';
import type { FaqService } from './faq';
import { MAIN_DIALOG, type MainDialog, type MainOptions, type Routed, type StartFlow } from './mainDialog';
import { contactPracticeText, EMERGENCY_KEPT_ANSWER, EMERGENCY_STOPPED_FLOW, emergencyAnswer, FRUSTRATION_ACK, type PracticeInfo } from './messages';
import { say } from './prompts';
import { FLOWS } from './registry';
import type { HandoffTurns } from './handoffDialog';
import { currentFlow, inFlow, interruption, showsFrustration, sideQuestion, typedAnswerKeepsFlow } from './routing';

export interface ConversationDeps {
  dialogState: StatePropertyAccessor<DialogState>;
  mainDialog: MainDialog;
  faq: FaqService;
  practice: PracticeInfo;
  logger: Logger;
  /** Live handoff (dialogs/handoffDialog.ts): asked after the emergency check, before routing. */
  handoffTurns?: HandoffTurns;
}

/** Where botbuilder-dialogs' DialogStateManager looks for (and caches) its configuration in a turn's turnState. */
const DIALOG_STATE_MANAGER_CONFIGURATION = 'DialogStateManagerConfiguration';

export class Conversation {
  private readonly dialogs: DialogSet;
  /**
   * DialogStateManager's configuration (memory scopes, path resolvers), which botbuilder-dialogs builds afresh
   * every turn: built by the first turn, then given to every later one. Its scopes keep nothing of a turn
   * (they read the turn's context), and this bot adds no per-turn scopes.
   */
  private stateManagerConfiguration: DialogStateManagerConfiguration | undefined;

  constructor(private readonly deps: ConversationDeps) {
    this.dialogs = new DialogSet(deps.dialogState);
    this.dialogs.add(deps.mainDialog);
    if (deps.handoffTurns) this.dialogs.add(deps.handoffTurns.dialog);
  }

  private async createContext(context: TurnContext): Promise<DialogContext> {
    if (this.stateManagerConfiguration && !context.turnState.has(DIALOG_STATE_MANAGER_CONFIGURATION)) {
      context.turnState.set(DIALOG_STATE_MANAGER_CONFIGURATION, this.stateManagerConfiguration);
    }
    const dc = await this.dialogs.createContext(context);
    this.stateManagerConfiguration ??= dc.state.configuration;
    return dc;
  }

  /** A patient (not the bot) joined: greet them with the menu, unless a dialog is running or an offer is pending. */
  async onMembersAdded(context: TurnContext): Promise<void> {
    const botId = context.activity.recipient?.id;
    const joined = (context.activity.membersAdded ?? []).some((m) => m.id !== botId);
    if (!joined) return;
    const dc = await this.createContext(context);
    if (!dc.activeDialog && !(await this.deps.mainDialog.hasPending(context))) await this.start(async () => dc, await this.deps.mainDialog.route(context, { menu: 'welcome' }));
  }

  /** Begins the main dialog on the flow routing asked for, if any. */
  private async start(dialogs: () => Promise<DialogContext>, routed: Routed): Promise<void> {
    if (routed) await (await dialogs()).beginDialog(MAIN_DIALOG, { start: routed } satisfies StartFlow);
  }

  /**
   * Ends whatever is in progress, without a reply: the caller says why (an SMS opt-out, bot/sms.ts).
   * Returns true when a flow was in progress.
   */
  async cancel(context: TurnContext): Promise<boolean> {
    const dc = await this.createContext(context);
    const wasInFlow = inFlow(dc);
    await this.stopAll(dc, context);
    return wasInFlow;
  }

  /** Nothing waits any more: the flows on the dialog stack are cancelled and a pending offer is dropped. */
  private async stopAll(dc: DialogContext, context: TurnContext): Promise<void> {
    if (dc.activeDialog) await dc.cancelAllDialogs();
    await this.deps.mainDialog.takePending(context);
  }

  /** Routes one message: emergency → interruptions → the waiting dialog → the main dialog. */
  async onMessage(context: TurnContext): Promise<void> {
    const text = (context.activity.text ?? '').trim();
    // The dialog context only when something needs it: a message at the main menu (no flow running) needs none.
    let made: DialogContext | undefined;
    const dialogs = async (): Promise<DialogContext> => (made ??= await this.createContext(context));
    const flowWaiting = ((await this.deps.dialogState.get(context))?.dialogStack?.length ?? 0) > 0;
    let decision = this.deps.faq.decide(text);

    // 1. Emergency: the emergency answer first, whatever was in progress, which stops — except a one-word reply to a
    //    name or security question that reads as an emergency only after typo correction ("Fant" → "faint"): the
    //    emergency answer is still given, and the flow also takes the word as its answer and goes on.
    if (decision.type === 'emergency') {
      const dc = await dialogs();
      const keepFlow = typedAnswerKeepsFlow(dc, this.deps.faq, text);
      const interrupted = !keepFlow && inFlow(dc);
      if (!keepFlow) await this.stopAll(dc, context);
      await say(context, emergencyAnswer(this.deps.faq));
      if (interrupted) await say(context, EMERGENCY_STOPPED_FLOW);
      if (keepFlow) await say(context, EMERGENCY_KEPT_ANSWER);
      this.deps.logger.info({ decision: 'emergency', keptFlow: keepFlow }, 'emergency answered');
      await this.deps.handoffTurns?.onEmergency(context); // a person waiting or chatting is alerted
      if (!keepFlow) return;
      decision = { type: 'none', candidates: [] }; // the waiting dialog reads the word as its answer
    }

    // 1b. A person has (or is about to have) this conversation: waiting, claimed, or a callback offer after a time-out.
    if (await this.deps.handoffTurns?.onMessage(context, dialogs, text, decision)) return;

    // Frustration is acknowledged in a sentence, then the message is handled as usual.
    if (showsFrustration(text)) await say(context, FRUSTRATION_ACK);

    // 2. A flow is waiting: cancel and help interrupt it; anything else is its answer.
    if (flowWaiting) {
      const dc = await dialogs();
      const interrupt = interruption(text, decision, inFlow(dc));
      if (interrupt === 'cancel') {
        await this.stopAll(dc, context);
        this.deps.logger.info({ interrupt: 'cancel' }, 'dialogs cancelled');
        await this.start(dialogs, await this.deps.mainDialog.route(context, { menu: 'cancelled' } satisfies MainOptions));
        return;
      }
      if (interrupt === 'help') {
        await say(context, "I'm waiting for your answer to my last question. You can also type \"cancel\" to start over.");
        await dc.repromptDialog();
        return;
      }
      // A side question: answer it, then come back to the flow's question with everything it has so far.
      const side = sideQuestion(dc, this.deps.faq, text, decision);
      if (side) {
        const flow = currentFlow(dc);
        const label = flow ? FLOWS[flow].label : 'what we were doing';
        if (side === 'handoff') {
          await say(context, `${contactPracticeText(this.deps.practice)}\n\nI've kept what you told me so far, so if you'd rather carry on here, we can continue with ${label}.`);
        } else {
          // On SMS the short form, so the answer and the question asked again fit the patient's phone.
          const entry = this.deps.faq.entry(side);
          await say(context, (context.activity.channelId === 'sms' ? entry?.sms : undefined) ?? entry?.answer ?? '');
          await say(context, `Now, back to ${label} (or type "cancel" to stop):`);
        }
        this.deps.logger.info({ interrupt: 'side-question', intent: side, flow }, 'answered a side question');
        await dc.repromptDialog();
        return;
      }
      const result = await dc.continueDialog();
      if (result.status !== DialogTurnStatus.empty) return;
    }

    // 2b. An offer is pending (the menu, "did you mean", "would you like me to…"): "cancel" shows the menu again;
    // anything else answers the offer, or is routed as a new question.
    const pending = await this.deps.mainDialog.takePending(context);
    if (pending) {
      if (interruption(text, decision, false) === 'cancel') {
        this.deps.logger.info({ interrupt: 'cancel' }, 'offer cancelled');
        await this.start(dialogs, await this.deps.mainDialog.route(context, { menu: 'cancelled' } satisfies MainOptions));
        return;
      }
      await this.start(dialogs, await this.deps.mainDialog.followUp(context, pending));
      return;
    }

    // 3. Nothing waiting: the main dialog routes the message (a flow it starts runs in the dialog).
    if (!text) {
      await say(context, 'Please type your question, for example "I forgot my password".');
      return;
    }
    await this.start(dialogs, await this.deps.mainDialog.route(context));
  }
}
