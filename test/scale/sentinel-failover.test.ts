/**
 * Redis Sentinel (scripts/redis-sentinel.sh: master + replica + 3 sentinels): the bot connects through the
 * sentinels (REDIS_SENTINELS + REDIS_SENTINEL_NAME), and a failover in the middle of a flow loses nothing the
 * patient was told was taken. A turn that hits the failover may be answered "temporarily unavailable" (not
 * acknowledged, so the patient sends it again); every acknowledged answer must be in the filed request.
 */
import Redis from 'ioredis';
import { parseNodeList } from '../../services/redis';
import { Conversation, textOf } from '../helpers/host';
import { NOTIFY, startPractice, type Practice } from '../helpers/e2e';
import { waitFor } from '../helpers/wait';

const SENTINELS = process.env.TEST_REDIS_SENTINELS as string;
const NAME = process.env.TEST_REDIS_SENTINEL_NAME as string;
const UNAVAILABLE = /temporarily unavailable|something went wrong|still working on your previous message/i;

let p: Practice;
let sentinel: Redis;

async function currentMaster(): Promise<string> {
  const [host, port] = (await sentinel.call('sentinel', 'get-master-addr-by-name', NAME)) as [string, string];
  return `${host}:${port}`;
}

/** Sends `text` until the bot acknowledges it (a reply that is not an outage message), as a patient would. */
async function answer(c: Conversation, text: string): Promise<string> {
  return waitFor(
    async () => {
      const reply = await c.say(text).then(textOf, () => '');
      return reply && !UNAVAILABLE.test(reply) ? reply : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: `the bot to take "${text}" after the failover` },
  );
}

beforeAll(async () => {
  const [first] = parseNodeList(SENTINELS) ?? [];
  sentinel = new Redis(first!.port, first!.host);
  p = await startPractice('sentinel', { REDIS_SENTINELS: SENTINELS, REDIS_SENTINEL_NAME: NAME, TURN_DEADLINE_MS: '4000' });
}, 60_000);

afterAll(async () => {
  await p.stop();
  sentinel.disconnect();
});

describe('Redis Sentinel', () => {
  it('a failover in the middle of a practice request loses no collected data', async () => {
    const c = new Conversation(p.host);
    expect(await p.startFlow(c, "my enrollment token isn't working")).toMatch(/first name/i);
    expect(await answer(c, 'Marguerite')).toMatch(/last name/i);
    expect(await answer(c, 'Delacroix-Haas')).toMatch(/date of birth/i);

    const before = await currentMaster();
    expect(await sentinel.call('sentinel', 'failover', NAME)).toBe('OK');
    await waitFor(async () => (await currentMaster()) !== before, { timeoutMs: 20_000, intervalMs: 100, what: 'the sentinels to promote the replica' });

    expect(await answer(c, '06/21/1969')).toMatch(/email|phone/i);
    const since = p.smtp.messages.length;
    const filed = await answer(c, 'm.dh@example.org');
    const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0] ?? '';
    expect(requestId).toMatch(/^R-/);
    expect(await p.host.app.services.requests.get(requestId)).toMatchObject({
      firstName: 'Marguerite',
      lastName: 'Delacroix-Haas',
      dateOfBirth: '1969-06-21',
      contact: { email: 'm.dh@example.org' },
    });
    // The mail worker (BullMQ, through the sentinels too) followed the failover: the practice is told.
    expect((await p.smtp.waitFor(p.mailTo(NOTIFY, since), 30_000)).text).toContain(requestId);
    // The host reports healthy again on the new master.
    await waitFor(async () => (await fetch(`${p.host.url}/healthz`)).status === 200, { timeoutMs: 30_000, intervalMs: 250, what: '/healthz to be 200 after the failover' });
  });
});
