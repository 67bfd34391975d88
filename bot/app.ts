/**
 * Builds the whole bot host from configuration: Redis, state, knowledge base, dialogs, adapter and
 * HTTP routes. Everything is constructed here once and passed in; nothing else creates services.
 */
import type { Server } from 'restify';
import { CloudAdapter, type TurnContext } from 'botbuilder';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import { bullConnectionOptions, connectRedis, createRedis, isRedisUnavailable, Keys, type RedisClient } from '../services/redis';
import { RedisStorage } from '../services/state/redisStorage';
import { TurnLock } from '../services/state/turnLock';
import { TurnConversationState } from '../services/state/turnState';
import { createAccountServices, type AccountServiceOptions, type AccountServices } from '../services/accountServices';
import { createConversation, type FaqService } from '../dialogs';
import { RedisMissLog } from '../services/insights/misses';
import { PortalBot } from './portalBot';
import { CachedClientsAuthentication } from './connectorCache';
import { createServer, type HealthCheck } from './server';
import { ResetPage } from './resetPage';
import { EnrollPage } from './enrollPage';
import { ChannelRules } from './channels';
import { WebChatPage } from './webchat';
import { DevDirectLine } from './directline/devDirectLine';
import { createOptOutStore, type OptOutStore } from '../services/channels/optOut';
import { createStaffTeamStore, type StaffTeamStore } from '../services/channels/teamsStaff';
import { createMailCanceller } from './mailCancel';
import { Queue } from 'bullmq';
import { OUTBOX_QUEUE, outboxPrefix } from '../services/mail/outbox';
import { HandoffDesk, HandoffQueue, type ConversationKeysRead } from '../services/handoff';
import { StaffDirectory } from '../services/staff';
import { PatientDelivery } from './staff/delivery';
import { StaffConsole } from './staff/staffConsole';
import { TeamsStaffCards } from './staff/teamsCards';

export interface App {
  server: Server;
  redis: RedisClient;
  embeddedRedis: boolean;
  services: AccountServices;
  /** SMS opt-outs (check before anything proactive) and the Teams staff teams (bot/channels.ts). */
  channels: { optOuts: OptOutStore; staffTeams: StaffTeamStore };
  /** Live handoff: the queue's use cases and the staff accounts (bot/staff/). */
  handoff: { desk: HandoffDesk; staff: StaffDirectory };
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting requests, waits for turns in flight, then closes Redis. */
  close(): Promise<void>;
}

export interface AppOptions {
  /** An existing connection (tests); the app then leaves closing it to the caller. */
  redis?: RedisClient;
  /** Mailer overrides (tests use fast retries). */
  mailer?: AccountServiceOptions['mailer'];
  /** A knowledge base other than the shipped one. */
  faq?: FaqService;
  /** False: do not start the mail worker (tests of Redis faults that do not need mail delivered). Default true. */
  mailWorker?: boolean;
  /** How often the held-back request summary is looked for (ms; default a minute; tests make it short). */
  heldSummaryIntervalMs?: number;
}

/** Resolves with `promise`, or with `fallback` after `ms` (the timer does not keep the process alive). */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() => clearTimeout(timer));
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const { redis, embedded } = options.redis
    ? { redis: options.redis, embedded: false }
    : createRedis({ target: config.redis, logger, commandTimeoutMs: config.redisCommandTimeoutMs });
  const keys = new Keys(config.keyPrefix);

  const storage = new RedisStorage(redis, keys, { ttlSeconds: config.stateTtlSeconds });
  // A turn waits for its conversation's lock at most half its deadline, so it can still say "I'm still
  // working on your previous message" instead of missing the deadline.
  const turnLock = new TurnLock(redis, keys, {
    lockMs: config.turnLockTimeoutMs,
    waitMs: Math.min(config.turnLockTimeoutMs, Math.floor(config.turnDeadlineMs / 2)),
    logger,
  });
  // The handoff queue is built here, before conversation state: a patient turn reads the conversation's handoff
  // keys in the lock's round trip (services/state/turnState.ts `alsoRead`), not in one more.
  const handoffQueue = new HandoffQueue({ redis, keys, serverSecret: config.serverSecret, presenceSeconds: config.handoff.presenceSeconds });
  const conversationState = new TurnConversationState(storage, turnLock, { alsoRead: (id) => handoffQueue.conversationKeys(id) });
  const handoffKeysRead = (context: TurnContext): ConversationKeysRead => {
    const [handoffId, external] = conversationState.readWithLock(context);
    return { handoffId, external };
  };

  // Connector and user-token clients are reused across turns (bot/connectorCache.ts).
  const auth = new CachedClientsAuthentication({
    MicrosoftAppId: config.microsoft.appId,
    MicrosoftAppPassword: config.microsoft.appPassword,
    MicrosoftAppType: config.microsoft.appType,
    MicrosoftAppTenantId: config.microsoft.tenantId,
  });
  const adapter = new CloudAdapter(auth);

  // New handoffs and requests are also posted to the practice's staff team in Teams, when the app is installed there.
  const staffTeams = createStaffTeamStore(redis, keys);
  const teamsCards = new TeamsStaffCards({ adapter, appId: config.microsoft.appId, staffTeams, publicBaseUrl: config.publicBaseUrl, timeZone: config.practice.timeZone, logger });
  const services = createAccountServices({ config, redis, embedded, logger, mailer: options.mailer, staffNotices: teamsCards });
  const desk = new HandoffDesk({
    queue: handoffQueue,
    audit: services.audit,
    logger,
    hours: config.practice.hours,
    timeZone: config.practice.timeZone,
    waitSeconds: config.handoff.waitSeconds,
    responseTime: config.requestResponseTime,
    mode: config.handoff.mode,
    notifier: teamsCards,
  });
  const staffDirectory = new StaffDirectory({ redis, keys, serverSecret: config.serverSecret, idleMinutes: config.staff.idleMinutes, lockoutAttempts: config.staff.lockoutAttempts });
  const conversation = createConversation({
    conversationState,
    practice: config.practice,
    recovery: services.recovery,
    sealer: services.sealer,
    logger,
    faq: options.faq,
    misses: new RedisMissLog(redis, keys, config.logUnanswered),
    requestResponseTime: config.requestResponseTime,
    handoff: desk,
    handoffKeysRead,
  });
  const optOuts = createOptOutStore(redis, keys, config.serverSecret);
  const bot = new PortalBot({
    conversationState,
    conversation,
    logger,
    channels: new ChannelRules({ practice: config.practice, optOuts, staffTeams, conversation, logger }),
    deadlineMs: config.turnDeadlineMs,
    cancelMail: createMailCanceller(redis, keys, logger),
    handoffStatus: (context) => delivery.onHandoffStatus(context),
  });

  // Readiness beyond Redis: can mail be queued (a BullMQ connection like the outbox's answers), and — in
  // production — does the directory hold any patient (an empty one means Redis lost its data).
  const mailProbeConnection = embedded || !config.redis ? undefined : connectRedis(config.redis, bullConnectionOptions());
  const mailProbe = mailProbeConnection && new Queue(OUTBOX_QUEUE, { connection: mailProbeConnection, prefix: outboxPrefix(config.keyPrefix) });
  mailProbe?.on('error', () => undefined); // the redis check and the mailer log outages
  const healthChecks: HealthCheck[] = [];
  if (mailProbe) {
    healthChecks.push({
      name: 'mailQueue',
      check: async () => Boolean(await mailProbe.getJobCounts('waiting')),
    });
  }
  if (config.nodeEnv === 'production') {
    healthChecks.push({ name: 'directory', readinessOnly: true, check: async () => !(await services.directory.isEmpty()) });
  }

  const delivery = new PatientDelivery({ adapter, appId: config.microsoft.appId, conversationState, desk, practice: config.practice, logger });
  const staffConsole = new StaffConsole({
    config,
    desk,
    staff: staffDirectory,
    audit: services.audit,
    requests: services.requests,
    adminServices: { ...services, sendMail: (msg) => services.mailer.send(msg as Parameters<typeof services.mailer.send>[0]) },
    delivery,
    redis,
    logger,
  });
  adapter.onTurnError = async (context: TurnContext, error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    // Names and messages only: stack traces can carry activity text.
    logger.error({ err: { name: err.name, message: err.message }, channel: context.activity.channelId }, 'turn failed');
    try {
      await context.sendActivity(
        `Sorry, something went wrong on our side. Please try again, or call ${config.practice.phone} if it keeps happening.`,
      );
    } catch (replyErr) {
      // The reply itself failed (the channel or Redis is down): nothing more to do than say so.
      logger.warn({ err: { name: (replyErr as Error).name, message: (replyErr as Error).message } }, 'could not tell the patient the turn failed');
    }
  };

  const server = createServer({
    adapter,
    bot,
    redis,
    logger,
    // Per-IP limits guard the pages patients' browsers open. /api/messages is not limited per IP: all
    // channel traffic arrives from Azure Bot Service's few addresses; it is limited per conversation.
    routes: [
      new ResetPage({ config, recovery: services.recovery, limits: services.limits, logger }),
      new EnrollPage({ config, recovery: services.recovery, limits: services.limits, logger }),
      new WebChatPage({ config, limits: services.limits, logger }),
      staffConsole,
      // Outside production only (config refuses DEV_DIRECTLINE=true there).
      ...(config.channels.directLine.dev && config.channels.directLine.secret
        ? [new DevDirectLine({ redis, keys, secret: config.channels.directLine.secret, signingSecret: config.serverSecret, botName: config.practice.name, logger })]
        : []),
    ],
    authDisabled: !config.microsoft.appId,
    devConnectorPorts: config.devConnectorPorts,
    healthChecks,
  });

  let heldSummaryTimer: NodeJS.Timeout | undefined;
  let heldSummaryTick: Promise<void> | undefined;
  return {
    server,
    redis,
    embeddedRedis: embedded,
    services,
    channels: { optOuts, staffTeams },
    handoff: { desk, staff: staffDirectory },
    listen: async (port, host = config.listenHost) => {
      delivery.start();
      // Requests held back over STAFF_NOTIFY_PER_HOUR are summarised to the practice once an hour has room, even
      // if no later request comes to carry the summary. Every instance looks; one (atomically) sends it.
      heldSummaryTimer ??= setInterval(() => {
        if (heldSummaryTick) return; // one at a time
        heldSummaryTick = services.recovery
          .sendHeldSummary()
          .then(() => undefined)
          .catch((err: Error) => {
            // Redis down is reported by the connection already (and /healthz); the next minute tries again.
            if (!isRedisUnavailable(err)) logger.warn({ err: { message: err.message } }, 'held request summary failed');
          })
          .finally(() => (heldSummaryTick = undefined));
      }, options.heldSummaryIntervalMs ?? 60_000);
      heldSummaryTimer.unref();
      // Serve even while Redis is unreachable (healthz then says 503): each waits at most 3 s (together), then
      // carries on in the background. The mail worker connects when it can; staff consoles on this instance hear
      // of handoffs queued on any instance once the events channel is subscribed.
      const mailerStarted =
        options.mailWorker === false
          ? Promise.resolve(true)
          : services.mailer.start().then(
              () => true,
              (err: Error) => {
                logger.error({ err: { message: err.message } }, 'mail worker failed to start');
                return true;
              },
            );
      const [mailReady, eventsReady] = await Promise.all([within(mailerStarted, 3000, false), within(staffConsole.ready().then(() => true), 3000, false)]);
      if (!mailReady) logger.warn('mail worker is not connected yet; queued mail waits until it is');
      if (!eventsReady) logger.warn('staff events are not subscribed yet; open consoles get them once they are');
      return new Promise((resolve) => {
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      });
    },
    close: async () => {
      // Stop accepting; idle keep-alive sockets are closed now, requests in flight finish first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      delivery.stop();
      clearInterval(heldSummaryTimer);
      // A summary being queued finishes before the mailer closes (bounded: with Redis gone it could wait long).
      if (heldSummaryTick) await within(heldSummaryTick, 2000, undefined);
      await staffConsole.close(); // ends open event streams, so the server can close
      server.server.closeIdleConnections();
      await closed;
      logger.debug('http server closed');
      // Each step is bounded: with Redis gone, a graceful close could wait for ever.
      if (!(await within(services.mailer.close().then(() => true), 6000, false))) logger.warn('mail worker did not close in time');
      logger.debug('mail worker closed');
      if (mailProbe && !(await within(mailProbe.close().then(() => true), 1000, false))) void mailProbe.disconnect().catch(() => undefined);
      mailProbeConnection?.disconnect();
      if (!options.redis && !(await within(redis.quit().then(() => true), 1000, false).catch(() => false))) redis.disconnect();
    },
  };
}
