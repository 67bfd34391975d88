/**
 * The staff console's live event stream (GET /staff/api/events) across instances: a console open on instance B
 * hears, through Redis pub/sub, of a handoff queued, claimed, written in and closed on instance A. Also run
 * against the Redis Cluster by `npm run test:scale`. And an instance started while Redis is unreachable
 * subscribes once Redis is back, so its consoles are not left without live events.
 */
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { startOwnRedis } from '../helpers/ownRedis';
import { waitFor } from '../helpers/wait';
import { DlPatient, signedIn, staffEvents, STAFF_PASSWORD, type StaffEventStream } from '../helpers/handoff';

async function instance(name: string, env: Record<string, string> = {}): Promise<TestHost> {
  const port = await freePort();
  return startHost(name, 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', ...env });
}

function eventOf(stream: StaffEventStream, type: string, match: (data: Record<string, unknown>) => boolean) {
  return waitFor(async () => stream.events.find((e) => e.type === type && match(e.data)), { timeoutMs: 10_000, what: `a "${type}" event on the staff stream` });
}

describe('staff event stream', () => {
  let a: TestHost;
  let b: TestHost;

  beforeAll(async () => {
    a = await instance('events-a');
    b = await instance('events-b', { REDIS_KEY_PREFIX: a.prefix });
    await a.app.handoff.staff.add('dana', STAFF_PASSWORD, 'agent', 'Dana');
  });
  afterAll(async () => {
    await b?.app.close();
    b?.redis.disconnect();
    await a?.stop();
  });

  it('a console on instance B hears of a handoff queued, claimed, written in and closed on instance A', async () => {
    const dana = await signedIn(b, 'dana');
    const stream = await staffEvents(b, dana);
    try {
      expect(stream.status).toBe(200);
      const patient = new DlPatient(a);
      await patient.start();
      await patient.say('talk to a person');
      await patient.botSays(/in the queue/);
      const h = await a.app.handoff.desk.current(patient.key);
      const queued = await eventOf(stream, 'queued', (d) => (d.handoff as { id?: string } | undefined)?.id === h!.id);
      expect(queued.data.handoff).toMatchObject({ id: h!.id, channel: 'directline' });

      // Claimed on A (the console there), heard on B.
      const danaOnA = await signedIn(a, 'dana');
      expect((await danaOnA.call('POST', `handoffs/${h!.id}/claim`)).status).toBe(200);
      expect((await eventOf(stream, 'claimed', (d) => d.id === h!.id)).data).toMatchObject({ staffName: 'Dana' });

      await patient.say('are you there?');
      const message = await eventOf(stream, 'message', (d) => d.id === h!.id && (d.entry as { from?: string }).from === 'patient');
      expect(message.data.entry).toMatchObject({ text: 'are you there?' });

      expect((await danaOnA.call('POST', `handoffs/${h!.id}/return`)).status).toBe(200);
      await eventOf(stream, 'closed', (d) => d.id === h!.id);
    } finally {
      stream.close();
    }
  });
});

// A redis-server of its own: single node only (skipped when `npm run test:scale` points the helpers at the cluster).
const singleNode = process.env.TEST_REDIS_CLUSTER_NODES ? describe.skip : describe;

singleNode('staff event stream after a Redis outage at start-up', () => {
  it('an instance started while Redis is down subscribes once it is back', async () => {
    const redis = await startOwnRedis();
    await redis.kill();
    const down = await instance('events-down', { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' });
    try {
      await redis.restart();
      await waitFor(async () => (await fetch(`${down.url}/healthz`)).status === 200, { timeoutMs: 15_000, what: '/healthz to be 200 once Redis is back' });
      // Pub/sub keeps nothing: wait until the instance's retry has subscribed before anything is published.
      const channel = down.app.handoff.desk.queue.eventsChannel;
      await waitFor(async () => Number(((await down.redis.pubsub('NUMSUB', channel)) as [string, number])[1]) > 0, {
        timeoutMs: 15_000,
        what: 'the staff events subscription once Redis is back',
      });
      await down.app.handoff.staff.add('dana', STAFF_PASSWORD, 'agent', 'Dana');
      const stream = await staffEvents(down, await signedIn(down, 'dana'));
      try {
        const patient = new DlPatient(down);
        await patient.start();
        await patient.say('talk to a person');
        await patient.botSays(/in the queue/);
        await eventOf(stream, 'queued', () => true);
      } finally {
        stream.close();
      }
    } finally {
      await down.stop();
      await redis.stop();
    }
  }, 40_000);
});
