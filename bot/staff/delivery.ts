/**
 * Proactive messages to a patient from any bot instance: the conversation reference stored when the
 * patient joined the queue, `adapter.continueConversationAsync`, and the same channel rendering as a turn
 * (bot/render.ts), so SMS gets GSM-7 text and Teams cards. Also the time-out sweeper: a waiting handoff
 * nobody claimed within HANDOFF_WAIT_SECONDS is closed (atomically, so one instance wins) and the patient
 * is offered a callback.
 */
import type { CloudAdapter, ConversationReference, ConversationState } from 'botbuilder';
import type { HandoffDesk } from '../../services/handoff';
import type { Logger } from '../../services/logger';
import { CALLBACK_OFFER, TIMED_OUT_TEXT } from '../../dialogs/handoffDialog';
import { contactPracticeText, type PracticeInfo } from '../../dialogs/messages';
import { replyActivity } from '../../dialogs/prompts';
import { useChannelRendering } from '../render';

export interface DeliveryDeps {
  adapter: CloudAdapter;
  appId: string;
  conversationState: ConversationState;
  desk: HandoffDesk;
  practice: PracticeInfo;
  logger: Logger;
}

export class PatientDelivery {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DeliveryDeps) {}

  /** Sends `text` to the patient; with `freshState`, their dialog state is deleted first (back to the bot). */
  async send(reference: unknown, text: string, opts: { freshState?: boolean; choices?: string[] } = {}): Promise<boolean> {
    if (!reference) return false;
    try {
      await this.deps.adapter.continueConversationAsync(this.deps.appId, reference as Partial<ConversationReference>, async (context) => {
        useChannelRendering(context);
        if (opts.freshState) await this.deps.conversationState.delete(context);
        await context.sendActivity(replyActivity({ text, choices: (opts.choices ?? []).map((c) => ({ label: c, value: c })) }));
      });
      return true;
    } catch (err) {
      this.deps.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'proactive message to the patient failed');
      return false;
    }
  }

  /** Closes overdue waiting handoffs and offers each patient a callback. */
  async sweep(): Promise<void> {
    for (const id of await this.deps.desk.queue.overdue(this.deps.desk.waitSeconds)) {
      if (!(await this.deps.desk.timeOut(id))) continue;
      await this.send(await this.deps.desk.queue.reference(id), `${TIMED_OUT_TEXT} ${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`, { choices: ['Yes', 'No'] });
    }
  }

  start(intervalMs = 2000): void {
    this.timer ??= setInterval(() => {
      this.sweep().catch((err: Error) => this.deps.logger.warn({ err: { name: err.name, message: err.message } }, 'handoff time-out sweep failed'));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
