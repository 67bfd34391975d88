/**
 * The scope of one chat turn, as seen by the use cases: which mails the turn asked to send, and whether
 * the turn was abandoned (it missed its deadline or failed, and the patient was told so).
 *
 * "Nothing half-done": a turn that told the patient it failed must not send mail. The host (bot/portalBot.ts)
 * gives each turn a scope, kept in the turn's `turnState` (`attachTurnScope`); the dialogs hand it to the use
 * cases in the `Caller` (`Caller.turn`), and every `mailer.send` of a use case called with one is held by
 * `deferMail` (see `createRecovery`) and queued by `flushMail` only after the turn saved its state, as the
 * turn's last step before its reply. A turn that fails or misses its deadline before that queues nothing; one that is
 * abandoned while queueing cancels the mails whose queueing started (a command sent to a paused Redis
 * runs when Redis resumes) through `onAbandon`.
 *
 * The scope is passed explicitly, not through AsyncLocalStorage: on Node 20 an AsyncLocalStorage in use turns
 * on async hooks for every promise of the process, which cost the FAQ turn ≈ 9 % of its CPU (docs/performance.md).
 */

export class TurnAbandonedError extends Error {
  constructor() {
    super('the turn was abandoned (deadline passed or it failed); no further work is done for it');
    this.name = 'TurnAbandonedError';
  }
}

export class TurnScope {
  private abandonedFlag = false;
  private readonly mailKeys: string[] = [];
  private readonly deferred: Array<{ key: string; send: () => Promise<void> }> = [];
  private flushFloorMs = 0;

  /** `onAbandon` receives the idempotency keys of every mail this turn asked to send, once, when it is abandoned. */
  constructor(private readonly onAbandon: (idempotencyKeys: string[]) => void = () => undefined) {}

  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  /** Marks the turn abandoned and cancels the mails it asked to send. Idempotent. */
  abandon(): void {
    if (this.abandonedFlag) return;
    this.abandonedFlag = true;
    if (this.mailKeys.length) this.onAbandon([...this.mailKeys]);
  }

  /**
   * Holds a mail until the turn commits (`flushMail`, after its state is saved): a turn that fails
   * before then queues nothing. @throws TurnAbandonedError once the turn was abandoned.
   */
  deferMail(idempotencyKey: string, send: () => Promise<void>): void {
    if (this.abandonedFlag) throw new TurnAbandonedError();
    this.deferred.push({ key: idempotencyKey, send });
  }

  /**
   * Queues the held mails, one after another. A mail whose queueing started is cancelled if the turn is
   * abandoned (its command may still run when a paused Redis resumes); once every mail is queued the
   * turn only has its reply left to write.
   */
  async flushMail(): Promise<void> {
    const until = performance.now() + this.flushFloorMs;
    while (this.deferred.length) {
      if (this.abandonedFlag) throw new TurnAbandonedError();
      const { key, send } = this.deferred.shift() as { key: string; send: () => Promise<void> };
      this.mailKeys.push(key);
      await send();
    }
    // When an account-revealing use case ran, queueing its mail (or having none to queue) takes the same
    // floor, so the reply time does not tell whether there was a mail.
    const left = until - performance.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }

  /** True while `flushMail` has work: held mails, or a timing floor to keep. */
  get pendingFlush(): boolean {
    return this.deferred.length > 0 || this.flushFloorMs > 0;
  }

  /** Makes `flushMail` take at least `ms` (set by the recovery use cases' timing floor). */
  padFlush(ms: number): void {
    this.flushFloorMs = Math.max(this.flushFloorMs, ms);
  }
}

/** Where a turn's scope is kept in its `turnState` (a botbuilder TurnContext's per-turn map). */
const TURN_SCOPE_KEY = Symbol('portal.turnScope');

/** Per-turn storage: botbuilder's `context.turnState` (a Map). */
type TurnStateMap = Map<unknown, unknown>;

/** Makes `scope` the scope of the turn whose `turnState` this is (the host, once per turn). */
export function attachTurnScope(turnState: TurnStateMap, scope: TurnScope): void {
  turnState.set(TURN_SCOPE_KEY, scope);
}

/** The scope of the turn whose `turnState` this is, if the host gave it one. */
export function turnScopeIn(turnState: TurnStateMap): TurnScope | undefined {
  const scope = turnState.get(TURN_SCOPE_KEY);
  return scope instanceof TurnScope ? scope : undefined;
}
