/**
 * PortalBot: the ActivityHandler behind /api/messages.
 *
 * A turn: take the conversation's turn lock → emergency check → if a dialog is waiting, let
 * cancel/help interrupt it or continue it → else start the main dialog → save state (TTL refreshed).
 */
import { ActivityHandler, type ConversationState, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import { DialogSet, DialogTurnStatus, type DialogState } from 'botbuilder-dialogs';
import type { Logger } from '../services/logger';
import { TurnLockTimeoutError, type TurnLock } from '../services/state/turnLock';
import { inFlow, MAIN_DIALOG, type FaqService, type MainDialog, type MainOptions } from '../dialogs/mainDialog';
import { say } from '../dialogs/prompts';
import { foldTyped } from './render';

export interface PortalBotDeps {
  conversationState: ConversationState;
  dialogState: StatePropertyAccessor<DialogState>;
  mainDialog: MainDialog;
  faq: FaqService;
  turnLock: TurnLock;
  logger: Logger;
}

const CANCEL = /^(cancel|start over|restart|stop|quit|exit|never ?mind|forget it|main menu|menu|go back to (the )?(start|menu))$/;
const HELP = /^(help|\?|what can you do|options)$/;

export class PortalBot extends ActivityHandler {
  private readonly dialogs: DialogSet;

  constructor(private readonly deps: PortalBotDeps) {
    super();
    this.dialogs = new DialogSet(deps.dialogState);
    this.dialogs.add(deps.mainDialog);

    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });

    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const joined = (context.activity.membersAdded ?? []).some((m) => m.id !== botId);
      if (joined) {
        const dc = await this.dialogs.createContext(context);
        if (!dc.activeDialog) await dc.beginDialog(MAIN_DIALOG, { menu: 'welcome' } satisfies MainOptions);
      }
      await next();
    });
  }

  /** Runs the turn under the conversation's lock and saves state before releasing it. */
  override async run(context: TurnContext): Promise<void> {
    const conversationKey = `${context.activity.channelId}/${context.activity.conversation.id}`;
    try {
      await this.deps.turnLock.withLock(conversationKey, async () => {
        try {
          await super.run(context);
          await this.deps.conversationState.saveChanges(context, false);
        } catch (err) {
          // Start this conversation afresh, still under its lock; the adapter's onTurnError tells the patient.
          await this.deps.conversationState.delete(context).catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof TurnLockTimeoutError)) throw err;
      this.deps.logger.warn({ event: 'turn-lock-timeout' }, 'turn lock not acquired');
      await context.sendActivity("I'm still working on your previous message. Please send that again in a moment.");
    }
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const text = (context.activity.text ?? '').trim();
    const dc = await this.dialogs.createContext(context);

    const decision = this.deps.faq.decide(text);
    if (decision.type === 'emergency') {
      const interrupted = inFlow(dc);
      await dc.cancelAllDialogs();
      await say(context, this.deps.faq.entry('emergency')?.answer ?? 'If this is an emergency, call 911 now.');
      if (interrupted) await say(context, "I've stopped what we were doing. When you're safe, you can start again at any time.");
      this.deps.logger.info({ decision: 'emergency' }, 'emergency answered');
      return;
    }

    if (dc.activeDialog) {
      const cmd = foldTyped(text);
      const saysCancel = CANCEL.test(cmd) || (decision.type === 'answer' && decision.id === 'cancel' && cmd.split(' ').length <= 6);
      if (saysCancel) {
        await dc.cancelAllDialogs();
        this.deps.logger.info({ interrupt: 'cancel' }, 'dialogs cancelled');
        await dc.beginDialog(MAIN_DIALOG, { menu: 'cancelled' } satisfies MainOptions);
        return;
      }
      // "help" inside a flow explains the question; at the main menu it is routed like any message.
      if (HELP.test(cmd) && inFlow(dc)) {
        await say(context, "I'm waiting for your answer to my last question. You can also type \"cancel\" to start over.");
        await dc.repromptDialog();
        return;
      }
      const result = await dc.continueDialog();
      if (result.status !== DialogTurnStatus.empty) return;
    }
    if (!text) {
      await say(context, 'Please type your question, for example "I forgot my password".');
      return;
    }
    await dc.beginDialog(MAIN_DIALOG, {} satisfies MainOptions);
  }
}
