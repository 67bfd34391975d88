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
import type { DialogState } from 'botbuilder-dialogs';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import { createRedis, Keys, type RedisClient } from '../services/redis';
import { RedisStorage } from '../services/state/redisStorage';
import { TurnLock } from '../services/state/turnLock';
import { DEFAULT_KB_FILE, loadKnowledgeBase, placeholdersFromConfig, type KnowledgeBase } from '../knowledge/schema';
import { createMatcher } from '../knowledge/matcher';
import { MainDialog, type FaqService, type FlowRegistry, type SessionState } from '../dialogs/mainDialog';
import { createAccountServices, type AccountServiceOptions, type AccountServices } from '../services/accountServices';
import type { AccountDeps } from '../dialogs/accountKit';
import { ContactPracticeDialog, CONTACT_PRACTICE_DIALOG } from '../dialogs/contactPracticeDialog';
import { RecoverUsernameDialog, RECOVER_USERNAME_DIALOG } from '../dialogs/recoverUsernameDialog';
import { ResetPasswordDialog, RESET_PASSWORD_DIALOG } from '../dialogs/resetPasswordDialog';
import { SecurityQuestionsDialog, SECURITY_QUESTIONS_DIALOG } from '../dialogs/securityQuestionsDialog';
import { PracticeTokenDialog, PRACTICE_TOKEN_DIALOG } from '../dialogs/practiceTokenDialog';
import { PracticeRequestDialog, PRACTICE_REQUEST_DIALOG } from '../dialogs/practiceRequestDialog';
import { RequestStatusDialog, REQUEST_STATUS_DIALOG } from '../dialogs/requestStatusDialog';
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

/**
 * The KB behind the dialogs. A turn asks about the same text more than once (emergency check, routing,
 * "is this a new question?"), so the last decision is remembered: decide() is pure for a given text.
 */
export function createFaqService(kb: KnowledgeBase): FaqService {
  const matcher = createMatcher(kb);
  const byId = new Map(kb.entries.map((e) => [e.id, e]));
  let last: { text: string; decision: ReturnType<FaqService['decide']> } | undefined;
  return {
    decide: (text) => {
      if (last?.text !== text) last = { text, decision: matcher.decide(text) };
      return last.decision;
    },
    entry: (id) => byId.get(id),
  };
}

export interface AppOptions {
  /** An existing connection (tests); the app then leaves closing it to the caller. */
  redis?: RedisClient;
  /** Mailer overrides (tests use fast retries). */
  mailer?: AccountServiceOptions['mailer'];
}

/** The flows the router can start, and which dialog performs each. */
const FLOWS: FlowRegistry = {
  'recover-username': { dialogId: RECOVER_USERNAME_DIALOG },
  'reset-password': { dialogId: RESET_PASSWORD_DIALOG },
  'reset-by-questions': { dialogId: SECURITY_QUESTIONS_DIALOG },
  'reset-by-token': { dialogId: PRACTICE_TOKEN_DIALOG },
  'renew-token': { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'token-renewal' } },
  'request-reset-token': { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'reset-token' } },
  reactivate: { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'reactivation' } },
  'request-status': { dialogId: REQUEST_STATUS_DIALOG },
  'contact-practice': { dialogId: CONTACT_PRACTICE_DIALOG },
};

/**
 * Whether text typed where the bot expected an answer (an email, a name, a security answer) is really a
 * new question: a sentence of three or more words the FAQ answers confidently. Short replies ("wrong",
 * "nope") are answers, however the matcher would read them on their own.
 */
export function isNewQuestion(faq: FaqService, text: string): boolean {
  if (text.trim().split(/\s+/).length < 3) return false;
  const decision = faq.decide(text);
  return decision.type === 'emergency' || (decision.type === 'answer' && decision.confidence >= 0.9);
}

export function createApp(config: Config, logger: Logger, options: AppOptions = {}): App {
  const { redis, embedded } = options.redis ? { redis: options.redis, embedded: false } : createRedis({ url: config.redisUrl, logger });
  const keys = new Keys(config.keyPrefix);

  const kb = loadKnowledgeBase(DEFAULT_KB_FILE, placeholdersFromConfig(config));
  const faq = createFaqService(kb);

  const storage = new RedisStorage(redis, keys, { ttlSeconds: config.stateTtlSeconds });
  const conversationState = new ConversationState(storage);
  const dialogState = conversationState.createProperty<DialogState>('dialogState');
  const session = conversationState.createProperty<SessionState>('session');
  const turnLock = new TurnLock(redis, keys, { lockMs: config.turnLockTimeoutMs, waitMs: config.turnLockTimeoutMs });

  const services = createAccountServices({ config, redis, embedded, logger, mailer: options.mailer });
  const accountDeps: AccountDeps = {
    ...services,
    logger,
    publicBaseUrl: config.publicBaseUrl,
    practice: config.practice,
    serverSecret: config.serverSecret,
    practiceNotifyEmail: config.mail.practiceNotifyEmail,
    isNewQuestion: (text) => isNewQuestion(faq, text),
    // Serialises security-answer checks per account across conversations and instances.
    accountLock: new TurnLock(redis, keys, { kind: 'acct', lockMs: 10_000, waitMs: 10_000 }),
  };
  const dialogs = [
    new ContactPracticeDialog(config.practice),
    new RecoverUsernameDialog(accountDeps),
    new ResetPasswordDialog(accountDeps),
    new SecurityQuestionsDialog(accountDeps),
    new PracticeTokenDialog(accountDeps),
    new PracticeRequestDialog(accountDeps),
    new RequestStatusDialog(accountDeps),
  ];
  const mainDialog = new MainDialog({ faq, session, practice: config.practice, logger, dialogs, flows: FLOWS });
  const bot = new PortalBot({ conversationState, dialogState, mainDialog, faq, turnLock, logger });

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
    } catch {
      /* the reply itself failed; nothing more to do */
    }
  };

  const server = createServer({
    adapter,
    bot,
    redis,
    logger,
    // Per-IP limits guard the pages patients' browsers open. /api/messages is not limited per IP: all
    // channel traffic arrives from Azure Bot Service's few addresses; it is limited per conversation.
    routes: [new ResetPage({ config, services, logger })],
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
