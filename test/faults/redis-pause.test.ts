/**
 * A Redis that stops answering (SIGSTOP on a redis-server of this test's own: the connection stays open,
 * nothing answers) must not hang requests: the patient is told the service is temporarily unavailable
 * within a few seconds, the reset page answers 503 with Retry-After, no mail goes out for a turn that
 * said it failed, and the bot recovers by itself when Redis resumes.
 */
import { Conversation, textOf } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';
import { startOwnRedis, type OwnRedis } from '../helpers/ownRedis';
import { expectNoMailAfter, waitFor, waitForMail } from '../helpers/wait';
import { UNAVAILABLE_REPLY } from '../../bot/portalBot';

const maria = DEMO.patients.find((p) => p.id === 'P-1001')!;
const email = maria.account!.verifiedEmail!;
let redis: OwnRedis;
let practice: Practice;

beforeAll(async () => {
  redis = await startOwnRedis();
  practice = await startPractice('pause', { REDIS_URL: redis.url, TURN_DEADLINE_MS: '3000', REDIS_COMMAND_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  redis?.resume();
  await practice?.stop();
  await redis?.stop();
});

const timed = async <T>(fn: () => Promise<T>) => {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
};

it('tells the patient "temporarily unavailable" within seconds, sends no mail, and recovers on SIGCONT', async () => {
  const c = new Conversation(practice.host);
  expect(await practice.startFlow(c, 'I forgot my username')).toMatch(/email/i);
  redis.pause();
  try {
    const { value: replies, ms } = await timed(() => c.say(email));
    expect(textOf(replies)).toBe(UNAVAILABLE_REPLY);
    expect(ms).toBeLessThan(5000);
    // /reset too: 503 with Retry-After, not a hang or a 500.
    const page = await timed(() => fetch(`${practice.host.url}/reset?token=abc`));
    expect(page.value.status).toBe(503);
    expect(page.value.headers.get('retry-after')).toBe('60');
    expect(page.ms).toBeLessThan(5000);
    const health = await fetch(`${practice.host.url}/healthz`);
    expect(health.status).toBe(503);
  } finally {
    redis.resume();
  }
  // Recovers by itself: health is back and the same conversation works (its state was kept: still
  // waiting for the email), and this time the mail goes out once.
  await waitFor(async () => (await fetch(`${practice.host.url}/healthz`)).status === 200, { timeoutMs: 10_000, what: '/healthz 200 after SIGCONT' });
  const since = practice.smtp.messages.length;
  const after = textOf(await c.say(email));
  expect(after).not.toBe(UNAVAILABLE_REPLY);
  expect(after).toMatch(/sent|email/i);
  await waitForMail(practice.smtp, practice.mailTo(email, since));
  await practice.mailSettled();
  expect(practice.smtp.messages.slice(since).filter(practice.mailTo(email))).toHaveLength(1);
}, 30_000);

it('cancels the mail of a turn abandoned while its mail was being queued', async () => {
  const c = new Conversation(practice.host);
  await practice.startFlow(c, 'I forgot my username');
  const since = practice.smtp.messages.length;
  // Pause Redis at the worst moment: the turn has saved its state and starts queueing the mail.
  const mailer = practice.host.app.services.mailer;
  const original = mailer.send.bind(mailer);
  mailer.send = async (msg) => {
    redis.pause();
    return original(msg);
  };
  let replies;
  try {
    replies = await c.say(email);
  } finally {
    mailer.send = original;
    redis.resume();
  }
  expect(textOf(replies)).toBe(UNAVAILABLE_REPLY);
  // The queue command ran when Redis resumed; the worker must skip it (cancelled), so no mail arrives.
  await waitFor(async () => (await fetch(`${practice.host.url}/healthz`)).status === 200, { timeoutMs: 10_000, what: '/healthz 200 after SIGCONT' });
  await waitFor(() => practice.host.logs.some((l) => l.includes('"outcome":"cancelled"')), { timeoutMs: 10_000, what: 'the cancel marker to land' });
  await expectNoMailAfter(practice.smtp, practice.mailTo(email, since), () => practice.mailSettled());
}, 30_000);
