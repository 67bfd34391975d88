/**
 * PortalBot: the ActivityHandler behind /api/messages.
 *
 * A turn: take the conversation's turn lock → render what the turn sends for its channel → let the
 * conversation (dialogs/) handle the message or the join → save state (TTL refreshed) → release the lock.
 * What a message means is decided in dialogs/routing.ts, not here.
 */
import { ActivityHandler, type ConversationState, type TurnContext } from 'botbuilder';
import type { Logger } from '../services/logger';
import { TurnLockTimeoutError, type TurnLock } from '../services/state/turnLock';
import type { Conversation } from '../dialogs';
import { useChannelRendering } from './render';

export interface PortalBotDeps {
  conversationState: ConversationState;
  conversation: Conversation;
  turnLock: TurnLock;
  logger: Logger;
}

export class PortalBot extends ActivityHandler {
  constructor(private readonly deps: PortalBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      await deps.conversation.onMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      await deps.conversation.onMembersAdded(context);
      await next();
    });
  }

  /** Runs the turn under the conversation's lock and saves state before releasing it. */
  override async run(context: TurnContext): Promise<void> {
    useChannelRendering(context);
    const conversationKey = `${context.activity.channelId}/${context.activity.conversation.id}`;
    try {
      await this.deps.turnLock.withLock(conversationKey, async () => {
        try {
          await super.run(context);
          await this.deps.conversationState.saveChanges(context, false);
        } catch (err) {
          // Start this conversation afresh, still under its lock; the adapter's onTurnError tells the patient.
          await this.deps.conversationState.delete(context).catch((deleteErr: Error) => {
            this.deps.logger.error({ err: { name: deleteErr.name, message: deleteErr.message } }, 'could not reset conversation state after a failed turn');
          });
          throw err;
        }
      });
    } catch (err) {
      if (!(err instanceof TurnLockTimeoutError)) throw err;
      this.deps.logger.warn({ event: 'turn-lock-timeout' }, 'turn lock not acquired');
      await context.sendActivity("I'm still working on your previous message. Please send that again in a moment.");
    }
  }
}
