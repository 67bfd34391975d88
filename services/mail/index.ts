/**
 * The mailer: templated, branded email that never holds up a chat reply and is never sent twice.
 *
 * `send()` renders the template once (so a bad template or missing data fails in the caller, at once),
 * then puts the message in the Redis-backed outbox and returns. A worker (`start()`, once per process)
 * delivers it — over SMTP (`SMTP_URL`), or outside production without one, as an `.eml` file in
 * `OUTBOX_DIR` — retrying with capped backoff (at most 15 minutes apart) for MAIL_RETRY_HOURS (default 24)
 * through an SMTP outage. A mail finally given up is reported: `onGiveUp` (the audit event `mail-gave-up`)
 * and a `mail-failed` email to PRACTICE_NOTIFY_EMAIL with the job id — never the recipient or content.
 *
 * "Never twice" rests on two guards, both keyed by a hash of the caller's idempotency key:
 * 1. the outbox job id — adding the same key again while the job is queued or remembered is a no-op;
 * 2. a "sent" marker (`<prefix>:mail:sent:<id>`, `SET NX`, 7 days) written right after SMTP accepts the
 *    message and checked before every attempt — so a job retried after a crash between "sent" and
 *    "job completed", or re-added after the job was forgotten, is skipped instead of resent.
 * (The one window left — a crash after SMTP accepted but before the marker was written — is inherent to
 * SMTP; the Message-ID is derived from the same id so the receiving side can spot that duplicate.)
 *
 * Logs carry template name, job id, attempt and outcome — never the recipient or the data.
 *
 * @example
 *   const mailer = createMailer({ config, redis, embedded, logger });
 *   await mailer.start();
 *   await mailer.send({ to, template: 'reset-link', data: { resetUrl, minutes: '30' }, idempotencyKey: `reset:${tokenId}` });
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createSealer } from '../state/sealer';
import { Keys, type RedisClient } from '../redis';
import { BullOutbox, MemoryOutbox, retryPolicyFor, type Outbox, type OutboxJob, type RetryPolicy } from './outbox';
import { createFileTransport, createSmtpTransport, MailDeliveryError, PermanentMailError, type MailTransport } from './transport';
import { DEFAULT_TEMPLATES_DIR, loadTemplates, renderTemplate, TEMPLATE_NAMES, type Brand, type TemplateName } from './templates';

export { TEMPLATE_NAMES, TemplateError, escapeHtml, loadTemplates, renderTemplate } from './templates';
export type { Brand, RenderedMail, TemplateName, Templates } from './templates';
export { DEFAULT_RETRY, MAX_RETRY_DELAY_MS, retryPolicyFor } from './outbox';
export type { RetryPolicy } from './outbox';

export interface MailMessage {
  to: string;
  template: TemplateName;
  data: Record<string, string>;
  idempotencyKey: string;
}

export interface Mailer {
  /** Queues a message; resolves once it is durably queued (never waits for SMTP). Same idempotencyKey twice → sent once. */
  send(msg: MailMessage): Promise<void>;
  /** Starts the worker that delivers queued mail (call once per process). */
  start(): Promise<void>;
  /** Stops the worker, letting an in-flight delivery finish. */
  close(): Promise<void>;
  /**
   * Resolves once nothing is queued, waiting for a retry or being delivered (rejects after `timeoutMs`,
   * default 10 s). A test hook: "no (further) mail was sent" is only meaningful once the outbox settled.
   */
  whenIdle(timeoutMs?: number): Promise<void>;
}

export interface MailerDeps {
  config: Config;
  /** The shared connection: used for the "sent" markers. */
  redis: RedisClient;
  /** True with the in-process Redis stand-in: the outbox then lives in process memory (see outbox.ts). */
  embedded: boolean;
  logger: Logger;
  /** Retry policy override (tests use short delays). Defaults to `retryPolicyFor(MAIL_RETRY_HOURS)` (~24 hours). */
  retry?: Partial<RetryPolicy>;
  /**
   * Called once when a mail is finally given up (retries used up, or refused for good) — the template name and
   * job id only, never the recipient or data. The account services record the `mail-gave-up` audit event.
   * The mailer itself also emails PRACTICE_NOTIFY_EMAIL (template `mail-failed`), unless the lost mail was
   * that alert.
   */
  onGiveUp?: (info: { template: TemplateName; jobId: string; attempts: number }) => Promise<void>;
  /** Deliveries in parallel per process. Default 4. */
  concurrency?: number;
  /** How long `send()` waits for Redis before it gives up with an error. Default 5000 ms. */
  enqueueTimeoutMs?: number;
  /** Folder of the templates. Default: `templates/` next to this file. */
  templatesDir?: string;
}

/** How long the "sent" marker keeps a request from being mailed again. */
export const SENT_MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * The outbox job id for an idempotency key: a hash, so the key (which may name an account) is not
 * stored in Redis, and a valid BullMQ id (no ":" and never all digits).
 */
export function outboxJobId(idempotencyKey: string): string {
  return `mail-${createHash('sha256').update(idempotencyKey, 'utf8').digest('hex').slice(0, 40)}`;
}

const MessageSchema = z.object({
  to: z.email('is not an email address'),
  template: z.enum(TEMPLATE_NAMES),
  data: z.record(z.string(), z.string()),
  idempotencyKey: z.string().min(1).max(512),
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms; is Redis reachable?`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Attempts to store a sent mail's marker (200 ms, 400 ms, … 2 s apart: about 30 s in all) before giving up. */
const SENT_MARKER_TRIES = 20;

/**
 * Builds the mailer from config. Templates are loaded and validated here, so a broken template stops
 * the process at start-up rather than at the first patient's request.
 * @throws Error in production without `SMTP_URL`; TemplateError for a broken template.
 */
export function createMailer({ config, redis, embedded, logger: parentLogger, ...options }: MailerDeps): Mailer {
  const logger = parentLogger.child({ component: 'mailer' });
  const templates = loadTemplates(options.templatesDir ?? DEFAULT_TEMPLATES_DIR);
  const brand: Brand = {
    practiceName: config.practice.name,
    practicePhone: config.practice.phone,
    practiceHours: config.practice.hours.text,
  };
  const retryHours = config.mailRetryHours ?? 24;
  const retry: RetryPolicy = { ...retryPolicyFor(retryHours), ...options.retry };
  const enqueueTimeoutMs = options.enqueueTimeoutMs ?? 5_000;
  const keys = new Keys(config.keyPrefix);
  const sentKey = (jobId: string) => keys.plain('mail', 'sent', jobId);

  let transport: MailTransport;
  if (config.mail.smtpUrl) {
    transport = createSmtpTransport(config.mail.smtpUrl, config.mail.from);
  } else if (config.nodeEnv === 'production') {
    throw new Error('SMTP_URL is required in production: set it to the practice mail server, e.g. smtps://user:pass@mail.example.org');
  } else {
    transport = createFileTransport(config.mail.outboxDir, config.mail.from);
    logger.warn({ outboxDir: config.mail.outboxDir }, 'SMTP_URL is not set: mail is written as .eml files to the outbox folder, not sent');
  }

  let outbox: Outbox;
  if (embedded) {
    outbox = new MemoryOutbox(retry, logger);
  } else {
    if (!config.redis) throw new Error('createMailer: embedded is false but no Redis is configured (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)');
    outbox = new BullOutbox({ target: config.redis, keyPrefix: config.keyPrefix, retry, concurrency: options.concurrency ?? 4, logger });
  }

  const sealer = createSealer(config.serverSecret);
  /** The recipient and data of a job (always sealed in Redis). */
  function unseal(job: OutboxJob): { to: string; data: Record<string, string> } {
    if (!job.sealed) throw new PermanentMailError('mail job has no sealed recipient and data');
    const opened = sealer.open(job.sealed);
    if (opened === null) throw new PermanentMailError('mail job was sealed with another SERVER_SECRET');
    return JSON.parse(opened) as { to: string; data: Record<string, string> };
  }

  /** One delivery attempt of one outbox job. */
  async function deliver(jobId: string, job: OutboxJob, attempt: number): Promise<void> {
    const log = { template: job.template, jobId, attempt };
    if (job.delivered || (await redis.exists(sentKey(jobId))) === 1) {
      logger.info({ ...log, outcome: 'skipped-already-sent' }, 'mail already sent for this request; not sending again');
      return;
    }
    let result;
    try {
      const { to, data } = unseal(job);
      const rendered = renderTemplate(templates, job.template, data, brand);
      result = await transport.deliver({ ...rendered, to, jobId });
    } catch (err) {
      const permanent = !(err instanceof MailDeliveryError);
      const final = permanent || attempt >= retry.attempts;
      const detail =
        err instanceof MailDeliveryError
          ? { code: err.code, responseCode: err.responseCode }
          : err instanceof PermanentMailError
            ? { responseCode: err.responseCode }
            : { error: (err as Error)?.name };
      if (final) {
        logger.error({ ...log, ...detail, outcome: 'gave-up' }, 'mail could not be delivered and will not be retried');
        await reportGiveUp(jobId, job.template, attempt);
      } else logger.warn({ ...log, ...detail, outcome: 'retry' }, 'mail delivery failed; will retry');
      // Anything other than a transient delivery error (a template bug, a 5xx) will not get better.
      if (permanent && !(err instanceof PermanentMailError)) throw new PermanentMailError(`mail job ${jobId} cannot be rendered or sent`);
      throw err;
    }
    // The mail is out: without its marker, a retry of this job (the job cannot be marked complete while Redis
    // is away either, so BullMQ will retry it) would send it again. Keep trying through a short outage.
    for (let tries = 1; ; tries += 1) {
      try {
        await redis.set(sentKey(jobId), String(Date.now()), 'EX', SENT_MARKER_TTL_SECONDS, 'NX');
        break;
      } catch (err) {
        if (tries >= SENT_MARKER_TRIES) {
          logger.error({ ...log, err: { message: (err as Error).message } }, 'mail sent but the sent marker could not be stored');
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(200 * tries, 2_000)));
      }
    }
    if (result.file) logger.info({ ...log, outcome: 'written', file: result.file }, 'mail written to the outbox folder');
    else logger.info({ ...log, outcome: 'sent' }, 'mail sent');
  }

  /** Tells staff a mail is lost: the caller's hook (audit), then an email to the practice (no PHI). */
  async function reportGiveUp(jobId: string, template: TemplateName, attempts: number): Promise<void> {
    try {
      await options.onGiveUp?.({ template, jobId, attempts });
    } catch (err) {
      logger.error({ jobId, err: { message: (err as Error).message } }, 'could not record that a mail was given up');
    }
    const notify = config.mail.practiceNotifyEmail;
    if (!notify || template === 'mail-failed') return;
    try {
      await mailer.send({ to: notify, template: 'mail-failed', data: { jobId, template, hours: String(retryHours) }, idempotencyKey: `mail-failed:${jobId}` });
    } catch (err) {
      logger.error({ jobId, err: { message: (err as Error).message } }, 'could not queue the mail-failed alert to the practice');
    }
  }

  let started = false;
  const mailer: Mailer = {
    async send(msg) {
      const parsed = MessageSchema.safeParse(msg);
      if (!parsed.success) {
        // Field names only: the values are PHI.
        const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
        throw new Error(`mailer.send: invalid ${fields.join(', ')}`);
      }
      const { to, template, data, idempotencyKey } = parsed.data;
      renderTemplate(templates, template, data, brand); // fail now, in the caller, not in the worker
      const jobId = outboxJobId(idempotencyKey);
      const queued = async () => {
        if ((await redis.exists(sentKey(jobId))) === 1) return false;
        await outbox.add(jobId, { template, sealed: sealer.seal(JSON.stringify({ to, data })) });
        return true;
      };
      const added = await withTimeout(queued(), enqueueTimeoutMs, 'queueing the mail');
      logger.info(
        { template, jobId, outcome: added ? 'queued' : 'skipped-already-sent' },
        added ? 'mail queued (a repeat of a queued request is ignored)' : 'mail for this request was already sent; not queued again',
      );
    },
    async start() {
      if (started) throw new Error('mailer.start() was already called');
      started = true;
      await outbox.start(deliver);
      logger.info({ transport: transport.kind, outbox: embedded ? 'memory' : 'bullmq' }, 'mail worker started');
    },
    whenIdle(timeoutMs) {
      return outbox.whenIdle(timeoutMs);
    },
    async close() {
      await outbox.close();
      transport.close();
    },
  };
  return mailer;
}
