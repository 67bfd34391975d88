/**
 * After a Redis restart a turn that sends mail either queues it (and the mail arrives) or tells the
 * patient the service is temporarily unavailable (and no mail arrives); /healthz reports the mail queue.
 */
import { Conversation, textOf } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { startOwnRedis, type OwnRedis } from '../helpers/ownRedis';
import { expectNoMailAfter, waitFor, waitForMail } from '../helpers/wait';
import { UNAVAILABLE_REPLY } from '../../bot/portalBot';

const email = DEMO.patients.find((p) => p.id === 'P-1001')!.account!.verifiedEmail!;
let redis: OwnRedis;
let practice: Practice;

beforeAll(async () => {
  redis = await startOwnRedis();
  practice = await startPractice('restart', { REDIS_URL: redis.url, TURN_DEADLINE_MS: '3000', REDIS_COMMAND_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await practice?.stop();
  await redis?.stop();
});

it('right after a restart, each mail turn either queues its mail or tells the truth; healthz covers the mail queue', async () => {
  await redis.restart();
  await practice.host.app.services.directory.importPatients(DEMO); // a restart without persistence lost them
  const outcomes: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const health = await fetch(`${practice.host.url}/healthz`);
    const c = new Conversation(practice.host);
    await practice.startFlow(c, 'I forgot my username').catch(() => undefined);
    const since = practice.smtp.messages.length;
    const reply = textOf(await c.say(email));
    if (reply === UNAVAILABLE_REPLY) {
      outcomes.push(`unavailable (healthz ${health.status})`);
      await waitFor(async () => (await fetch(`${practice.host.url}/healthz`)).status === 200, { timeoutMs: 30_000, what: 'healthz 200' });
      await expectNoMailAfter(practice.smtp, practice.mailTo(email, since), () => practice.mailSettled(20_000));
    } else {
      outcomes.push(`sent (healthz ${health.status})`);
      await waitForMail(practice.smtp, practice.mailTo(email, since), 1, { timeoutMs: 30_000 });
    }
  }
  console.log(`after a restart: ${outcomes.join(', ')}`);
}, 120_000);
