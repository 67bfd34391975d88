/**
 * The scope of one chat turn, as seen by the use cases: which mails the turn asked to send, and whether
 * the turn was abandoned (it missed its deadline or failed, and the patient was told so).
 *
 * "Nothing half-done": a turn that told the patient it failed must not send mail. The host (bot/portalBot.ts)
 * runs each turn inside a scope; every `mailer.send` of the use cases goes through `beforeMail` (see
 * `createRecovery`), so once the turn is abandoned no further mail is queued (`TurnAbandonedError`), and
 * the mails it did queue — or may have queued: a command sent to a paused Redis runs when Redis resumes —
 * are cancelled through `onAbandon`.
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

  /** Records a mail about to be queued. @throws TurnAbandonedError once the turn was abandoned. */
  beforeMail(idempotencyKey: string): void {
    if (this.abandonedFlag) throw new TurnAbandonedError();
    this.mailKeys.push(idempotencyKey);
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
