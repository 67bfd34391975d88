/**
 * Staff accounts and console sessions.
 *
 * Accounts (`npm run --silent admin -- staff:add USERNAME --role agent|supervisor`): a hash per account
 * keyed by HMAC(SERVER_SECRET, normalised username) — typed text never becomes a key name — holding the
 * username, role, display name (first name or role, as patients are told) and the argon2id hash.
 *
 * Sessions: a random 256-bit token in an HttpOnly cookie; Redis keeps only its SHA-256, with the staff id,
 * role, name and a CSRF token. A session expires after STAFF_IDLE_MINUTES without a request (idle sign-out).
 *
 * Sign-in lockout: failures are counted per username (HMAC) and per client IP with rate-limiter-flexible;
 * at STAFF_LOCKOUT_ATTEMPTS within 15 minutes the username (or IP) is locked for 15 minutes, and even the
 * right password is refused until then. A successful sign-in clears the username's count.
 */
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Keys, RedisClient } from '../redis';
import { hashSecret, hmac, randomToken, sha256, verifyAgainstDummy, verifySecret } from '../crypto';
import { normaliseIdentifier } from '../text/fold';

export const STAFF_ROLES = ['agent', 'supervisor'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export interface StaffAccount {
  username: string;
  role: StaffRole;
  /** First name or role, as patients are told ("You're now talking with Dana"). */
  displayName: string;
  disabled: boolean;
}

export interface StaffSession {
  staffId: string;
  role: StaffRole;
  displayName: string;
  csrfToken: string;
}

export type SignInResult =
  | { ok: true; token: string; session: StaffSession }
  | { ok: false; reason: 'invalid' | 'locked' };

export const USERNAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/;
export const LOCKOUT_SECONDS = 15 * 60;

export interface StaffDirectoryOptions {
  redis: RedisClient;
  keys: Keys;
  serverSecret: string;
  /** STAFF_IDLE_MINUTES: a session ends after this long without a request. */
  idleMinutes?: number;
  /** STAFF_LOCKOUT_ATTEMPTS: failed sign-ins (per username, and ×5 per IP) before a 15-minute lock. */
  lockoutAttempts?: number;
}

export class StaffDirectory {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly secret: string;
  private readonly idleSeconds: number;
  private readonly failuresByUser: RateLimiterRedis;
  private readonly failuresByIp: RateLimiterRedis;

  constructor(o: StaffDirectoryOptions) {
    this.redis = o.redis;
    this.keys = o.keys;
    this.secret = o.serverSecret;
    this.idleSeconds = (o.idleMinutes ?? 30) * 60;
    const attempts = o.lockoutAttempts ?? 5;
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({ storeClient: o.redis, useRedisPackage: false, keyPrefix: o.keys.plain('rl', name), points, duration: LOCKOUT_SECONDS, blockDuration: LOCKOUT_SECONDS });
    this.failuresByUser = limiter('staffSignIn', attempts);
    this.failuresByIp = limiter('staffSignInIp', attempts * 5);
  }

  private accountKey(username: string): string {
    return this.keys.tagged('staff', hmac(this.secret, `staff:${normaliseIdentifier(username)}`).slice(0, 32));
  }
  private sessionKey(token: string): string {
    return this.keys.tagged('staffsess', sha256(token).slice(0, 48));
  }

  /** Adds (or replaces the password and role of) a staff account. */
  async add(username: string, password: string, role: StaffRole, displayName?: string): Promise<StaffAccount> {
    if (!USERNAME_RULE.test(username)) throw new TypeError('USERNAME must be 3-64 letters, digits, "_", "." or "-"');
    if (password.length < 12) throw new TypeError('the password must be at least 12 characters');
    const account: StaffAccount = { username, role, displayName: (displayName?.trim() || (role === 'supervisor' ? 'a practice supervisor' : 'a member of the practice team')).slice(0, 60), disabled: false };
    await this.redis.hset(this.accountKey(username), { ...account, disabled: '0', passwordHash: await hashSecret(password) });
    return account;
  }

  /** Disables an account and ends its sessions at their next request. False when there is no such account. */
  async disable(username: string): Promise<boolean> {
    const key = this.accountKey(username);
    if (!(await this.redis.exists(key))) return false;
    await this.redis.hset(key, 'disabled', '1');
    return true;
  }

  async get(username: string): Promise<StaffAccount | null> {
    const h = await this.redis.hgetall(this.accountKey(username));
    if (!h.username) return null;
    return { username: h.username, role: h.role === 'supervisor' ? 'supervisor' : 'agent', displayName: h.displayName ?? h.username, disabled: h.disabled === '1' };
  }

  /** Checks the password (constant work whether or not the account exists) under the lockout rules. */
  async signIn(username: string, password: string, ip: string): Promise<SignInResult> {
    const userKey = hmac(this.secret, `staff-signin:${normaliseIdentifier(username)}`);
    const ipKey = sha256(`ip:${ip}`);
    const [u, i] = await Promise.all([this.failuresByUser.get(userKey), this.failuresByIp.get(ipKey)]);
    const locked = (r: RateLimiterRes | null, limiter: RateLimiterRedis) => !!r && r.consumedPoints >= limiter.points;
    if (locked(u, this.failuresByUser) || locked(i, this.failuresByIp)) {
      await verifyAgainstDummy(password);
      return { ok: false, reason: 'locked' };
    }
    const h = await this.redis.hgetall(this.accountKey(username));
    const ok = h.passwordHash ? await verifySecret(h.passwordHash, password) : await verifyAgainstDummy(password);
    if (!ok || h.disabled === '1') {
      const consume = async (limiter: RateLimiterRedis, key: string) => {
        try {
          return (await limiter.consume(key)).consumedPoints >= limiter.points; // this failure used the last try
        } catch (err) {
          if (err instanceof RateLimiterRes) return true;
          throw err;
        }
      };
      const [lockedNow, ipLocked] = await Promise.all([consume(this.failuresByUser, userKey), consume(this.failuresByIp, ipKey)]);
      return { ok: false, reason: lockedNow || ipLocked ? 'locked' : 'invalid' };
    }
    await this.failuresByUser.delete(userKey);
    const token = randomToken(32);
    const session: StaffSession = {
      staffId: h.username!,
      role: h.role === 'supervisor' ? 'supervisor' : 'agent',
      displayName: h.displayName ?? h.username!,
      csrfToken: randomToken(24),
    };
    await this.redis.multi().hset(this.sessionKey(token), { ...session }).expire(this.sessionKey(token), this.idleSeconds).exec();
    return { ok: true, token, session };
  }

  /** The session behind a cookie token, sliding its idle expiry; null when expired, unknown or the account was disabled. */
  async session(token: string): Promise<StaffSession | null> {
    if (!token || token.length > 100) return null;
    const key = this.sessionKey(token);
    const h = await this.redis.hgetall(key);
    if (!h.staffId) return null;
    const account = await this.redis.hget(this.accountKey(h.staffId), 'disabled');
    if (account !== '0') {
      await this.redis.del(key);
      return null;
    }
    await this.redis.expire(key, this.idleSeconds);
    return { staffId: h.staffId, role: h.role === 'supervisor' ? 'supervisor' : 'agent', displayName: h.displayName ?? h.staffId, csrfToken: h.csrfToken ?? '' };
  }

  async signOut(token: string): Promise<void> {
    await this.redis.del(this.sessionKey(token));
  }
}
