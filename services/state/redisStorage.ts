/**
 * Bot Framework `Storage` on Redis with real eTag optimistic concurrency.
 *
 * Each item is one Redis hash `{etag, doc}`. Writes go through one Lua script (by EVALSHA) that compares the
 * stored eTag with the caller's and sets the new document in the same atomic step, so two instances can never
 * both win a compare-and-set. Contract (the same as botbuilder's MemoryStorage):
 *   - eTag `*` or no eTag → unconditional overwrite;
 *   - any other eTag → written only if it equals the stored one (or nothing is stored yet), else throws;
 *   - every successful write gets a fresh eTag, returned to the caller on the next read.
 *
 * For the turn's own state there are two more scripts (services/state/turnState.ts): take the turn lock and
 * read the item in one round trip, and write the item (same compare-and-set) and release the lock in one.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { Cluster } from 'ioredis';
import type { RedisClient, Keys } from '../redis';
import { defineScript, type ScriptFn } from './scripts';

/** KEYS[1] item; ARGV: expected eTag ('' or '*' = any), new eTag, document, TTL seconds (0 = none). */
const WRITE_LUA = `
if ARGV[1] ~= '' and ARGV[1] ~= '*' then
  local current = redis.call('HGET', KEYS[1], 'etag')
  if current and current ~= ARGV[1] then return 0 end
end
redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'doc', ARGV[3])
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
`;

/** KEYS[2] lock; ARGV[5] its owner: deleted only while that owner holds it. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
`;

/**
 * KEYS[1] lock, KEYS[2] item, KEYS[3…] other keys to read (GET) in the same step; ARGV: owner, lock ms.
 * 0 when the lock is taken, else {1, 1 or 0 (item found), etag, doc, each other key's value or ''}.
 */
const LOCK_READ_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
local item = redis.call('HMGET', KEYS[2], 'etag', 'doc')
local out = {1, item[2] and 1 or 0, item[1] or '', item[2] or ''}
for i = 3, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) or '' end
return out
`;

/** KEYS[1] item, KEYS[2] lock; ARGV: TTL seconds, (unused ×3), owner. Refreshes the idle TTL and releases. */
const TOUCH_RELEASE_LUA = `
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
${RELEASE_LUA}
return 1
`;

export class ETagConflictError extends Error {
  constructor(key: string) {
    super(`Storage: eTag conflict writing "${key}"; the item was changed by another turn. Reload and retry.`);
    this.name = 'ETagConflictError';
  }
}

export interface RedisStorageOptions {
  /** Seconds an item lives after its last write (idle expiry); 0 keeps it forever. */
  ttlSeconds: number;
}

/** An item as stored: its eTag and its document, the JSON text it was written as (without the eTag). */
export interface RawItem {
  etag: string;
  doc: string;
}

/** A lock held by `owner` (services/state/turnLock.ts) whose key shares the item's hash tag. */
export interface HeldLock {
  key: string;
  owner: string;
}

/** Turns a botbuilder storage key into a Redis key whose hash tag keeps one conversation/user on one slot. */
export function storageKeyToRedisKey(keys: Keys, storageKey: string): string {
  // botbuilder keys: "<channel>/conversations/<id>/" and "<channel>/users/<id>/"
  const m = /^([^/]+)\/(conversations|users)\/(.+?)\/?$/.exec(storageKey);
  if (m) return keys.tagged(m[2] === 'users' ? 'user' : 'conv', `${m[1]}/${m[3]}`, 'state');
  return keys.tagged('item', storageKey, 'state');
}

/** The document of a botbuilder store item: everything but its eTag, as JSON. */
export function docOf(item: object): string {
  const { eTag: _eTag, ...doc } = item as { eTag?: unknown } & Record<string, unknown>;
  return JSON.stringify(doc);
}

export class RedisStorage implements Storage {
  private readonly writeScript: ScriptFn;
  private readonly writeReleaseScript: ScriptFn;
  private readonly lockReadScript: ScriptFn;
  private readonly touchReleaseScript: ScriptFn;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: RedisStorageOptions,
  ) {
    this.writeScript = defineScript(redis, 'pbStateWrite', 1, `${WRITE_LUA}\nreturn 1`);
    this.writeReleaseScript = defineScript(redis, 'pbStateWriteRelease', 2, `${WRITE_LUA}\n${RELEASE_LUA}\nreturn 1`);
    this.lockReadScript = defineScript(redis, 'pbStateLockRead', 'varying', LOCK_READ_LUA);
    this.touchReleaseScript = defineScript(redis, 'pbStateTouchRelease', 2, TOUCH_RELEASE_LUA);
  }

  /** The Redis key of a storage key (for checking that a lock shares its hash tag). */
  redisKeyOf(storageKey: string): string {
    return storageKeyToRedisKey(this.keys, storageKey);
  }

  async read(storageKeys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    if (storageKeys.length === 0) return items;
    // One command per key, sent together: keys of different conversations may live on different Cluster nodes.
    const results = await Promise.all(storageKeys.map((key) => this.readRaw(key)));
    results.forEach((raw, i) => {
      if (raw) items[storageKeys[i]!] = { ...(JSON.parse(raw.doc) as object), eTag: raw.etag || undefined };
    });
    return items;
  }

  /** One item as stored (null when there is none), without parsing it. */
  async readRaw(storageKey: string): Promise<RawItem | null> {
    const [etag, doc] = await this.redis.hmget(this.redisKeyOf(storageKey), 'etag', 'doc');
    return doc === null ? null : { etag: etag ?? '', doc };
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      await this.writeDoc(key, (item as { eTag?: string } | undefined)?.eTag, docOf(item ?? {}));
    }
  }

  /**
   * Writes one document (JSON of the item without its eTag) under the eTag contract above; with `release`,
   * also releases that lock in the same round trip. A conflict leaves the lock held.
   */
  async writeDoc(storageKey: string, eTag: string | undefined, doc: string, release?: HeldLock): Promise<void> {
    const args = [eTag ?? '', randomUUID(), doc, String(this.options.ttlSeconds)];
    const ok = release
      ? await this.writeReleaseScript(this.redisKeyOf(storageKey), release.key, ...args, release.owner)
      : await this.writeScript(this.redisKeyOf(storageKey), ...args);
    if (Number(ok) !== 1) throw new ETagConflictError(storageKey);
  }

  /**
   * Takes `lock` (SET NX PX `lockMs`) and, when that succeeded, reads the item and the string keys `alsoRead`
   * (their values, null when absent or empty), in one round trip. Resolves `{ locked: false }` when another owner
   * holds the lock. On a cluster every key must share the item's hash tag (`onCluster`).
   */
  async lockAndRead(
    storageKey: string,
    lock: HeldLock,
    lockMs: number,
    alsoRead: readonly string[] = [],
  ): Promise<{ locked: false } | { locked: true; item: RawItem | null; also: (string | null)[] }> {
    const res = await this.lockReadScript(2 + alsoRead.length, lock.key, this.redisKeyOf(storageKey), ...alsoRead, lock.owner, lockMs);
    if (!Array.isArray(res)) return { locked: false };
    const [, found, etag, doc, ...also] = res as [number, number, string, string, ...string[]];
    return { locked: true, item: found === 1 ? { etag, doc } : null, also: also.map((v) => (v === '' ? null : v)) };
  }

  /** True on Redis Cluster, where one script may only touch keys of one slot (one hash tag). */
  get onCluster(): boolean {
    return this.redis instanceof Cluster;
  }

  /** Refreshes the item's idle TTL (it was not changed) and releases `lock`, in one round trip. */
  async touchAndRelease(storageKey: string, lock: HeldLock): Promise<void> {
    await this.touchReleaseScript(this.redisKeyOf(storageKey), lock.key, String(this.options.ttlSeconds), '', '', '', lock.owner);
  }

  async delete(storageKeys: string[]): Promise<void> {
    if (storageKeys.length === 0) return;
    await Promise.all(storageKeys.map((k) => this.redis.del(this.redisKeyOf(k)))); // per key: they may be on different nodes
  }
}
