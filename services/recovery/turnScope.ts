/**
 * The scope of one chat turn, as seen by the use cases: which mails the turn asked to send, and whether
 * the turn was abandoned (it missed its deadline or failed, and the patient was told so).
 *
 * "Nothing half-done": a turn that told the patient it failed must not send mail. The host (bot/portalBot.ts)
 * runs each turn inside a scope; every `mailer.send` of the use cases is held by `deferMail` (see
 * `createRecovery`) and queued by `flushMail` only after the turn saved its state, as the turn's last
 * step before its reply. A turn that fails or misses its deadline before that queues nothing; one that is
 * abandoned while queueing cancels the mails whose queueing started (a command sent to a paused Redis
 * runs when Redis resumes) through `onAbandon`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

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

const scopes = new AsyncLocalStorage<TurnScope>();

/** Runs `fn` (a turn) inside `scope`: everything it awaits sees the scope. */
export function runInTurnScope<T>(scope: TurnScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

/** The scope of the turn this code runs in, if any (none for the reset page or the admin CLI). */
export function currentTurnScope(): TurnScope | undefined {
  return scopes.getStore();
}
