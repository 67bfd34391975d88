/**
 * Bot Framework `Storage` on Redis with real eTag optimistic concurrency.
 *
 * Each item is one Redis hash `{etag, doc}`. Writes go through one Lua script that compares the stored
 * eTag with the caller's and sets the new document in the same atomic step, so two instances can never
 * both win a compare-and-set. Contract (the same as botbuilder's MemoryStorage):
 *   - eTag `*` or no eTag → unconditional overwrite;
 *   - any other eTag → written only if it equals the stored one (or nothing is stored yet), else throws;
 *   - every successful write gets a fresh eTag, returned to the caller on the next read.
 */
import { randomBytes } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { RedisClient, Keys } from '../redis';

const WRITE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'etag')
if ARGV[1] ~= '' and ARGV[1] ~= '*' and current and current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'doc', ARGV[3])
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
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

/** Turns a botbuilder storage key into a Redis key whose hash tag keeps one conversation/user on one slot. */
export function storageKeyToRedisKey(keys: Keys, storageKey: string): string {
  // botbuilder keys: "<channel>/conversations/<id>/" and "<channel>/users/<id>/"
  const m = /^([^/]+)\/(conversations|users)\/(.+?)\/?$/.exec(storageKey);
  if (m) return keys.tagged(m[2] === 'users' ? 'user' : 'conv', `${m[1]}/${m[3]}`, 'state');
  return keys.tagged('item', storageKey, 'state');
}

export class RedisStorage implements Storage {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly options: RedisStorageOptions,
  ) {}

  async read(storageKeys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    if (storageKeys.length === 0) return items;
    const pipeline = this.redis.pipeline();
    for (const key of storageKeys) pipeline.hmget(storageKeyToRedisKey(this.keys, key), 'etag', 'doc');
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([err, value], i) => {
      if (err) throw err;
      const [etag, doc] = value as [string | null, string | null];
      if (doc !== null) items[storageKeys[i]] = { ...(JSON.parse(doc) as object), eTag: etag ?? undefined };
    });
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...doc } = (item ?? {}) as { eTag?: string } & Record<string, unknown>;
      const newETag = randomBytes(12).toString('base64url');
      const ok = await this.redis.eval(
        WRITE_SCRIPT,
        1,
        storageKeyToRedisKey(this.keys, key),
        eTag ?? '',
        newETag,
        JSON.stringify(doc),
        String(this.options.ttlSeconds),
      );
      if (Number(ok) !== 1) throw new ETagConflictError(key);
    }
  }

  async delete(storageKeys: string[]): Promise<void> {
    if (storageKeys.length === 0) return;
    await this.redis.del(...storageKeys.map((k) => storageKeyToRedisKey(this.keys, k)));
  }
}
