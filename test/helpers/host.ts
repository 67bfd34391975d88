/**
 * Starts the real bot host on an ephemeral port, against real Redis, and talks to it over HTTP the way
 * a channel does (`deliveryMode: "expectReplies"` returns the replies in the response body).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../services/config';
import { createLogger } from '../../services/logger';
import { createApp, type App, type AppOptions } from '../../bot/app';
import { connectCommandRedis, type RedisClient } from '../../services/redis';
import { deletePrefix, testRedisEnv, uniquePrefix } from './redis';

export interface ReplyActivity {
  type: string;
  text?: string;
  suggestedActions?: { actions: Array<{ title: string; value: string }> };
  attachments?: Array<{ contentType: string; content: { text?: string; buttons?: Array<{ title: string; value: string }> } }>;
}

export interface TestHost {
  app: App;
  url: string;
  config: Config;
  redis: RedisClient;
  prefix: string;
  /** Log lines the host wrote (JSON strings), for PHI scans. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startHost(
  name: string,
  db: number,
  env: Record<string, string> = {},
  options: Omit<AppOptions, 'redis'> = {},
): Promise<TestHost> {
  const prefix = uniquePrefix(name);
  // The test server's db `db` (or the test cluster: TEST_REDIS_CLUSTER_NODES), unless `env` names a Redis.
  const redisEnv = env.REDIS_URL || env.REDIS_SENTINELS || env.REDIS_CLUSTER_NODES ? {} : testRedisEnv(db);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    ...redisEnv,
    REDIS_KEY_PREFIX: prefix,
    PRACTICE_HOURS: 'Mon-Sun 00:00-23:59',
    OUTBOX_DIR: path.join(os.tmpdir(), `${prefix}-outbox`),
    // A small floor keeps the suite fast; test/faults/timing.test.ts sets the floor it measures.
    RECOVERY_MIN_MS: '20',
    ...env,
  });
  // The host's command connection, made the way bot/app.ts makes it (command timeout, bounded retries).
  if (!config.redis) throw new Error('startHost: no Redis configured');
  const redis = connectCommandRedis(config.redis, config.redisCommandTimeoutMs); // as bot/app.ts makes it
  redis.on('error', () => undefined); // tests that stop Redis see it in /healthz and the replies
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const app = createApp(config, logger, { ...options, redis });
  const port = await app.listen(Number(env.PORT ?? 0), env.HOST ?? '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    redis,
    prefix,
    logs,
    stop: async () => {
      await app.close();
      await deletePrefix(redis, prefix).catch(() => undefined); // Redis may be gone (fault tests)
      redis.disconnect();
    },
  };
}

/** One patient's conversation with the host over a channel. */
export class Conversation {
  readonly id = `conv-${randomUUID()}`;
  readonly userId = `user-${randomUUID()}`;

  constructor(
    private readonly host: { url: string },
    readonly channelId = 'webchat',
  ) {}

  activity(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      channelId: this.channelId,
      serviceUrl: 'http://127.0.0.1:9/unused',
      conversation: { id: this.id },
      from: { id: this.userId },
      recipient: { id: 'bot' },
      deliveryMode: 'expectReplies',
      ...extra,
    };
  }

  /** Sends raw JSON and returns status and parsed body. */
  async post(body: unknown): Promise<{ status: number; body: { activities?: ReplyActivity[]; error?: string } }> {
    const res = await fetch(`${this.host.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  }

  /** Sends a message and returns the bot's replies. */
  async say(text: string): Promise<ReplyActivity[]> {
    const { status, body } = await this.post(this.activity({ type: 'message', text, id: randomUUID() }));
    if (status !== 200) throw new Error(`HTTP ${status}: ${JSON.stringify(body)}`);
    return (body.activities ?? []).filter((a) => a.type === 'message');
  }

  async join(): Promise<ReplyActivity[]> {
    const { body } = await this.post(
      this.activity({ type: 'conversationUpdate', membersAdded: [{ id: this.userId }, { id: 'bot' }] }),
    );
    return (body.activities ?? []).filter((a) => a.type === 'message');
  }
}

/** All text of replies, including card text, joined for assertions. */
export function textOf(replies: ReplyActivity[]): string {
  return replies.map((r) => [r.text ?? '', ...(r.attachments ?? []).map((a) => a.content.text ?? '')].join('\n')).join('\n');
}

export function buttonsOf(replies: ReplyActivity[]): string[] {
  return replies.flatMap((r) => [
    ...(r.suggestedActions?.actions ?? []).map((a) => a.title),
    ...(r.attachments ?? []).flatMap((a) => (a.content.buttons ?? []).map((b) => b.title)),
  ]);
}
