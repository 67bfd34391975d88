/**
 * Cancels mail that an abandoned turn queued (or may have queued: a command written to a paused Redis
 * runs when Redis resumes). It writes the mailer's "already sent" marker for the mail's outbox job, which
 * the mail worker checks before every delivery attempt (services/mail/index.ts), so the job is skipped
 * instead of sent. The marker is written on the shared command connection, the same one the worker's check
 * uses, so a marker queued while Redis is unreachable is applied before any later check; it is retried
 * until it lands (for at most `giveUpAfterMs`).
 */
import { outboxJobId, SENT_MARKER_TTL_SECONDS } from '../services/mail';
import type { Logger } from '../services/logger';
import type { Keys, RedisClient } from '../services/redis';

/** The mailer's "sent" marker key of a mail (services/mail/index.ts `sentKey`). */
export function mailSentMarkerKey(keys: Keys, idempotencyKey: string): string {
  return keys.plain('mail', 'sent', outboxJobId(idempotencyKey));
}

export function createMailCanceller(redis: RedisClient, keys: Keys, logger: Logger, giveUpAfterMs = 10 * 60_000): (idempotencyKeys: string[]) => void {
  return (idempotencyKeys) => {
    for (const key of idempotencyKeys) {
      const marker = mailSentMarkerKey(keys, key);
      const jobId = outboxJobId(key);
      const giveUpAt = Date.now() + giveUpAfterMs;
      const attempt = (): void => {
        redis.set(marker, 'cancelled', 'EX', SENT_MARKER_TTL_SECONDS).then(
          () => logger.info({ jobId, outcome: 'cancelled' }, 'mail of an abandoned turn cancelled'),
          (err: Error) => {
            if (Date.now() >= giveUpAt) {
              logger.error({ jobId, err: { message: err.message } }, 'could not cancel the mail of an abandoned turn');
              return;
            }
            setTimeout(attempt, 200).unref();
          },
        );
      };
      attempt();
    }
  };
}
