/**
 * Proactive messages to a patient from any bot instance: the conversation reference stored when the
 * patient joined the queue, `adapter.continueConversationAsync`, and the same channel rendering as a turn
 * (bot/render.ts), so SMS gets GSM-7 text and Teams cards. Also the time-out sweeper: a waiting handoff
 * nobody claimed within HANDOFF_WAIT_SECONDS is closed (atomically, so one instance wins) and the patient
 * is offered a callback.
 *
 * HANDOFF_MODE=external: `onHandoffStatus` honours the agent hub's `handoff.status` events (PortalBot calls it
 * for event activities, under the turn lock) — `accepted`: the bot is silent (dialogs/handoffDialog.ts); `failed`: the patient is told
 * and offered a callback; `completed`: the bot resumes with fresh state.
 */
import type { CloudAdapter, ConversationReference, ConversationState, TurnContext } from 'botbuilder';
import type { HandoffDesk } from '../../services/handoff';
import type { Logger } from '../../services/logger';
import { CALLBACK_OFFER, queueStatusText, TIMED_OUT_TEXT } from '../../dialogs/handoffDialog';
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

/** Longest a staff action waits for a proactive message to reach the patient's channel. */
const SEND_TIMEOUT_MS = 8000;

export class PatientDelivery {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: DeliveryDeps) {}

  /**
   * A `handoff.status` event from the agent hub (external mode): handled here, true. Anything else: false.
   * PortalBot calls it for event activities, inside the conversation's turn lock.
   */
  async onHandoffStatus(context: TurnContext): Promise<boolean> {
    const a = context.activity;
    if (a.type !== 'event' || a.name !== 'handoff.status' || this.deps.desk.mode !== 'external') return false;
    const key = `${a.channelId}/${a.conversation?.id ?? ''}`;
    const state = (a.value as { state?: unknown } | undefined)?.state;
    this.deps.logger.info({ handoff: 'external', state: typeof state === 'string' ? state.slice(0, 20) : undefined }, 'handoff status from the agent hub');
    useChannelRendering(context);
    if (state === 'accepted') {
      await this.deps.desk.setExternalState(key, 'accepted');
    } else if (state === 'failed') {
      await this.deps.desk.setExternalState(key, 'failed');
      await context.sendActivity(
        replyActivity({
          text: `Sorry, no one from the team could take the conversation right now. ${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`,
          choices: [{ label: 'Yes', value: 'Yes' }, { label: 'No', value: 'No' }],
        }),
      );
    } else if (state === 'completed') {
      await this.deps.desk.setExternalState(key, null);
      await this.deps.desk.forget(key);
      await this.deps.conversationState.delete(context);
      await context.sendActivity(replyActivity({ text: "You're back with the portal assistant. What else can I help you with?" }));
    }
    return true;
  }

  /** Sends `text` to the patient; with `freshState`, their dialog state is deleted first (back to the bot). */
  async send(reference: unknown, text: string, opts: { freshState?: boolean; choices?: string[] } = {}): Promise<boolean> {
    if (!reference) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const sent = this.deps.adapter.continueConversationAsync(this.deps.appId, reference as Partial<ConversationReference>, async (context) => {
        useChannelRendering(context);
        if (opts.freshState) await this.deps.conversationState.delete(context);
        await context.sendActivity(replyActivity({ text, choices: (opts.choices ?? []).map((c) => ({ label: c, value: c })) }));
      });
      // The connector client retries an unreachable channel for a long time: the staff member's request (and
      // the sweep) waits SEND_TIMEOUT_MS at most and hears "not delivered"; the send may still finish later.
      const timedOut = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('proactive send timed out')), SEND_TIMEOUT_MS)));
      sent.catch(() => undefined); // a late failure after the time-out is not an unhandled rejection
      await Promise.race([sent, timedOut]);
      return true;
    } catch (err) {
      this.deps.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'proactive message to the patient failed');
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes overdue waiting handoffs and offers each patient a callback. */
  async sweep(): Promise<void> {
    for (const id of await this.deps.desk.queue.overdue(this.deps.desk.waitSeconds)) {
      if (!(await this.deps.desk.timeOut(id))) continue;
      await this.send(await this.deps.desk.queue.reference(id), `${TIMED_OUT_TEXT} ${contactPracticeText(this.deps.practice)}\n\n${CALLBACK_OFFER}`, { choices: ['Yes', 'No'] });
    }
  }

  /**
   * Tells each waiting patient whose place moved up (someone ahead was claimed, left or timed out) their new
   * position and wait. Runs with the sweep on every instance; markToldPosition makes one instance send it.
   */
  async updatePositions(): Promise<void> {
    for (const h of await this.deps.desk.queue.waiting()) {
      if (h.status !== 'waiting' || !h.position) continue;
      const told = await this.deps.desk.queue.markToldPosition(h.id, h.position);
      if (told === null || told <= h.position) continue;
      const waitMinutes = await this.deps.desk.queue.estimateMinutes(h.position);
      await this.send(await this.deps.desk.queue.reference(h.id), `The queue has moved. ${queueStatusText({ id: h.id, status: h.status, position: h.position, waitMinutes, overdue: false })}`);
    }
  }

  start(intervalMs = 2000): void {
    // One round at a time per instance: a slow round overlapping the next would read stale positions.
    let running = false;
    this.timer ??= setInterval(() => {
      if (running) return;
      running = true;
      this.sweep()
        .then(() => this.updatePositions())
        .catch((err: Error) => this.deps.logger.warn({ err: { name: err.name, message: err.message } }, 'handoff time-out sweep failed'))
        .finally(() => (running = false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
