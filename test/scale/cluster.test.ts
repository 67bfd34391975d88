/**
 * The services' multi-key operations on a real Redis Cluster (scripts/redis-cluster.sh: 3 masters + 3 replicas).
 * A Lua script, MULTI or pipeline touching keys of two slots fails there with CROSSSLOT (or ioredis refuses a
 * pipeline spanning nodes), so each test drives one service's multi-key path through the running host's own
 * services and checks the outcome — plus that the BullMQ outbox's keys all sit on one slot.
 */
import { Cluster } from 'ioredis';
import { Keys, type RedisClient } from '../../services/redis';
import { RedisMissLog } from '../../services/insights/misses';
import { createLimits } from '../../services/limits';
import { RedisStorage, ETagConflictError } from '../../services/state/redisStorage';
import { outboxJobId } from '../../services/mail';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { waitFor } from '../helpers/wait';
import { countSocketWrites } from '../helpers/redis';

let p: Practice;
let redis: RedisClient;
let keys: Keys;

beforeAll(async () => {
  p = await startPractice('cluster');
  redis = p.host.redis;
  keys = new Keys(p.host.prefix);
}, 60_000);
afterAll(() => p.stop());

/** Every key under `pattern` on every master. */
async function keysMatching(pattern: string): Promise<string[]> {
  if (!(redis instanceof Cluster)) throw new Error('expected the host to run on the test cluster');
  const found: string[] = [];
  for (const node of redis.nodes('master')) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...batch);
    } while (cursor !== '0');
  }
  return found;
}

const slotOf = async (key: string) => Number(await redis.call('cluster', 'keyslot', key));

describe('services on a Redis Cluster', () => {
  it("writes the commands of one event-loop turn to a node's socket at once (coalesced writes on every node)", async () => {
    if (!(redis instanceof Cluster)) throw new Error('expected the host to run on the test cluster');
    const tag = `${p.host.prefix}:{coalesce}`;
    await redis.set(`${tag}:probe`, 'x'); // the slot's owner is known and connected
    const owner = redis.slots[await slotOf(`${tag}:probe`)]![0]!;
    const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner)!;
    const writes = countSocketWrites(node);
    const sets = await Promise.all(
      Array.from({ length: 20 }, (_, i) => new Promise<string | null>((resolve, reject) => setImmediate(() => redis.set(`${tag}:${i}`, `v${i}`).then(resolve, reject)))),
    );
    expect(sets).toEqual(Array(20).fill('OK'));
    // All 20 keys share a hash tag: their node took them in one write.
    expect(writes.n).toBe(1);
    expect(await redis.mget(Array.from({ length: 20 }, (_, i) => `${tag}:${i}`))).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    await redis.del(`${tag}:probe`, ...Array.from({ length: 20 }, (_, i) => `${tag}:${i}`));
  });

  it('runs on the cluster (3 masters), the demo import spread over them', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect((redis as Cluster).nodes('master')).toHaveLength(3);
    // The import is one MULTI per hash tag here; every patient and account is readable afterwards.
    const services = p.host.app.services;
    expect(await services.directory.isEmpty()).toBe(false);
    for (const patient of DEMO.patients) expect(await services.directory.getPatient(patient.id)).not.toBeNull();
    expect(await services.directory.findByUsername('MGONZALEZ78')).not.toBeNull();
    expect(await services.directory.findByVerifiedEmail('maria.gonzalez@example.com')).not.toBeNull();
    const slots = new Set(await Promise.all((await keysMatching(`${p.host.prefix}:*`)).map(slotOf)));
    expect(slots.size).toBeGreaterThan(3);
  });

  it('security-question lock: failures, the lock and its status and unlock (keys of one account, one script)', async () => {
    const lock = p.host.app.services.securityLock;
    expect(await lock.recordFailure('jamesoc65', 0)).toEqual({ triesLeft: 2, locked: false });
    await lock.recordFailure('jamesoc65', 0);
    expect(await lock.recordFailure('JamesOC65', 0)).toEqual({ triesLeft: 0, locked: true });
    expect(await lock.status('jamesoc65')).toMatchObject({ locked: true });
    await lock.unlock('jamesoc65');
    expect(await lock.isLocked('jamesoc65')).toBe(false);
  });

  it('rate limits (rate-limiter-flexible) are shared by two instances', async () => {
    const config = { conversationPerMinute: 3, ipPerMinute: 5, accountPerHour: 4, resetEmailsPerAccountPerHour: 3 };
    const a = createLimits(redis, keys, config);
    const b = createLimits(redis, keys, config);
    const results = [await a.consume('perConversation', 'c-1'), await b.consume('perConversation', 'c-1'), await a.consume('perConversation', 'c-1'), await b.consume('perConversation', 'c-1')];
    expect(results).toEqual([true, true, true, false]);
    expect(await b.consume('perConversation', 'c-2')).toBe(true);
  });

  it('unanswered questions: counts and redacted texts written in one MULTI', async () => {
    const misses = new RedisMissLog(redis, keys, 'redacted');
    await misses.record({ kbId: 'none', text: 'how do I frobnicate my portal', names: [] });
    await misses.record({ kbId: 'none', text: 'frobnicate again', names: [] });
    const report = await misses.report(1);
    expect(report.counts).toEqual([{ kbId: 'none', count: 2 }]);
    expect(report.texts).toHaveLength(2);
  });

  it('request queue: the request and the index in one MULTI, listed in one pipeline, one staff notice claim, one held-summary claim', async () => {
    const requests = p.host.app.services.requests;
    const { requestId } = await requests.create({ kind: 'reactivation', firstName: 'Ann', lastName: 'Lee', dateOfBirth: '1980-01-02', contact: { email: 'ann@example.org' } });
    expect((await requests.list({ status: 'open' })).map((r) => r.requestId)).toContain(requestId);
    expect((await requests.claimStaffNotice()).notify).toBe(true);
    // The held-back summary's claim reads and writes the same two keys (one slot): nothing held, nothing taken.
    expect((await requests.claimHeldSummary()).count).toBe(0);
  });

  it('conversation state: eTag compare-and-set — of two writers holding one eTag, one wins', async () => {
    const storage = new RedisStorage(redis, keys, { ttlSeconds: 120 });
    const key = 'webchat/conversations/cluster-cas/';
    await storage.write({ [key]: { step: 1 } });
    const read = (await storage.read([key]))[key];
    const outcomes = await Promise.allSettled([storage.write({ [key]: { ...read, step: 2 } }), storage.write({ [key]: { ...read, step: 3 } })]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: expect.any(ETagConflictError) });
    expect([2, 3]).toContain((await storage.read([key]))[key].step);
  });

  it('mail outbox (BullMQ): one mail sent three times is delivered once; all its keys on one slot', async () => {
    const mailer = p.host.app.services.mailer;
    const to = 'cluster-once@example.org';
    const msg = { to, template: 'username-reminder' as const, data: { username: 'ann.lee' }, idempotencyKey: `cluster:${to}` };
    await Promise.all([mailer.send(msg), mailer.send(msg), mailer.send(msg)]);
    await p.smtp.waitFor(p.mailTo(to), 15_000);
    await p.mailSettled(15_000);
    expect(p.smtp.messages.filter(p.mailTo(to))).toHaveLength(1);
    const queueKeys = await keysMatching(`{${p.host.prefix}-mail}:*`);
    expect(queueKeys.length).toBeGreaterThan(0);
    expect(new Set(await Promise.all(queueKeys.map(slotOf))).size).toBe(1);
    expect(await waitFor(() => redis.exists(`${p.host.prefix}:mail:sent:${outboxJobId(msg.idempotencyKey)}`))).toBe(1);
  });
});
