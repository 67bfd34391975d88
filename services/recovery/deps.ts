/**
 * What the recovery use cases need: the account services, built once (services/accountServices.ts) and
 * passed in, plus the few settings that shape links and notices.
 */
import type { Logger } from '../logger';
import type { PortalDirectory } from '../directory';
import type { TokenService } from '../tokens';
import type { Mailer } from '../mail';
import type { AuditLog } from '../audit';
import type { Limits, SecurityQuestionLock } from '../limits';
import type { RequestQueue } from '../requests';
import type { TurnScope } from './turnScope';

export interface RecoveryDeps {
  directory: PortalDirectory;
  tokens: TokenService;
  /**
   * `send` is held until the chat turn commits and cancelled if the turn is abandoned (turnScope.ts);
   * `sendNow` queues at once and is never cancelled — for mail about something already durable whatever
   * the turn's fate (a filed practice request's notice to staff). Outside a turn both queue at once.
   */
  mailer: Pick<Mailer, 'send'> & { sendNow?: Mailer['send'] };
  audit: AuditLog;
  limits: Limits;
  securityLock: SecurityQuestionLock;
  requests: RequestQueue;
  /** One security-answer check at a time per account, whichever instance runs it. */
  accountLock: { withLock<T>(key: string, fn: () => Promise<T>): Promise<T> };
  logger: Logger;
  /** Keys the HMACs of limit keys and decoy questions. */
  serverSecret: string;
  /** Reset links are built from it, never from a request's Host header. */
  publicBaseUrl: string;
  /** Where new practice requests are announced (reference only); unset = not announced. */
  practiceNotifyEmail: string | undefined;
  /** IANA zone for the time in "your password was changed" emails. */
  practiceTimeZone: string;
  /** Staff notices besides the email (the Teams staff team, bot/staff/teamsCards.ts): reference and kind only. */
  staffNotices?: { requestFiled(r: { requestId: string; kind: string }): Promise<void> };
}

/** Who is asking: an opaque reference to the conversation (never its raw id), for limits and audit. */
export interface Caller {
  conversationRef: string;
  /** Distinguishes one request of this conversation from another (the message id), for mail idempotency. */
  requestId?: string;
  /** An opaque reference to the channel user (digest of channel + from.id), for per-user caps and audit. */
  userRef?: string;
  /** The client's IP where one is known (the reset page; never /api/messages, whose traffic is Azure's). */
  clientIp?: string;
  /**
   * The chat turn asking: its mail is held until the turn committed (turnScope.ts). `null` for the reset and
   * create-account pages, the staff console and the admin CLI, whose mail is queued at once. Required, so a
   * use case called from a turn cannot be handed a caller that forgot it (dialogs use `callerOf`).
   */
  turn: TurnScope | null;
}
