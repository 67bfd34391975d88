/**
 * The Redis connection and key naming, shared by every service.
 *
 * Keys follow `<prefix>:{<tag>}:<rest>`: the `{…}` part is a Redis Cluster hash tag, so every key of one
 * conversation, user or account lands on one slot and multi-key scripts keep working on a cluster.
 */
import Redis from 'ioredis';
import type { Logger } from './logger';

export type RedisClient = Redis;

export interface RedisOptions {
  url: string | undefined;
  logger: Logger;
  /** Longest one command waits for an answer (REDIS_COMMAND_TIMEOUT_MS). Default 2000 ms. */
  commandTimeoutMs?: number;
}

/**
 * Options of the command connection (every service but BullMQ, whose connections need
 * `maxRetriesPerRequest: null` and are made in services/mail). A Redis that stops answering (paused, a
 * network partition: the connection stays open) must not hang requests, so every command fails after
 * `commandTimeoutMs`; a Redis that is down fails commands after one reconnect attempt instead of queueing
 * them for the whole outage. The connection reconnects by itself (capped backoff) when Redis is back.
 */
export function commandConnectionOptions(commandTimeoutMs = 2000) {
  return {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    // Commands issued while (re)connecting wait in the offline queue, bounded by commandTimeout and
    // maxRetriesPerRequest, so a start-up race or a blip does not fail them.
    enableOfflineQueue: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), 1000),
    lazyConnect: false,
  } as const;
}

/** True when `err` means Redis did not answer (timeout, connection closed or refused), not a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Command timed out|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|is Redis reachable|LOADING|READONLY/.test(err.message)
  );
}

/**
 * Connects to `url`, or — when no url is given (never in production; config refuses it) — starts an
 * in-process stand-in (ioredis-mock) so `npm start` works on a machine with no Redis.
 */
export function createRedis({ url, logger, commandTimeoutMs }: RedisOptions): { redis: RedisClient; embedded: boolean } {
  if (!url) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisMock = require('ioredis-mock') as typeof Redis;
    logger.warn(
      '*** REDIS_URL is not set: using an IN-PROCESS Redis stand-in. State is lost on restart and is NOT shared between instances. Never run like this in production. ***',
    );
    return { redis: new RedisMock(), embedded: true };
  }
  const redis = new Redis(url, commandConnectionOptions(commandTimeoutMs));
  // One line per outage, not one per reconnect attempt.
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: { message: err.message } }, 'redis connection error');
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection is back');
    down = false;
  });
  return { redis, embedded: false };
}

/** Builds keys under one prefix. `tagged('conv', id)` → `pb:{conv:id}`. */
export class Keys {
  constructor(public readonly prefix: string) {}

  /** A key whose `{kind:id}` part is the cluster hash tag. */
  tagged(kind: string, id: string, ...rest: string[]): string {
    return [`${this.prefix}:{${kind}:${id}}`, ...rest].join(':');
  }

  /** A plain key under the prefix. */
  plain(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
