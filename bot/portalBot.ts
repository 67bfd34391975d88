/**
 * PortalBot: the ActivityHandler behind /api/messages.
 *
 * A turn: take the conversation's turn lock → render what the turn sends for its channel → let the
 * conversation (dialogs/) handle the message or the join → save state (TTL refreshed) → release the lock.
 * What a message means is decided in dialogs/routing.ts, not here.
 */
import { ActivityHandler, ActivityTypes, type TurnContext } from 'botbuilder';
import type { Logger } from '../services/logger';
import { TurnLockTimeoutError } from '../services/state/turnLock';
import type { TurnConversationState } from '../services/state/turnState';
import { isRedisUnavailable } from '../services/redis';
import { attachTurnScope, TurnAbandonedError, TurnScope } from '../services/recovery';
import type { Conversation } from '../dialogs';
import { useChannelRendering } from './render';
import type { ChannelRules } from './channels';

export interface PortalBotDeps {
  /** Conversation state under the turn lock: lock + read, and write + release, one round trip each. */
  conversationState: TurnConversationState;
  conversation: Conversation;
  logger: Logger;
  /** Attachment refusal, SMS keywords, Teams scopes (bot/channels.ts); run before the conversation. */
  channels?: ChannelRules;
  /** TURN_DEADLINE_MS: longest a turn may take before the patient is told the service is unavailable. */
  deadlineMs?: number;
  /** Cancels the mails an abandoned turn queued (bot/mailCancel.ts). */
  cancelMail?: (idempotencyKeys: string[]) => void;
  /** An agent hub's `handoff.status` event (HANDOFF_MODE=external, bot/staff/delivery.ts), under the turn lock like any turn. */
  handoffStatus?: (context: TurnContext) => Promise<boolean>;
}

/**
 * How long past its deadline a turn that already saved its state may take to queue its mail (one mail's enqueue
 * timeout, 5 s, plus a Redis command's): past it the turn is abandoned after all, so no request outlives
 * TURN_DEADLINE_MS by more than this.
 */
export const COMMITTED_GRACE_MS = 7000;

/** What the patient is told when a turn misses its deadline or Redis does not answer. */
export const UNAVAILABLE_REPLY = 'Sorry, this service is temporarily unavailable. Please try again in a few minutes.';

export class PortalBot extends ActivityHandler {
  constructor(private readonly deps: PortalBotDeps) {
    super();
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      if (!(await deps.channels?.onMembersAdded(context))) await deps.conversation.onMembersAdded(context);
      await next();
    });
    this.onEvent(async (context, next) => {
      await deps.handoffStatus?.(context);
      await next();
    });
    this.onInstallationUpdate(async (context, next) => {
      await deps.channels?.onInstallationUpdate(context);
      await next();
    });
  }

  /**
   * Runs the turn under the conversation's lock and saves state before releasing it, within the turn
   * deadline. A turn that misses its deadline, or finds Redis not answering, is abandoned: the patient is
   * told the service is temporarily unavailable, the mails it queued are cancelled, its state is not
   * saved and anything it still tries to send is dropped (it keeps running in the background until Redis
   * answers or fails, then releases its lock).
   *
   * Once the turn's state is saved the deadline no longer cuts it short: the conversation has moved on, so
   * telling the patient it failed (and cancelling its mail) would be untrue. What is left — queueing its mail,
   * behind the recovery timing floor — gets up to COMMITTED_GRACE_MS more, and a Redis failure there still ends
   * in "temporarily unavailable".
   */
  override async run(context: TurnContext): Promise<void> {
    useChannelRendering(context);
    // A refused attachment ends the turn here: no lock, no state read or saved, nothing passed on.
    if (await this.deps.channels?.beforeTurn(context)) return;
    const scope = new TurnScope(this.deps.cancelMail);
    let repliesClosed = false;
    context.onSendActivities(async (_ctx, _activities, next) => (repliesClosed ? [] : next()));
    attachTurnScope(context.turnState, scope); // the dialogs pass it to the use cases (Caller.turn)
    let committed = false;
    const work = this.runLocked(context, scope, () => {
      committed = true;
    });
    const done = work.then(() => 'done' as const);
    const deadlineMs = this.deps.deadlineMs ?? 8000;
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number) => new Promise<'deadline'>((resolve) => void timers.push(setTimeout(() => resolve('deadline'), ms)));
    const deadline = after(deadlineMs).then((d) => {
      if (!committed) return d;
      this.deps.logger.info({ event: 'turn-deadline-after-commit', deadlineMs }, 'turn passed its deadline after saving its state; letting it finish');
      return Promise.race([done, after(COMMITTED_GRACE_MS)]);
    });
    let failure: unknown;
    const outcome = await Promise.race([done, deadline]).catch((err: unknown) => {
      failure = err;
      return 'failed' as const;
    });
    for (const timer of timers) clearTimeout(timer);
    if (outcome === 'done') return;
    const unavailable = outcome === 'deadline' || isRedisUnavailable(failure) || failure instanceof TurnAbandonedError;
    scope.abandon(); // the patient is told it failed: no mail for this turn
    if (!unavailable) throw failure; // a bug: the adapter's onTurnError logs it and apologises
    if (outcome === 'deadline') {
      work.catch((err: Error) => this.deps.logger.warn({ err: { name: err.name, message: err.message } }, 'abandoned turn ended with an error'));
      this.deps.logger.warn({ event: 'turn-deadline', deadlineMs, committed }, 'turn missed its deadline; patient told the service is unavailable');
    } else {
      const err = failure as Error;
      this.deps.logger.warn({ event: 'redis-unavailable', err: { name: err.name, message: err.message } }, 'turn failed: Redis is not answering');
    }
    // Whatever the turn said before is replaced (expectReplies) by the one true outcome.
    context.bufferedReplyActivities.length = 0;
    await context.sendActivity(UNAVAILABLE_REPLY);
    repliesClosed = true;
  }

  /** A message: the channel's rules (SMS keywords, Teams scopes…), then the conversation. */
  private async handleMessage(context: TurnContext): Promise<void> {
    if (!(await this.deps.channels?.onMessage(context))) await this.deps.conversation.onMessage(context);
  }

  /**
   * A message goes straight to `handleMessage`; every other activity through ActivityHandler's dispatch. The
   * same thing happens either way (no onTurn/onDialog handlers are registered, so ActivityHandler would only
   * call the onMessage handler above), but its chain of handlers cost ≈ 3 % of an FAQ turn's CPU.
   */
  private dispatch(context: TurnContext): Promise<void> {
    return context.activity.type === ActivityTypes.Message ? this.handleMessage(context) : super.run(context);
  }

  /** `onCommitted`: called once the turn's state is saved (the conversation has moved on). */
  private async runLocked(context: TurnContext, scope: TurnScope, onCommitted: () => void): Promise<void> {
    const state = this.deps.conversationState;
    try {
      await state.withTurn(context, async (commit) => {
        try {
          await this.dispatch(context);
          if (scope.abandoned) throw new TurnAbandonedError(); // told the patient it failed: keep the old state
          if (scope.pendingFlush) {
            await state.saveChanges(context, false);
            onCommitted();
            await scope.flushMail(); // last: the mail of a turn that failed before this point is never queued
          } else {
            await commit(); // no mail to queue: save and release the lock in one round trip
            onCommitted();
          }
        } catch (err) {
          if (scope.abandoned || isRedisUnavailable(err)) throw err; // the state was not changed; Redis may not answer anyway
          // Start this conversation afresh, still under its lock; the adapter's onTurnError tells the patient.
          await state.delete(context).catch((deleteErr: Error) => {
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
