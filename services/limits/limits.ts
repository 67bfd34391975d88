/**
 * Rate limits, kept in Redis (`rate-limiter-flexible`'s `RateLimiterRedis` on ioredis) so they hold across
 * every bot instance.
 *
 * `consume(name, key)` answers "may this happen now?" and never throws because a limit was hit — callers
 * keep their replies uniform either way. A Redis failure does throw: failing open would switch the limits
 * off exactly when something is wrong.
 *
 * Keys are sha256 digests of `name:key`, so a raw email, username or IP never becomes a Redis key name;
 * callers pass keys derived from typed text already as HMACs keyed with SERVER_SECRET (see
 * services/recovery/guards.ts), so the counter names cannot be reversed from a dictionary either.
 *
 * @example
 *   if (!(await limits.consume('resetEmailsPerAccount', username))) return sameReplyButSendNothing();
 */
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Keys, RedisClient } from '../redis';
import { sha256 } from '../crypto';

export type LimitName =
  | 'perConversation'
  | 'perIp'
  | 'perAccount'
  | 'resetEmailsPerAccount'
  | 'practiceTokenPerConversation'
  | 'practiceRequestPerConversation'
  | 'practiceRequestPerUser'
  | 'practiceRequestPerIp'
  | 'enrollTokenPerConversation'
  | 'enrollTokenPerToken'
  | 'enrollUsernameCheckPerIp';

export const LIMIT_NAMES: readonly LimitName[] = [
  'perConversation',
  'perIp',
  'perAccount',
  'resetEmailsPerAccount',
  'practiceTokenPerConversation',
  'practiceRequestPerConversation',
  'practiceRequestPerUser',
  'practiceRequestPerIp',
  'enrollTokenPerConversation',
  'enrollTokenPerToken',
  'enrollUsernameCheckPerIp',
];

export interface LimitRule {
  points: number;
  durationSeconds: number;
}

export interface Limits {
  /** True when allowed (and counted); false when over the limit. */
  consume(name: LimitName, key: string): Promise<boolean>;
  readonly rules: Readonly<Record<LimitName, LimitRule>>;
}

export interface LimitOptions {
  /** Practice-token attempts per conversation per hour (default 5). */
  practiceTokenPerConversationPerHour?: number;
  /** New practice requests per channel user per day (default 3). */
  practiceRequestsPerUserPerDay?: number;
  /** New practice requests per client IP per day, where an IP is known (default 10). */
  practiceRequestsPerIpPerDay?: number;
  /** Enrollment-token attempts (token + last name + date of birth) per conversation per hour (default 5). */
  enrollTokenPerConversationPerHour?: number;
  /** Attempts per typed enrollment token per hour, across conversations (default 5). */
  enrollTokenPerTokenPerHour?: number;
  /** The create-account page's live "username available?" checks per client IP per minute (default 60). */
  enrollUsernameChecksPerIpPerMinute?: number;
}

/** The rules from configuration. */
export function limitRules(limits: Config['limits'], opts: LimitOptions = {}): Record<LimitName, LimitRule> {
  return {
    perConversation: { points: limits.conversationPerMinute, durationSeconds: 60 },
    perIp: { points: limits.ipPerMinute, durationSeconds: 60 },
    perAccount: { points: limits.accountPerHour, durationSeconds: 3600 },
    resetEmailsPerAccount: { points: limits.resetEmailsPerAccountPerHour, durationSeconds: 3600 },
    practiceTokenPerConversation: { points: opts.practiceTokenPerConversationPerHour ?? 5, durationSeconds: 3600 },
    // Each request emails the practice: a handful per conversation per hour is plenty for a real patient.
    practiceRequestPerConversation: { points: 3, durationSeconds: 3600 },
    // New conversations are free to open, so a channel user (and an IP, where known) has a daily cap too.
    practiceRequestPerUser: { points: opts.practiceRequestsPerUserPerDay ?? 3, durationSeconds: 24 * 3600 },
    practiceRequestPerIp: { points: opts.practiceRequestsPerIpPerDay ?? 10, durationSeconds: 24 * 3600 },
    // Enrollment (issue 12): guessing a token and its second factor, from one chat and against one token;
    // and probing which usernames exist through the create-account page's live check.
    enrollTokenPerConversation: { points: opts.enrollTokenPerConversationPerHour ?? 5, durationSeconds: 3600 },
    enrollTokenPerToken: { points: opts.enrollTokenPerTokenPerHour ?? 5, durationSeconds: 3600 },
    enrollUsernameCheckPerIp: { points: opts.enrollUsernameChecksPerIpPerMinute ?? 60, durationSeconds: 60 },
  };
}

export function createLimits(redis: RedisClient, keys: Keys, limits: Config['limits'], opts: LimitOptions = {}): Limits {
  const rules = limitRules(limits, opts);
  const limiters = Object.fromEntries(
    LIMIT_NAMES.map((name) => [
      name,
      new RateLimiterRedis({
        storeClient: redis,
        useRedisPackage: false, // ioredis, not node-redis
        keyPrefix: keys.plain('rl', name),
        points: rules[name].points,
        duration: rules[name].durationSeconds,
      }),
    ]),
  ) as Record<LimitName, RateLimiterRedis>;
  const limiterFor = (name: LimitName) => {
    const limiter = limiters[name];
    if (!limiter) throw new TypeError(`unknown limit "${String(name)}"`);
    return limiter;
  };
  const hashed = (name: LimitName, key: string) => sha256(`${name}:${key}`);

  return {
    rules,
    async consume(name, key) {
      try {
        await limiterFor(name).consume(hashed(name, key));
        return true;
      } catch (err) {
        if (err instanceof RateLimiterRes) return false;
        throw err;
      }
    },
  };
}
