/**
 * The audit trail: every account event appended to one Redis stream (`pb:audit`, XADD, trimmed
 * approximately to the newest 100,000 entries).
 *
 * Events carry ids and outcomes, never PHI or secrets: an account is named by `accountRef` — the first 16
 * hex of HMAC(serverSecret, normalised username) — stable for one secret, meaningless without it. The bot
 * and the admin CLI compute the same refs because both read SERVER_SECRET (outside production, when it is
 * unset, both use the same public development value).
 *
 * @example
 *   await audit.record({ type: 'reset-link-sent', accountRef: audit.accountRef(username), conversationRef });
 */
import type { Logger } from '../logger';
import { REDACTED_FIELDS } from '../logger';
import type { Keys, RedisClient } from '../redis';
import { hmac, sha256 } from '../crypto';
import { normaliseIdentifier } from '../text/fold';

export const AUDIT_TYPES = [
  'username-sent',
  'username-recovery-no-match',
  'reset-requested',
  'reset-link-sent',
  'reset-link-issued',
  'reset-link-used',
  'reset-link-expired',
  'reset-link-invalid',
  'practice-token-issued',
  'practice-token-used',
  'practice-token-failed',
  'security-answer-failed',
  'security-path-locked',
  'security-path-unlocked',
  'password-changed',
  'enrollment-token-issued',
  // Enrollment (issue 12): redeeming a token, the create-account link, the new account, email verification.
  'enrollment-token-used',
  'enrollment-token-failed',
  'enroll-link-issued',
  'enroll-link-invalid',
  'enrollment-invited',
  'account-created',
  'email-verification-sent',
  'email-verified',
  'renewal-requested',
  'reactivation-requested',
  'reset-token-requested',
  'enrollment-requested',
  'request-resolved',
  'rate-limited',
  'practice-request-repeated',
  'staff-notice-held',
  'security-status-viewed',
  'mail-gave-up',
  // Live handoff and the staff console (issue 10); detail carries handoffId and staffId.
  'handoff-queued',
  'handoff-claimed',
  'handoff-claim-refused',
  'handoff-message-sent',
  'handoff-returned',
  'handoff-cancelled',
  'handoff-timed-out',
  'handoff-emergency',
  'handoff-ended',
  'handoff-transferred',
  'callback-requested',
  'callback-resolved',
  'staff-signed-in',
  'staff-sign-in-failed',
  'staff-signed-out',
  'staff-added',
  'staff-disabled',
  'staff-viewed',
] as const;

export type AuditType = (typeof AUDIT_TYPES)[number];

export type AuditDetail = Record<string, string | number | boolean>;

export interface AuditEventInput {
  type: AuditType;
  /** `accountRef(username)`, never the username itself. */
  accountRef?: string;
  patientId?: string;
  requestId?: string;
  /** The conversation id; one with characters beyond `[A-Za-z0-9_.:-]` is stored as `h-<digest>`. */
  conversationRef?: string;
  /** Outcome details: ids, counts, channel names, reasons. Fields named like PHI are dropped. */
  detail?: AuditDetail;
}

export interface AuditEvent extends AuditEventInput {
  /** Stream entry id (`<ms>-<seq>`), ordered. */
  id: string;
  /** ISO time of recording. */
  at: string;
}

export interface AuditLog {
  record(event: AuditEventInput): Promise<string>;
  /** The newest `count` events, oldest first. */
  tail(count?: number): Promise<AuditEvent[]>;
  /** The opaque ref under which an account appears in the audit trail. */
  accountRef(username: string): string;
}

/** First 16 hex of HMAC(secret, normalised username): links an account's events without naming it. */
export function accountRefFor(secret: string, username: string): string {
  return hmac(secret, `acct:${normaliseIdentifier(username)}`).slice(0, 16);
}

export const AUDIT_MAXLEN = 100_000;
const FORBIDDEN_DETAIL = new Set(REDACTED_FIELDS.map((f) => f.toLowerCase()));
const REF = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface RedisAuditLogOptions {
  redis: RedisClient;
  keys: Keys;
  serverSecret: string;
  logger?: Logger;
}

export class RedisAuditLog implements AuditLog {
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly secret: string;
  private readonly logger?: Logger;

  constructor({ redis, keys, serverSecret, logger }: RedisAuditLogOptions) {
    this.redis = redis;
    this.key = keys.plain('audit');
    this.secret = serverSecret;
    this.logger = logger;
  }

  accountRef(username: string): string {
    return accountRefFor(this.secret, username);
  }

  async record(event: AuditEventInput): Promise<string> {
    if (!(AUDIT_TYPES as readonly string[]).includes(event.type)) throw new TypeError(`unknown audit event type "${String(event.type)}"`);
    const fields: string[] = ['type', event.type, 'at', new Date().toISOString()];
    for (const name of ['accountRef', 'patientId', 'requestId', 'conversationRef'] as const) {
      const value = event[name];
      if (value === undefined) continue;
      // Channel conversation ids can hold "@", "|" or ";" (Teams, Direct Line): kept as a digest, still linkable.
      if (name === 'conversationRef' && !REF.test(value)) {
        fields.push(name, `h-${sha256(value).slice(0, 24)}`);
        continue;
      }
      // Other refs are ids; anything else (an email, a name with spaces) is a caller bug and is not stored.
      if (!REF.test(value)) {
        this.logger?.warn({ field: name, type: event.type }, 'audit ref dropped: not an id');
        continue;
      }
      fields.push(name, value);
    }
    if (event.detail) {
      const detail: AuditDetail = {};
      for (const [k, v] of Object.entries(event.detail)) {
        if (FORBIDDEN_DETAIL.has(k.toLowerCase())) {
          this.logger?.warn({ field: k, type: event.type }, 'audit detail field dropped: may carry PHI');
          continue;
        }
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') detail[k] = v;
      }
      if (Object.keys(detail).length) fields.push('detail', JSON.stringify(detail));
    }
    const id = await this.redis.xadd(this.key, 'MAXLEN', '~', AUDIT_MAXLEN, '*', ...fields);
    return id ?? '';
  }

  async tail(count = 20): Promise<AuditEvent[]> {
    const n = Math.max(1, Math.min(Math.floor(count) || 20, 10_000));
    const entries = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', n);
    return entries.reverse().map(([id, flat]) => toEvent(id, flat));
  }
}

function toEvent(id: string, flat: string[]): AuditEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  const event: AuditEvent = { id, at: f.at ?? '', type: f.type as AuditType };
  if (f.accountRef) event.accountRef = f.accountRef;
  if (f.patientId) event.patientId = f.patientId;
  if (f.requestId) event.requestId = f.requestId;
  if (f.conversationRef) event.conversationRef = f.conversationRef;
  if (f.detail) {
    try {
      event.detail = JSON.parse(f.detail) as AuditDetail;
    } catch {
      // A hand-edited entry; show the event without its detail.
    }
  }
  return event;
}
