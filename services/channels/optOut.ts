/**
 * SMS opt-outs (carrier keywords STOP, UNSUBSCRIBE, …; see bot/sms.ts), kept in Redis so every instance
 * and every proactive sender sees them.
 *
 * The phone number is never stored: the key is HMAC-SHA-256(SERVER_SECRET, channel user id), so a Redis dump
 * does not list the practice's patients' numbers. Opt-outs do not expire: only the patient (START/UNSTOP)
 * lifts one.
 *
 * Anything that sends a message nobody asked for (staff replies after a handoff, reminders, …) must check
 * `isOptedOut(userId)` first and send nothing when it is true. Replies to a message the patient just sent
 * are not proactive.
 *
 * @example
 *   if (await optOuts.isOptedOut(reference.user.id)) return; // the patient texted STOP: stay silent
 */
import { hmac } from '../crypto';
import type { Keys, RedisClient } from '../redis';

export interface OptOutStore {
  /** Records the opt-out (idempotent). */
  optOut(userId: string): Promise<void>;
  /** Lifts it (idempotent). */
  optIn(userId: string): Promise<void>;
  /** True when the patient texted an opt-out keyword and has not opted back in. */
  isOptedOut(userId: string): Promise<boolean>;
}

export function createOptOutStore(redis: RedisClient, keys: Keys, secret: string): OptOutStore {
  // One key per number (tagged, so a cluster spreads them); the value is when the opt-out happened.
  const key = (userId: string) => keys.tagged('smsopt', hmac(secret, `sms-user:${userId.trim()}`));
  return {
    async optOut(userId) {
      await redis.set(key(userId), new Date().toISOString());
    },
    async optIn(userId) {
      await redis.del(key(userId));
    },
    async isOptedOut(userId) {
      return (await redis.exists(key(userId))) === 1;
    },
  };
}
