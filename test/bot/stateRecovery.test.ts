/**
 * A conversation whose stored state is damaged (not JSON) gets the apology once, its state is reset under its
 * lock, and the next message is answered normally. Real host, real Redis.
 */
import { Conversation, startHost, textOf, type TestHost } from '../helpers/host';
import { storageKeyToRedisKey } from '../../services/state/redisStorage';
import { Keys } from '../../services/redis';

let host: TestHost;

beforeAll(async () => {
  host = await startHost('staterecovery', 10, { PRACTICE_PHONE: '(555) 222-3333' });
});
afterAll(async () => {
  await host.stop();
});

it('apologises once for a damaged state, resets it, then carries on', async () => {
  const c = new Conversation(host);
  const key = storageKeyToRedisKey(new Keys(host.prefix), `webchat/conversations/${c.id}/`);
  await host.redis.hset(key, 'etag', 'e1', 'doc', '{"dialogState":');
  expect(textOf(await c.say('how do I reset my password'))).toMatch(/something went wrong on our side/i);
  expect(await host.redis.exists(key)).toBe(0);
  expect(textOf(await c.say('how do I reset my password'))).toMatch(/Forgot password/i);
});
