/**
 * An instance started while Redis is unreachable (a deploy during a Redis restart) serves once Redis is back
 * with nothing restarted: turns are answered, and the mail worker, which could not connect at start-up, delivers
 * the mail a flow queues. (The staff console's live events after such a start: test/handoff/staff-events.test.ts.)
 */
import { Conversation, buttonsOf, startHost, textOf, type TestHost } from '../helpers/host';
import { startOwnRedis, type OwnRedis } from '../helpers/ownRedis';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { waitFor, waitForMail } from '../helpers/wait';

const NOTIFY = 'frontdesk@lakeside.test';
let redis: OwnRedis;
let smtp: TestSmtp;
let host: TestHost;

beforeAll(async () => {
  redis = await startOwnRedis();
  await redis.kill();
  smtp = await startTestSmtp();
  host = await startHost(
    'start-down',
    7,
    { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500', SMTP_URL: smtp.url, PRACTICE_NOTIFY_EMAIL: NOTIFY, LOG_LEVEL: 'warn' },
    { mailer: { retry: { attempts: 20, baseDelayMs: 200, maxDelayMs: 1000 } } },
  );
}, 30_000);
afterAll(async () => {
  await host?.stop();
  await smtp?.stop();
  await redis?.stop();
});

it('once Redis is back, answers turns and delivers the mail a flow queues', async () => {
  expect((await fetch(`${host.url}/healthz`)).status).toBe(503);
  expect(host.logs.some((l) => /mail worker (is not connected yet|failed to start)/.test(l))).toBe(true);

  await redis.restart();
  await waitFor(async () => (await fetch(`${host.url}/healthz`)).status === 200, { timeoutMs: 20_000, what: '/healthz to be 200 once Redis is back' });

  const c = new Conversation(host);
  const offer = await c.say("my enrollment token isn't working");
  expect(buttonsOf(offer)).toEqual(['Yes', 'No']);
  expect(textOf(await c.say('yes'))).toMatch(/first name/i);
  expect(textOf(await c.say('Odile'))).toMatch(/last name/i);
  expect(textOf(await c.say('Brandt'))).toMatch(/date of birth/i);
  expect(textOf(await c.say('03/14/1975'))).toMatch(/email|phone/i);
  const filed = textOf(await c.say('odile.b@example.org'));
  const requestId = /R-[2-9A-Z]{6}/.exec(filed)?.[0];
  expect(requestId).toBeDefined();

  const [mail] = await waitForMail(smtp, (m) => (m.text ?? '').includes(requestId!), 1, { timeoutMs: 30_000 });
  expect(mail!.text).toContain(requestId);
}, 60_000);
