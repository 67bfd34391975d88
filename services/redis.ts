/**
 * The Redis connection and key naming, shared by every service.
 *
 * Three deployments, chosen by configuration (services/config.ts → `RedisTarget`):
 * - one node (`REDIS_URL`);
 * - Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`): ioredis asks the sentinels for the current master and
 *   follows a failover by itself;
 * - Cluster (`REDIS_CLUSTER_NODES`): ioredis' `Cluster` routes each command to the node owning its slot.
 *
 * `RedisClient` is either a `Redis` or a `Cluster`; both have every command, `duplicate()` and pub/sub.
 * On a cluster a Lua script, a MULTI or a pipeline may only touch keys of one slot, so every key that is
 * used together with another follows `<prefix>:{<tag>}:<rest>`: the `{…}` part is the hash tag, and keys
 * written together share it (one conversation, one account, the handoff queue, the request queue…).
 * There is no ioredis `keyPrefix` anywhere (BullMQ refuses it); BullMQ gets its own hash-tagged prefix.
 */
import Redis, { Cluster, type ClusterOptions, type RedisOptions as IORedisOptions } from 'ioredis';
import type { Logger } from './logger';

export type RedisClient = Redis | Cluster;

/** A `host:port` of a sentinel or cluster node. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one node, a Sentinel-managed master, or a Cluster (REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES). */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string; sentinelPassword?: string; tls?: boolean }
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string; tls?: boolean };

export interface RedisOptions {
  /** Where to connect; undefined (never in production) = the in-process stand-in. */
  target?: RedisTarget;
  /** Shorthand for `target: { mode: 'single', url }`. */
  url?: string;
  logger: Logger;
  /** Longest one command waits for an answer (REDIS_COMMAND_TIMEOUT_MS). Default 2000 ms. */
  commandTimeoutMs?: number;
}

/** Parses `host:port,host:port` (REDIS_SENTINELS, REDIS_CLUSTER_NODES); null when any entry is malformed. */
export function parseNodeList(value: string): RedisNode[] | null {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return null;
  const nodes: RedisNode[] = [];
  for (const entry of entries) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    if (!m) return null;
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return null;
    nodes.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return nodes;
}

/**
 * Options of the command connection (every service but BullMQ, whose connections need
 * `maxRetriesPerRequest: null`: see `bullConnectionOptions`). A Redis that stops answering (paused, a
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

/** Options of a BullMQ connection (queue or worker): no per-command retry limit, BullMQ's own reconnect backoff. */
export function bullConnectionOptions() {
  return {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.max(Math.min(Math.exp(times), 20_000), 1000),
  } as const;
}

/**
 * A new connection to `target` with `options` (per node on a cluster). Sentinel: the sentinels are asked
 * for the master named `name`, and a failover (or a master answering READONLY because it was demoted) makes
 * ioredis reconnect to the new master. Cluster: slots are discovered from the nodes given and refreshed on
 * MOVED/ASK and on failover.
 */
export function connectRedis(target: RedisTarget, options: IORedisOptions): RedisClient {
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        // A demoted master answers writes with READONLY: reconnect, which asks the sentinels again.
        reconnectOnError: (err: Error) => (/READONLY/.test(err.message) ? 2 : false),
        sentinelRetryStrategy: (times: number) => Math.min(100 * times, 1000),
      });
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy, lazyConnect, ...perNode } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...perNode, password: target.password, ...(target.tls ? { tls: {} } : {}) },
        enableOfflineQueue: enableOfflineQueue ?? true,
        lazyConnect: lazyConnect ?? false,
        clusterRetryStrategy: (times: number) => (retryStrategy ? (retryStrategy(times) ?? null) : Math.min(100 * times, 2000)),
        // While a failover promotes a replica, commands get CLUSTERDOWN or a connection error: retry shortly.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 200,
        retryDelayOnTryAgain: 100,
        slotsRefreshTimeout: 2000,
        // Writes and reads go to masters: a replica may lag behind the eTag and lock checks.
        scaleReads: 'master',
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/**
 * True when `err` means Redis did not answer (timeout, connection closed or refused, a failover in progress), not a
 * bug. Errors wrapped on the way up (botbuilder-dialogs' DialogContextError keeps the original in `error`, others in
 * `cause`) are unwrapped.
 */
export function isRedisUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error)) return false;
  if (
    err.name === 'MaxRetriesPerRequestError' ||
    err.name === 'ClusterAllFailedError' ||
    /Command timed out|Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|is Redis reachable|max retries per request|LOADING|READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|Failed to refresh slots cache|None of startup nodes is available|All sentinels are unreachable/.test(
      err.message,
    )
  ) {
    return true;
  }
  const inner = (err as { error?: unknown }).error ?? err.cause;
  return depth < 3 && inner !== err && isRedisUnavailable(inner, depth + 1);
}

/**
 * The command connection every service but BullMQ uses: `commandConnectionOptions` and coalesced writes
 * (`coalesceWrites`). The one way to make it, so tests run on the same connection as production.
 */
export function connectCommandRedis(target: RedisTarget, commandTimeoutMs?: number): RedisClient {
  const redis = connectRedis(target, commandConnectionOptions(commandTimeoutMs));
  coalesceWrites(redis);
  return redis;
}

/** The target described by `options` (`target` wins over `url`). */
function targetOf({ target, url }: Pick<RedisOptions, 'target' | 'url'>): RedisTarget | undefined {
  return target ?? (url ? { mode: 'single', url } : undefined);
}

/**
 * Connects to the configured Redis, or — when none is configured (never in production; config refuses
 * it) — starts an in-process stand-in (ioredis-mock) so `npm start` works on a machine with no Redis.
 */
export function createRedis({ target, url, logger, commandTimeoutMs }: RedisOptions): { redis: RedisClient; embedded: boolean } {
  const where = targetOf({ target, url });
  if (!where) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const RedisMock = require('ioredis-mock') as typeof Redis;
    logger.warn(
      '*** REDIS_URL is not set: using an IN-PROCESS Redis stand-in. State is lost on restart and is NOT shared between instances. Never run like this in production. ***',
    );
    return { redis: new RedisMock(), embedded: true };
  }
  const redis = connectCommandRedis(where, commandTimeoutMs);
  // One line per outage, not one per reconnect attempt.
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: { message: err.message }, mode: where.mode }, 'redis connection error');
  });
  redis.on('ready', () => {
    if (down) logger.info({ mode: where.mode }, 'redis connection is back');
    down = false;
  });
  return { redis, embedded: false };
}

/** Connections whose writes are already coalesced. */
const coalescing = new WeakSet<Redis>();

interface CommandSender {
  sendCommand(...args: unknown[]): unknown;
  stream?: { cork(): void; uncork(): void };
  status: string;
}

/**
 * Commands issued in one turn of the event loop go out in one socket write. ioredis writes each command to the
 * socket as it is issued (a syscall, and on loopback the kernel's whole TCP receive path, per command); under
 * load many turns issue a command in the same loop turn, so the socket is corked at the first and uncorked when
 * the loop reaches its check phase (setImmediate), and Node hands the kernel all of them in one writev. Redis then
 * reads them in one read and answers them in one write. A command waits at most until the loop's next check
 * phase (the rest of this loop turn, or of the next one when it is issued in a check-phase callback). On a
 * cluster every node's connection is treated alike. Measured (docs/performance.md): Redis CPU per FAQ turn
 * roughly halved, the bot's own CPU per turn down too. BullMQ's and pub/sub connections are not treated
 * (blocking commands, few writes).
 */
export function coalesceWrites(redis: RedisClient): void {
  if (redis instanceof Cluster) {
    redis.on('+node', (node: Redis) => coalesceWrites(node));
    for (const node of redis.nodes('all')) coalesceWrites(node); // those connected before the listener
    return;
  }
  if (coalescing.has(redis)) return;
  coalescing.add(redis);
  const client = redis as unknown as CommandSender;
  const send = client.sendCommand;
  let corked = false;
  client.sendCommand = function (this: CommandSender, ...args: unknown[]) {
    const stream = client.stream;
    if (!corked && stream && client.status === 'ready') {
      corked = true;
      stream.cork();
      setImmediate(() => {
        corked = false;
        stream.uncork();
      });
    }
    return send.apply(this, args);
  };
}

/** Builds keys under one prefix. `tagged('conv', id)` → `pb:{conv:id}`. */
export class Keys {
  constructor(public readonly prefix: string) {}

  /** A key whose `{kind:id}` part is the cluster hash tag: keys used together in one script/MULTI share it. */
  tagged(kind: string, id: string, ...rest: string[]): string {
    return [`${this.prefix}:{${kind}:${id}}`, ...rest].join(':');
  }

  /** A plain key under the prefix: only for keys never used together with another in one command. */
  plain(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }

  /**
   * BullMQ's key prefix for `queue`: `{<prefix>-<queue>}`, a hash tag, so all of the queue's keys (BullMQ's
   * scripts touch several at once) land on one cluster slot, a different slot per queue.
   */
  bullPrefix(queue: string): string {
    return `{${this.prefix}-${queue}}`;
  }
}

/** The part of `key` that decides its cluster slot: the first non-empty `{…}`, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** One write command whose first argument is its only key, e.g. `['hset', key, field, value]`. */
export type KeyedWrite = [command: string, key: string, ...args: Array<string | number>];

/**
 * Runs `writes` in MULTI/EXEC: on one node (or Sentinel) all in one transaction; on a cluster, which allows
 * a transaction on one slot only, one transaction per hash tag (all-or-nothing per tag, not across tags).
 * Throws if any command failed.
 */
export async function execWrites(redis: RedisClient, writes: KeyedWrite[]): Promise<void> {
  const groups = new Map<string, KeyedWrite[]>();
  if (redis instanceof Cluster) {
    for (const w of writes) {
      const tag = hashTagOf(w[1]);
      groups.set(tag, [...(groups.get(tag) ?? []), w]);
    }
  } else {
    groups.set('', writes);
  }
  for (const group of groups.values()) {
    const results = await redis.multi(group.map(([command, ...args]) => [command, ...args.map(String)])).exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw new Error(`transaction failed: ${failed?.[0]?.message ?? 'aborted'}`);
  }
}
