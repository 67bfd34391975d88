/**
 * Builds the whole bot host from configuration: Redis, state, knowledge base, dialogs, adapter and
 * HTTP routes. Everything is constructed here once and passed in; nothing else creates services.
 */
import type { Server } from 'restify';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  type TurnContext,
} from 'botbuilder';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import { createRedis, Keys, type RedisClient } from '../services/redis';
import { RedisStorage } from '../services/state/redisStorage';
import { TurnLock } from '../services/state/turnLock';
import { createAccountServices, type AccountServiceOptions, type AccountServices } from '../services/accountServices';
import { createConversation, type FaqService } from '../dialogs';
import { RedisMissLog } from '../services/insights/misses';
import { PortalBot } from './portalBot';
import { createServer } from './server';
import { ResetPage } from './resetPage';

export interface App {
  server: Server;
  redis: RedisClient;
  embeddedRedis: boolean;
  services: AccountServices;
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
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const { redis, embedded } = options.redis ? { redis: options.redis, embedded: false } : createRedis({ url: config.redisUrl, logger });
  const keys = new Keys(config.keyPrefix);

  const storage = new RedisStorage(redis, keys, { ttlSeconds: config.stateTtlSeconds });
  const conversationState = new ConversationState(storage);
  const turnLock = new TurnLock(redis, keys, { lockMs: config.turnLockTimeoutMs, waitMs: config.turnLockTimeoutMs, logger });

  const services = createAccountServices({ config, redis, embedded, logger, mailer: options.mailer });
  const conversation = createConversation({
    conversationState,
    practice: config.practice,
    recovery: services.recovery,
    sealer: services.sealer,
    logger,
    faq: options.faq,
    misses: new RedisMissLog(redis, keys, config.logUnanswered),
  });
  const bot = new PortalBot({ conversationState, conversation, turnLock, logger });

  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.microsoft.appId,
    MicrosoftAppPassword: config.microsoft.appPassword,
    MicrosoftAppType: config.microsoft.appType,
    MicrosoftAppTenantId: config.microsoft.tenantId,
  });
  const adapter = new CloudAdapter(auth);
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
    routes: [new ResetPage({ config, recovery: services.recovery, limits: services.limits, logger })],
    authDisabled: !config.microsoft.appId,
  });

  return {
    server,
    redis,
    embeddedRedis: embedded,
    services,
    listen: async (port, host = '0.0.0.0') => {
      // Serve even while Redis is unreachable (healthz then says 503); the mail worker connects when it can.
      const mailerStarted = services.mailer.start().catch((err: Error) => logger.error({ err: { message: err.message } }, 'mail worker failed to start'));
      const ready = await Promise.race([mailerStarted.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000).unref())]);
      if (!ready) logger.warn('mail worker is not connected yet; queued mail waits until it is');
      return new Promise((resolve) => {
        server.listen(port, host, () => resolve((server.address() as { port: number }).port));
      });
    },
    close: async () => {
      // Stop accepting; idle keep-alive sockets are closed now, requests in flight finish first.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections();
      await closed;
      logger.debug('http server closed');
      await services.mailer.close();
      logger.debug('mail worker closed');
      if (!options.redis) await redis.quit().catch(() => undefined);
    },
  };
}
