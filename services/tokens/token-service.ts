/**
 * Reset links, practice reset tokens and enrollment tokens.
 *
 * Only keyed digests of tokens are stored — HMAC-SHA-256 with SERVER_SECRET (`tokenDigest`), compared in
 * constant time — so a copy of Redis (a backup, a replica) is no help in guessing a token: a practice token
 * has ~49 bits, which a plain sha256 would not protect for its 7-day life. The token itself exists once, in
 * the message that carries it. Every atomic step touches a single key, so the scheme also holds on Redis
 * Cluster.
 *
 * Keys (`<acct>` is `accountKeyId(username)`, an HMAC: a typed username never becomes a key name):
 * - `pb:{tok:<digest>}` hash — a reset link (`kind=reset`) or enrollment token (`kind=enroll`), kept a day
 *   past expiry as a tombstone so the reset page can tell "expired" or "already used" from "unknown";
 * - `pb:{acct:<acct>}:reset` → digest of the account's one live reset link (newer overwrites older);
 * - `pb:{acct:<acct>}:ptoken` hash — the account's one practice reset token (digest + expiry);
 * - `pb:{pat:<id>}:enroll` → digest of the patient's one live enrollment token;
 * - `pb:{pat:<id>}:enrolllink` → digest of the patient's one live create-account link (`kind=enroll-link`);
 * - `pb:{acct:<acct>}:everify` → digest of the account's one live email-verification link (`kind=email-verify`).
 *
 * The service records no audit events itself: callers know the context (conversation, request) and audit.
 */
import type { Keys, RedisClient } from '../redis';
import { constantTimeEqualHex, hmac, randomCode, randomToken } from '../crypto';
import { accountKeyId } from '../directory/redis-directory';
import { normaliseIdentifier } from '../text/fold';

export type ResetVia = 'email' | 'questions' | 'practice-token';

/** Why a reset link does or does not work — for the page's wording and the audit event type. */
export type ResetLinkState = 'valid' | 'used' | 'expired' | 'revoked' | 'unknown';

export interface ResetLinkInfo {
  state: ResetLinkState;
  /** Lower-cased username, for every state but `unknown`. */
  username?: string;
  via?: ResetVia;
}

export interface TokenService {
  /**
   * A one-time reset link token (256-bit, base64url) valid `ttlSeconds`; revokes the account's older links.
   * The caller builds the URL: `${publicBaseUrl}/reset?token=${encodeURIComponent(token)}`.
   */
  issueResetLink(username: string, opts: { ttlSeconds: number; via: ResetVia }): Promise<{ token: string }>;
  /** Whether a link works (`valid`) and, if not, why; for `valid`, the account it is for. Does not consume it. */
  inspectResetLink(token: string): Promise<ResetLinkInfo>;
  /** Consumes a link atomically: of two simultaneous submits, exactly one gets the username. */
  consumeResetLink(token: string): Promise<{ username: string } | null>;
  /** Revokes every live reset link of the account (after a password change, say). */
  revokeResetLinks(username: string): Promise<void>;
  /** A human-typable practice reset token (10 characters, unambiguous alphabet); replaces any earlier one. */
  issuePracticeResetToken(username: string, opts?: { ttlSeconds?: number }): Promise<string>;
  /** Single use; constant-time comparison; spaces, dashes and case in the typed token are ignored. */
  redeemPracticeResetToken(username: string, token: string): Promise<boolean>;
  /** An enrollment token for a patient (12 characters, unambiguous alphabet); revokes the patient's earlier one. */
  issueEnrollmentToken(patientId: string, opts?: { ttlSeconds?: number }): Promise<string>;
  /** The patient a live enrollment token belongs to. */
  checkEnrollmentToken(token: string): Promise<{ patientId: string } | null>;
  /** Revokes the patient's live enrollment token (once the account exists). */
  revokeEnrollmentToken(patientId: string): Promise<void>;
  /**
   * A one-time create-account link token (256-bit, base64url) for a patient (`kind=enroll-link`); revokes the
   * patient's earlier link. Used from chat (15 minutes) and for emailed invitations (7 days).
   */
  issueEnrollLink(patientId: string, opts: { ttlSeconds: number }): Promise<{ token: string }>;
  /** Whether a create-account link works (`valid`) and the patient it is for. Does not consume it. */
  inspectEnrollLink(token: string): Promise<{ state: ResetLinkState; patientId?: string }>;
  /** Consumes a create-account link atomically; null when it was not live (or superseded). */
  consumeEnrollLink(token: string): Promise<{ patientId: string } | null>;
  /** A one-time email-verification token for an account and address (`kind=email-verify`); revokes the account's earlier one. */
  issueEmailVerification(username: string, email: string, opts: { ttlSeconds: number }): Promise<{ token: string }>;
  /** Consumes an email-verification token atomically: the account and address it verifies, once. */
  consumeEmailVerification(token: string): Promise<{ username: string; email: string } | null>;
}

/** No 0/O, 1/I/L or U: easy to read aloud, type from paper, and hard to misread. */
export const TYPABLE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const PRACTICE_TOKEN_LENGTH = 10;
export const ENROLLMENT_TOKEN_LENGTH = 12;
export const PRACTICE_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
export const ENROLLMENT_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** How long a used or expired token's record is kept so the page can explain what happened. */
const TOMBSTONE_SECONDS = 24 * 3600;

/** Upper-cases and drops spaces and dashes, so "abcde-fghjk" and "ABCDE FGHJK" are the same token. */
export function normaliseTypedToken(token: string): string {
  return token.toUpperCase().replace(/[\s-]+/g, '');
}

/** Marks a live token used (or revoked) and returns its record; '' when it was not live. */
const TAKE_TOKEN = `local kind = redis.call('hget', KEYS[1], 'kind')
if kind ~= ARGV[1] then return {'unknown'} end
local state = redis.call('hget', KEYS[1], 'state')
if state ~= 'active' then return {state} end
if tonumber(redis.call('hget', KEYS[1], 'exp')) <= tonumber(ARGV[2]) then return {'expired'} end
redis.call('hset', KEYS[1], 'state', ARGV[3])
return {'taken', redis.call('hget', KEYS[1], 'subject')}`;

/** Marks a token revoked if it is still active (used ones stay used). */
const REVOKE_TOKEN = `if redis.call('hget', KEYS[1], 'state') == 'active' then redis.call('hset', KEYS[1], 'state', 'revoked') return 1 end
return 0`;

/** Deletes KEYS[1] if it holds ARGV[1] (string) — the account's pointer to its live link. */
const DELETE_IF_EQUAL = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/** Deletes the practice token hash if its digest is ARGV[1] and unexpired: single use. */
const REDEEM_PRACTICE = `if redis.call('hget', KEYS[1], 'h') ~= ARGV[1] then return 0 end
local exp = tonumber(redis.call('hget', KEYS[1], 'exp'))
redis.call('del', KEYS[1])
if exp <= tonumber(ARGV[2]) then return 0 end
return 1`;

/** What is stored for a token: HMAC-SHA-256(secret, token), hex. */
export function tokenDigest(secret: string, token: string): string {
  return hmac(secret, token);
}

export interface RedisTokenServiceOptions {
  redis: RedisClient;
  keys: Keys;
  /** SERVER_SECRET: keys the token digests and the account part of key names. */
  serverSecret: string;
  /** Injected for tests; milliseconds since the epoch. */
  now?: () => number;
}

export class RedisTokenService implements TokenService {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly now: () => number;
  private readonly secret: string;

  constructor({ redis, keys, serverSecret, now = Date.now }: RedisTokenServiceOptions) {
    if (!serverSecret) throw new TypeError('RedisTokenService: serverSecret is required');
    this.redis = redis;
    this.keys = keys;
    this.secret = serverSecret;
    this.now = now;
  }

  private digest(token: string): string {
    return tokenDigest(this.secret, token);
  }

  private tokenKey(digest: string): string {
    return this.keys.tagged('tok', digest);
  }
  private resetPointerKey(username: string): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username), 'reset');
  }
  private practiceKey(username: string): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username), 'ptoken');
  }
  private enrollPointerKey(patientId: string): string {
    return this.keys.tagged('pat', patientId, 'enroll');
  }
  private enrollLinkPointerKey(patientId: string): string {
    return this.keys.tagged('pat', patientId, 'enrolllink');
  }
  private emailVerifyPointerKey(username: string): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username), 'everify');
  }

  /** Takes a live one-time token of `kind` whose subject still points at it; the subject, or null. */
  private async take(kind: string, token: string, pointerKey: (subject: string) => string): Promise<{ subject: string; digest: string } | null> {
    if (!token || token.length > 200) return null;
    const digest = this.digest(token);
    const [outcome, subject] = (await this.redis.eval(TAKE_TOKEN, 1, this.tokenKey(digest), kind, String(this.now()), 'used')) as [string, string?];
    if (outcome !== 'taken' || !subject) return null;
    const wasCurrent = Number(await this.redis.eval(DELETE_IF_EQUAL, 1, pointerKey(subject), digest)) === 1;
    if (!wasCurrent) {
      await this.redis.hset(this.tokenKey(digest), 'state', 'revoked');
      return null;
    }
    return { subject, digest };
  }

  /** Writes a token record, then points the subject at it; the previous live token is revoked. */
  private async issue(kind: 'reset' | 'enroll' | 'enroll-link' | 'email-verify', subject: string, pointerKey: string, ttlSeconds: number, extra: Record<string, string>, token: string) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError('ttlSeconds must be a positive integer');
    const digest = this.digest(token);
    const key = this.tokenKey(digest);
    await this.redis
      .multi()
      .hset(key, { kind, subject, state: 'active', exp: String(this.now() + ttlSeconds * 1000), ...extra })
      .expire(key, ttlSeconds + TOMBSTONE_SECONDS)
      .exec();
    // SET … GET swaps the pointer atomically, so of two concurrent issues each revokes its predecessor.
    const previous = await this.redis.set(pointerKey, digest, 'EX', ttlSeconds, 'GET');
    if (previous && previous !== digest) await this.redis.eval(REVOKE_TOKEN, 1, this.tokenKey(previous));
  }

  async issueResetLink(username: string, opts: { ttlSeconds: number; via: ResetVia }): Promise<{ token: string }> {
    const user = normaliseIdentifier(username);
    if (!user) throw new TypeError('username is required');
    const token = randomToken(32);
    await this.issue('reset', user, this.resetPointerKey(user), opts.ttlSeconds, { via: opts.via }, token);
    return { token };
  }

  async inspectResetLink(token: string): Promise<ResetLinkInfo> {
    if (!token || token.length > 200) return { state: 'unknown' };
    const digest = this.digest(token);
    const rec = await this.redis.hgetall(this.tokenKey(digest));
    if (rec.kind !== 'reset' || !rec.subject) return { state: 'unknown' };
    const base = { username: rec.subject, via: rec.via as ResetVia };
    if (rec.state === 'used') return { state: 'used', ...base };
    if (rec.state !== 'active') return { state: 'revoked', ...base };
    if (Number(rec.exp) <= this.now()) return { state: 'expired', ...base };
    const pointer = await this.redis.get(this.resetPointerKey(rec.subject));
    if (!pointer || !constantTimeEqualHex(pointer, digest)) return { state: 'revoked', ...base };
    return { state: 'valid', ...base };
  }

  async consumeResetLink(token: string): Promise<{ username: string } | null> {
    if (!token || token.length > 200) return null;
    const digest = this.digest(token);
    const [outcome, username] = (await this.redis.eval(TAKE_TOKEN, 1, this.tokenKey(digest), 'reset', String(this.now()), 'used')) as [string, string?];
    if (outcome !== 'taken' || !username) return null;
    // Only the account's newest link may be used: drop the pointer if it is ours, else the link was superseded.
    const wasCurrent = Number(await this.redis.eval(DELETE_IF_EQUAL, 1, this.resetPointerKey(username), digest)) === 1;
    if (!wasCurrent) {
      await this.redis.hset(this.tokenKey(digest), 'state', 'revoked');
      return null;
    }
    return { username };
  }

  async revokeResetLinks(username: string): Promise<void> {
    const previous = await this.redis.getdel(this.resetPointerKey(username));
    if (previous) await this.redis.eval(REVOKE_TOKEN, 1, this.tokenKey(previous));
  }

  async issuePracticeResetToken(username: string, opts: { ttlSeconds?: number } = {}): Promise<string> {
    const user = normaliseIdentifier(username);
    if (!user) throw new TypeError('username is required');
    const ttl = opts.ttlSeconds ?? PRACTICE_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError('ttlSeconds must be a positive integer');
    const token = randomCode(PRACTICE_TOKEN_LENGTH, TYPABLE_ALPHABET);
    const key = this.practiceKey(user);
    // One hash per account: writing it replaces (revokes) any earlier token.
    await this.redis
      .multi()
      .del(key)
      .hset(key, { h: this.digest(token), exp: String(this.now() + ttl * 1000) })
      .expire(key, ttl)
      .exec();
    return token;
  }

  async redeemPracticeResetToken(username: string, token: string): Promise<boolean> {
    const typed = normaliseTypedToken(token ?? '');
    if (!normaliseIdentifier(username) || typed.length === 0 || typed.length > 64) return false;
    const key = this.practiceKey(username);
    const stored = await this.redis.hget(key, 'h');
    const digest = this.digest(typed);
    if (!stored || !constantTimeEqualHex(stored, digest)) return false;
    return Number(await this.redis.eval(REDEEM_PRACTICE, 1, key, digest, String(this.now()))) === 1;
  }

  async issueEnrollmentToken(patientId: string, opts: { ttlSeconds?: number } = {}): Promise<string> {
    if (!patientId) throw new TypeError('patientId is required');
    const token = randomCode(ENROLLMENT_TOKEN_LENGTH, TYPABLE_ALPHABET);
    await this.issue('enroll', patientId, this.enrollPointerKey(patientId), opts.ttlSeconds ?? ENROLLMENT_TOKEN_TTL_SECONDS, {}, token);
    return token;
  }

  async checkEnrollmentToken(token: string): Promise<{ patientId: string } | null> {
    const typed = normaliseTypedToken(token ?? '');
    if (!typed || typed.length > 64) return null;
    const digest = this.digest(typed);
    const rec = await this.redis.hgetall(this.tokenKey(digest));
    if (rec.kind !== 'enroll' || rec.state !== 'active' || !rec.subject || Number(rec.exp) <= this.now()) return null;
    const pointer = await this.redis.get(this.enrollPointerKey(rec.subject));
    if (!pointer || !constantTimeEqualHex(pointer, digest)) return null;
    return { patientId: rec.subject };
  }

  async revokeEnrollmentToken(patientId: string): Promise<void> {
    const previous = await this.redis.getdel(this.enrollPointerKey(patientId));
    if (previous) await this.redis.eval(REVOKE_TOKEN, 1, this.tokenKey(previous));
  }

  async issueEnrollLink(patientId: string, opts: { ttlSeconds: number }): Promise<{ token: string }> {
    if (!patientId) throw new TypeError('patientId is required');
    const token = randomToken(32);
    await this.issue('enroll-link', patientId, this.enrollLinkPointerKey(patientId), opts.ttlSeconds, {}, token);
    return { token };
  }

  async inspectEnrollLink(token: string): Promise<{ state: ResetLinkState; patientId?: string }> {
    if (!token || token.length > 200) return { state: 'unknown' };
    const digest = this.digest(token);
    const rec = await this.redis.hgetall(this.tokenKey(digest));
    if (rec.kind !== 'enroll-link' || !rec.subject) return { state: 'unknown' };
    const patientId = rec.subject;
    if (rec.state === 'used') return { state: 'used', patientId };
    if (rec.state !== 'active') return { state: 'revoked', patientId };
    if (Number(rec.exp) <= this.now()) return { state: 'expired', patientId };
    const pointer = await this.redis.get(this.enrollLinkPointerKey(patientId));
    if (!pointer || !constantTimeEqualHex(pointer, digest)) return { state: 'revoked', patientId };
    return { state: 'valid', patientId };
  }

  async consumeEnrollLink(token: string): Promise<{ patientId: string } | null> {
    const taken = await this.take('enroll-link', token, (id) => this.enrollLinkPointerKey(id));
    return taken ? { patientId: taken.subject } : null;
  }

  async issueEmailVerification(username: string, email: string, opts: { ttlSeconds: number }): Promise<{ token: string }> {
    const user = normaliseIdentifier(username);
    if (!user || !email) throw new TypeError('username and email are required');
    const token = randomToken(32);
    await this.issue('email-verify', user, this.emailVerifyPointerKey(user), opts.ttlSeconds, { email }, token);
    return { token };
  }

  async consumeEmailVerification(token: string): Promise<{ username: string; email: string } | null> {
    const taken = await this.take('email-verify', token, (u) => this.emailVerifyPointerKey(u));
    if (!taken) return null;
    const email = await this.redis.hget(this.tokenKey(taken.digest), 'email');
    return email ? { username: taken.subject, email } : null;
  }
}
