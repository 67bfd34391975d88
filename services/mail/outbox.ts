/**
 * The outbox: a durable queue between "the bot decided to send a mail" and "SMTP accepted it".
 *
 * The chat turn only adds a job (milliseconds, Redis); a worker delivers it, retrying with capped
 * exponential backoff for MAIL_RETRY_HOURS (default 24), so an SMTP outage of up to a day delays mail but
 * loses none; a mail finally given up is reported by the mailer (audit `mail-gave-up`, staff email). Jobs are keyed
 * by an id derived from the caller's idempotency key: adding the same id again while the job is queued
 * or remembered is a no-op. (The "already sent" marker that outlives the job is kept by the mailer.)
 *
 * Two implementations behind one interface:
 * - `BullOutbox` (real Redis): BullMQ, so jobs survive restarts and any instance's worker may deliver them.
 * - `MemoryOutbox` (embedded mode): BullMQ runs its queue logic as Lua scripts and blocking commands, which
 *   the in-process Redis stand-in (ioredis-mock) does not execute. Embedded mode is a single process whose
 *   whole store is in memory anyway, so an in-process queue with the same retry, backoff and dedupe rules
 *   is just as durable as everything else there.
 *
 * Privacy: a job's payload holds the recipient and the template data (a reset link, a token) because the
 * worker needs them to send. It is kept only until the mail is sent: BullMQ keeps a completed job for a
 * day (`removeOnComplete: { age }`, which is what makes a repeat within that day a no-op), so right after
 * delivery the worker overwrites the job's data with `{ delivered: true }` and nothing but the template
 * name; the memory outbox drops the payload and keeps the id. A job that is finally given up keeps its
 * payload for a day (`removeOnFail`) so an operator can see what was lost, then it is removed.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../logger';
import { bullConnectionOptions, connectRedis, Keys, type RedisClient, type RedisTarget } from '../redis';
import { PermanentMailError } from './transport';
import type { TemplateName } from './templates';

/**
 * A queued mail. The recipient and data (an address, a username, a reset link) are PHI or secrets, so
 * they travel sealed (`sealed`, AES-GCM keyed from SERVER_SECRET) and never appear in Redis in plain text.
 */
export interface OutboxJob {
  template: TemplateName;
  /** `{to, data}` sealed with the server secret; dropped once the mail went out. */
  sealed?: string;
  /** Set once the mail went out, when the sealed recipient and data are wiped from the stored job. */
  delivered?: true;
}

/** What a delivered job keeps in Redis: the template name only. */
export function scrubbed(job: OutboxJob): OutboxJob {
  return { template: job.template, delivered: true };
}

export interface RetryPolicy {
  /** Total delivery attempts before the mail is given up (logged as an error). */
  attempts: number;
  /** Delay before the first retry; doubles on each further retry … */
  baseDelayMs: number;
  /** … up to this cap. */
  maxDelayMs: number;
}

/** The longest wait between two delivery attempts (the backoff's cap). */
export const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * The retry policy that keeps trying for about `hours` (MAIL_RETRY_HOURS): 2 s, 4 s, 8 s, … doubling up to
 * 15 minutes apart, then every 15 minutes, with as many attempts as fit in the window. An SMTP outage
 * shorter than that delays mail but loses none; after it the mail is given up and staff are alerted.
 */
export function retryPolicyFor(hours: number, baseDelayMs = 2_000, maxDelayMs = MAX_RETRY_DELAY_MS): RetryPolicy {
  const windowMs = hours * 3_600_000;
  let elapsed = 0;
  let attempts = 1;
  while (elapsed < windowMs) {
    elapsed += Math.min(baseDelayMs * 2 ** (attempts - 1), maxDelayMs);
    attempts += 1;
  }
  return { attempts, baseDelayMs, maxDelayMs };
}

/** About 24 hours of retrying (MAIL_RETRY_HOURS' default): ~105 attempts, at most 15 minutes apart. */
export const DEFAULT_RETRY: RetryPolicy = retryPolicyFor(24);

/** How long a delivered (or finally failed) job id is remembered, so re-adding it is a no-op. */
export const JOB_RETENTION_SECONDS = 24 * 60 * 60;

/** Delay before retry number `attemptsMade` (1 = first retry): capped doubling plus up to 10 % jitter. */
export function backoffDelay(attemptsMade: number, policy: RetryPolicy): number {
  const exp = policy.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1);
  const capped = Math.min(exp, policy.maxDelayMs);
  return Math.round(capped * (1 + Math.random() * 0.1));
}

/** One delivery attempt. Throw to retry; throw `PermanentMailError` to give up at once. */
export type Deliver = (jobId: string, job: OutboxJob, attempt: number) => Promise<void>;

export interface Outbox {
  /** Durably queues `job` under `jobId`, unless a job with that id is queued or remembered already. */
  add(jobId: string, job: OutboxJob): Promise<void>;
  /** Starts delivering queued jobs. */
  start(deliver: Deliver): Promise<void>;
  /** Stops taking jobs and waits for in-flight deliveries to finish. */
  close(): Promise<void>;
  /**
   * Resolves once no job is waiting, retrying (delayed) or being delivered; rejects after `timeoutMs`.
   * For tests ("no mail was sent" is only meaningful once the outbox has settled); not used in production.
   */
  whenIdle(timeoutMs?: number): Promise<void>;
}

/** Polls `isIdle` until it is true; rejects after `timeoutMs` with `describe()` in the message. */
async function pollUntilIdle(isIdle: () => Promise<boolean> | boolean, timeoutMs: number, describe: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isIdle())) {
    if (Date.now() >= deadline) throw new Error(`mail outbox still busy after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Queue name. Its keys are `{<REDIS_KEY_PREFIX>-mail}:outbox:…` (`outboxPrefix`). */
export const OUTBOX_QUEUE = 'outbox';

/**
 * BullMQ's prefix for the outbox: `{<prefix>-mail}`. The braces are a Redis Cluster hash tag, so every key of
 * the queue (BullMQ's Lua scripts touch several at once) is on one slot.
 */
export function outboxPrefix(keyPrefix: string): string {
  return new Keys(keyPrefix).bullPrefix('mail');
}
const BACKOFF_TYPE = 'capped-exponential';

export interface BullOutboxOptions {
  /** Where Redis is (one node, Sentinel or Cluster). */
  target: RedisTarget;
  /** The configured Redis key prefix: BullMQ's keys are `{<keyPrefix>-mail}:outbox:…` (outboxPrefix). */
  keyPrefix: string;
  retry: RetryPolicy;
  concurrency: number;
  logger: Logger;
}

/**
 * The BullMQ outbox. It makes its own connections (BullMQ needs `maxRetriesPerRequest: null`), one for the
 * queue and one for the worker (which BullMQ duplicates for its blocking reads), and closes them itself.
 */
export class BullOutbox implements Outbox {
  private readonly queue: Queue<OutboxJob>;
  private worker: Worker<OutboxJob> | undefined;
  private readonly prefix: string;
  private readonly connections: RedisClient[] = [];

  constructor(private readonly opts: BullOutboxOptions) {
    this.prefix = outboxPrefix(opts.keyPrefix);
    this.queue = new Queue<OutboxJob>(OUTBOX_QUEUE, {
      connection: this.connect(),
      prefix: this.prefix,
      defaultJobOptions: {
        attempts: opts.retry.attempts,
        backoff: { type: BACKOFF_TYPE, delay: opts.retry.baseDelayMs },
        // Delivered: drop the payload (recipient, data) but keep the id for a day so a repeat is a no-op.
        removeOnComplete: { age: JOB_RETENTION_SECONDS },
        // Given up: kept a day for an operator to inspect, then removed with its payload.
        removeOnFail: { age: JOB_RETENTION_SECONDS },
      },
    });
    this.queue.on('error', (err: Error) => opts.logger.error({ err: { message: err.message } }, 'mail outbox queue error'));
  }

  private connect(): RedisClient {
    const connection = connectRedis(this.opts.target, bullConnectionOptions());
    this.connections.push(connection);
    return connection;
  }

  async add(jobId: string, job: OutboxJob): Promise<void> {
    await this.queue.add('mail', job, { jobId });
  }

  async start(deliver: Deliver): Promise<void> {
    if (this.worker) throw new Error('mail outbox worker already started');
    const { retry, logger } = this.opts;
    this.worker = new Worker<OutboxJob>(
      OUTBOX_QUEUE,
      async (job: Job<OutboxJob>) => {
        try {
          await deliver(job.id as string, job.data, job.attemptsMade + 1);
        } catch (err) {
          // UnrecoverableError makes BullMQ fail the job without using the remaining attempts.
          if (err instanceof PermanentMailError) throw new UnrecoverableError(err.message);
          throw err;
        }
        if (!job.data.delivered) {
          try {
            await job.updateData(scrubbed(job.data));
          } catch (err) {
            logger.warn({ jobId: job.id, err: { message: (err as Error).message } }, 'could not wipe a delivered mail job; it expires in a day');
          }
        }
      },
      {
        connection: this.connect(),
        prefix: this.prefix,
        concurrency: this.opts.concurrency,
        settings: {
          backoffStrategy: (attemptsMade: number, type?: string) =>
            type === BACKOFF_TYPE ? backoffDelay(attemptsMade, retry) : retry.baseDelayMs,
        },
      },
    );
    this.worker.on('error', (err: Error) => logger.error({ err: { message: err.message } }, 'mail outbox worker error'));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    // Worker.close() waits for the job being delivered to finish before it disconnects. With Redis
    // unreachable it would wait forever, so after CLOSE_TIMEOUT_MS the connections are simply dropped
    // (nothing is lost: undelivered jobs stay in Redis for the next worker).
    const graceful = (async () => {
      if (this.worker) await this.worker.close();
      await this.queue.close();
      await Promise.allSettled(this.connections.map((c) => c.quit()));
      return true;
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS);
    });
    // The timer is cleared once the race is decided, so it does not keep the process alive for 5 s more.
    const closedInTime = await Promise.race([graceful, timedOut]).finally(() => clearTimeout(timer));
    if (!closedInTime) {
      // Not awaited: with no connection ever made these promises may never settle.
      void Promise.allSettled([this.worker?.disconnect(), this.queue.disconnect()]);
      for (const c of this.connections) c.disconnect();
    }
  }

  async whenIdle(timeoutMs = 10_000): Promise<void> {
    const busy = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
    const counts = () => this.queue.getJobCounts(...busy);
    await pollUntilIdle(async () => Object.values(await counts()).every((n) => n === 0), timeoutMs, async () => JSON.stringify(await counts()));
  }
}

/** How long `close()` waits for a graceful stop before dropping the Redis connections. */
const CLOSE_TIMEOUT_MS = 5000;

interface MemoryEntry {
  /** Dropped once delivered (or given up), like BullMQ's removeOnComplete. */
  job: OutboxJob | undefined;
  attemptsMade: number;
  state: 'waiting' | 'active' | 'done';
  doneAt?: number;
}

/** The embedded-mode outbox: same retry, backoff and dedupe rules, in process memory (see file comment). */
export class MemoryOutbox implements Outbox {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private deliver: Deliver | undefined;
  private closed = false;

  constructor(
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  async add(jobId: string, job: OutboxJob): Promise<void> {
    this.forgetOld();
    if (this.entries.has(jobId)) return;
    this.entries.set(jobId, { job, attemptsMade: 0, state: 'waiting' });
    if (this.deliver && !this.closed) this.schedule(jobId, 0);
  }

  async start(deliver: Deliver): Promise<void> {
    if (this.deliver) throw new Error('mail outbox worker already started');
    this.deliver = deliver;
    this.closed = false;
    for (const [id, entry] of this.entries) if (entry.state === 'waiting' && !this.timers.has(id)) this.schedule(id, 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  async whenIdle(timeoutMs = 10_000): Promise<void> {
    const pending = () => [...this.entries.values()].filter((e) => e.state !== 'done').length + this.inFlight.size;
    await pollUntilIdle(() => pending() === 0, timeoutMs, () => `${pending()} job(s) pending`);
  }

  private forgetOld(): void {
    const cutoff = Date.now() - JOB_RETENTION_SECONDS * 1000;
    for (const [id, e] of this.entries) if (e.state === 'done' && (e.doneAt ?? 0) < cutoff) this.entries.delete(id);
  }

  private schedule(jobId: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(jobId);
      const run = this.attempt(jobId).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }, delayMs);
    this.timers.set(jobId, timer);
  }

  private async attempt(jobId: string): Promise<void> {
    const entry = this.entries.get(jobId);
    if (!entry || entry.state !== 'waiting' || !entry.job || !this.deliver || this.closed) return;
    entry.state = 'active';
    try {
      await this.deliver(jobId, entry.job, entry.attemptsMade + 1);
      this.finish(entry);
    } catch (err) {
      entry.attemptsMade += 1;
      if (err instanceof PermanentMailError || entry.attemptsMade >= this.retry.attempts) {
        this.finish(entry);
        return;
      }
      entry.state = 'waiting';
      if (!this.closed) this.schedule(jobId, backoffDelay(entry.attemptsMade, this.retry));
      else this.logger.warn({ jobId }, 'mail outbox closed with a delivery still pending; it is lost (embedded mode)');
    }
  }

  private finish(entry: MemoryEntry): void {
    entry.state = 'done';
    entry.doneAt = Date.now();
    entry.job = undefined;
  }
}
