/**
 * Lua scripts run by EVALSHA (ioredis `defineCommand`: the script body is sent once per connection, after a
 * NOSCRIPT reply, not with every call). Works on a single node and on a cluster; every key one script touches
 * must share a hash tag (Keys.tagged).
 */
import type { RedisClient } from '../redis';

/** Runs the script with its keys first, then its arguments. */
export type ScriptFn = (...keysAndArgs: Array<string | number>) => Promise<unknown>;

type Scripted = Record<string, ((...args: Array<string | number>) => Promise<unknown>) | undefined>;

/**
 * Defines `name` on the client (once per client) and returns a caller for it. With `'varying'` keys, the
 * caller passes the number of keys first.
 */
export function defineScript(redis: RedisClient, name: string, numberOfKeys: number | 'varying', lua: string): ScriptFn {
  const client = redis as unknown as Scripted;
  if (typeof client[name] !== 'function') redis.defineCommand(name, numberOfKeys === 'varying' ? { lua } : { numberOfKeys, lua });
  return (...keysAndArgs) => {
    const run = client[name] as (...args: Array<string | number>) => Promise<unknown>;
    return run.apply(redis, keysAndArgs);
  };
}
