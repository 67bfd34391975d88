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
}

/**
 * Connects to `url`, or — when no url is given (never in production; config refuses it) — starts an
 * in-process stand-in (ioredis-mock) so `npm start` works on a machine with no Redis.
 */
export function createRedis({ url, logger }: RedisOptions): { redis: RedisClient; embedded: boolean } {
  if (!url) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisMock = require('ioredis-mock') as typeof Redis;
    logger.warn(
      '*** REDIS_URL is not set: using an IN-PROCESS Redis stand-in. State is lost on restart and is NOT shared between instances. Never run like this in production. ***',
    );
    return { redis: new RedisMock(), embedded: true };
  }
  const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  redis.on('error', (err: Error) => logger.error({ err: { message: err.message } }, 'redis connection error'));
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
