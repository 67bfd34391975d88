/**
 * Builds the account services (directory, tokens, mail, audit, limits, requests) and the recovery use cases once from
 * configuration — shared by the bot host and the admin CLI, so both see the same data the same way.
 */
import type { Config } from './config';
import type { Logger } from './logger';
import { Keys, type RedisClient } from './redis';
import { RedisPortalDirectory, type PortalDirectory } from './directory';
import { RedisTokenService, type TokenService } from './tokens';
import { createMailer, type Mailer } from './mail';
import { RedisAuditLog, type AuditLog } from './audit';
import { createLimits, RedisSecurityQuestionLock, type Limits, type SecurityQuestionLock } from './limits';
import { RedisRequestQueue, type RequestQueue } from './requests';
import { createSealer, type Sealer } from './state/sealer';
import { TurnLock } from './state/turnLock';
import { createRecovery, type Recovery } from './recovery';
import type { RecoveryDeps } from './recovery/deps';

export interface AccountServices {
  directory: PortalDirectory;
  tokens: TokenService;
  mailer: Mailer;
  audit: AuditLog;
  limits: Limits;
  securityLock: SecurityQuestionLock;
  requests: RequestQueue;
  sealer: Sealer;
  /** The use cases (username recovery, password resets, practice requests) over the services above. */
  recovery: Recovery;
}

export interface AccountServiceOptions {
  config: Config;
  redis: RedisClient;
  /** True when `redis` is the in-process stand-in (the mail outbox then runs in process). */
  embedded: boolean;
  logger: Logger;
  /** Overrides for tests (faster mail retries, say). */
  mailer?: Partial<Parameters<typeof createMailer>[0]>;
  /** Staff notices of new practice requests besides the email (the host's Teams cards). */
  staffNotices?: RecoveryDeps['staffNotices'];
}

export function createAccountServices({ config, redis, embedded, logger, mailer, staffNotices }: AccountServiceOptions): AccountServices {
  const keys = new Keys(config.keyPrefix);
  const audit = new RedisAuditLog({ redis, keys, serverSecret: config.serverSecret, logger });
  const services = {
    directory: new RedisPortalDirectory({ redis, keys, serverSecret: config.serverSecret, logger }),
    tokens: new RedisTokenService({ redis, keys, serverSecret: config.serverSecret }),
    mailer: createMailer({
      config,
      redis,
      embedded,
      logger,
      // A mail lost after MAIL_RETRY_HOURS is an account event staff must see (template and job id only).
      onGiveUp: async ({ template, jobId, attempts }) => {
        await audit.record({ type: 'mail-gave-up', detail: { template, jobId, attempts } });
      },
      ...mailer,
    }),
    audit,
    limits: createLimits(redis, keys, config.limits, { practiceRequestsPerUserPerDay: config.practiceRequestsPerUserPerDay }),
    securityLock: new RedisSecurityQuestionLock({ redis, keys, serverSecret: config.serverSecret }),
    requests: new RedisRequestQueue({ redis, keys, serverSecret: config.serverSecret, staffNotifyPerHour: config.staffNotifyPerHour, logger }),
    sealer: createSealer(config.serverSecret),
  };
  const recovery = createRecovery({
    ...services,
    logger,
    // Serialises security-answer checks per account across conversations and instances.
    accountLock: new TurnLock(redis, keys, { kind: 'acct', lockMs: 10_000, waitMs: 10_000, logger }),
    serverSecret: config.serverSecret,
    publicBaseUrl: config.publicBaseUrl,
    practiceNotifyEmail: config.mail.practiceNotifyEmail,
    practiceTimeZone: config.practice.timeZone,
    staffNotices,
  }, { minMs: config.recoveryMinMs });
  return { ...services, recovery };
}
