/**
 * Builds the conversation the bot runs: the practice's knowledge base, every flow dialog from the registry,
 * and the main dialog, over conversation state the host provides.
 */
import type { ConversationState } from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import type { TurnContext } from 'botbuilder';
import type { ConversationKeysRead, HandoffPort } from '../services/handoff';
import type { Logger } from '../services/logger';
import type { MissLog } from '../services/insights/misses';
import type { Recovery } from '../services/recovery';
import type { Sealer } from '../services/state/sealer';
import { Conversation } from './conversation';
import { createFaqService, DEFAULT_REQUEST_RESPONSE_TIME, loadPracticeKnowledgeBase, type FaqService } from './faq';
import { MainDialog, type SessionState } from './mainDialog';
import type { PracticeInfo } from './messages';
import { createFlowDialogs } from './registry';
import { HandoffTurns } from './handoffDialog';
import { isNewQuestion } from './routing';

export { Conversation } from './conversation';
export type { FaqService } from './faq';

export interface ConversationOptions {
  conversationState: ConversationState;
  practice: PracticeInfo;
  recovery: Recovery;
  sealer: Sealer;
  logger: Logger;
  /** A knowledge base other than the shipped one (tests). */
  faq?: FaqService;
  /** Counts unanswered questions. */
  misses?: MissLog;
  /** The live-handoff queue (services/handoff); absent = "talk to a person" gives the practice's contact only. */
  handoff?: HandoffPort;
  /** What the turn already read of the conversation's handoff keys, with its lock (see HandoffTurnsDeps). */
  handoffKeysRead?: (context: TurnContext) => ConversationKeysRead | undefined;
  /** How soon the practice answers a request, as told to patients (config REQUEST_RESPONSE_TIME). */
  requestResponseTime?: string;
}

export function createConversation(options: ConversationOptions): Conversation {
  const { conversationState, practice, recovery, sealer, logger } = options;
  const requestResponseTime = options.requestResponseTime ?? DEFAULT_REQUEST_RESPONSE_TIME;
  const faq = options.faq ?? createFaqService(loadPracticeKnowledgeBase(practice, requestResponseTime));
  const { handoff } = options;
  const dialogs = createFlowDialogs({ recovery, sealer, logger, practice, requestResponseTime, handoff, isNewQuestion: (text) => isNewQuestion(faq, text) });
  const mainDialog = new MainDialog({
    faq,
    session: conversationState.createProperty<SessionState>('session'),
    practice,
    logger,
    dialogs,
    misses: options.misses,
  });
  const handoffTurns = handoff
    ? new HandoffTurns({ handoff, faq, practice, logger, isNewQuestion: (text) => isNewQuestion(faq, text), keysRead: options.handoffKeysRead })
    : undefined;
  return new Conversation({ dialogState: conversationState.createProperty<DialogState>('dialogState'), mainDialog, faq, practice, logger, handoffTurns });
}
