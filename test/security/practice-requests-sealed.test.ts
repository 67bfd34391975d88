/**
 * Issue 8: practice requests are sealed at rest (the Redis hash holds no name, date of birth or contact;
 * a queue with another secret cannot read them; the admin CLI still lists them), and the hourly cap on
 * staff emails ends in one summary email on the first request after the hour — through the use case, real
 * Redis and a real SMTP server.
 */
import { createRecovery } from '../../services/recovery';
import { RedisRequestQueue } from '../../services/requests';
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { startRecoveryServices, type RecoveryFixture } from '../helpers/recovery';
import { expectNoMailAfter, waitForMail } from '../helpers/wait';

const NOTIFY = 'staff-desk@recovery.test';
let f: RecoveryFixture;

beforeAll(async () => {
  f = await startRecoveryServices('sec-sealed', 11, { PRACTICE_NOTIFY_EMAIL: NOTIFY, STAFF_NOTIFY_PER_HOUR: '2' }, null);
}, 60000);
afterAll(() => f.stop());

const REQUEST = { firstName: 'Zuzanna', lastName: 'Wróblewska', dateOfBirth: '1966-07-08', contact: { email: 'zuzanna.w@example.net', phone: '555 013 4455' } };

it('Redis holds only a sealed blob; get/list open it; another secret cannot; the CLI lists it unchanged', async () => {
  const { requestId } = await f.services.requests.create({ kind: 'token-renewal', ...REQUEST, conversationRef: 'conv-sealed' });
  const raw = await f.redis.hgetall(f.keys.tagged('req', 'queue', requestId));
  const rawText = JSON.stringify(raw).toLowerCase();
  for (const secret of ['zuzanna', 'wróblewska', 'wroblewska', '1966', '07-08', 'example.net', '013 4455', '0134455']) expect(rawText).not.toContain(secret);
  expect(Object.keys(raw).sort()).toEqual(['conversationRef', 'createdAt', 'kind', 'requestId', 'sealed', 'status']);

  expect(await f.services.requests.get(requestId)).toMatchObject({ requestId, ...REQUEST, status: 'open' });
  expect((await f.services.requests.list()).find((r) => r.requestId === requestId)).toMatchObject(REQUEST);

  const stranger = new RedisRequestQueue({ redis: f.redis, keys: f.keys, serverSecret: 'another-secret-0123456789-0123456789' });
  const seen = await stranger.get(requestId);
  expect(seen).toMatchObject({ requestId, status: 'open', firstName: '', lastName: '', dateOfBirth: '', contact: {}, detailsUnreadable: true });

  const lines: string[] = [];
  const services: AdminServices = { ...f.services, sendMail: (m) => f.services.mailer.send(m as never) };
  expect(await runAdmin(['requests:list', '--json'], services, { out: (l) => lines.push(l), err: () => undefined, readStdin: async () => '' })).toBe(0);
  expect(lines.join('\n')).toContain('Wróblewska');
});

it('over the hourly cap requests are filed without an email; the first request of a later hour brings one summary', async () => {
  let now = Date.UTC(2030, 0, 1, 9, 5);
  const queue = new RedisRequestQueue({ redis: f.redis, keys: f.keys, serverSecret: f.config.serverSecret, staffNotifyPerHour: 2, now: () => now });
  const recovery = createRecovery(f.deps({ requests: queue }));
  const since = await f.mailMark();
  const ids: string[] = [];
  for (const last of ['Ash', 'Birch', 'Cedar', 'Dogwood', 'Elm']) {
    const outcome = await recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST, lastName: last }, f.caller());
    if (outcome.kind !== 'filed') throw new Error(`expected filed, got ${outcome.kind}`);
    ids.push(outcome.requestId);
  }
  const toStaff = (m: { to?: unknown; subject?: string }) => JSON.stringify(m.to).includes(NOTIFY);
  await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since && toStaff(m), f.mailIdle, 2);
  const held = (await f.auditEvents({ type: 'staff-notice-held' })).map((e) => e.requestId);
  expect(held).toEqual(ids.slice(2));

  now += 3_600_000; // the next hour
  const next = await recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST, lastName: 'Fir' }, f.caller());
  if (next.kind !== 'filed') throw new Error('expected filed');
  const [summary] = await waitForMail(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since && /more patient portal requests were filed/.test(m.subject ?? ''));
  expect(summary!.subject).toBe('3 more patient portal requests were filed');
  expect(summary!.text).toContain('requests:list');
  expect(summary!.text).not.toMatch(/Zuzanna|1966|example\.net/);
  await waitForMail(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since && (m.subject ?? '').includes(next.requestId));
  // The summary is sent once: the next request in this hour brings no second one.
  await recovery.filePracticeRequest({ kind: 'reactivation', ...REQUEST, lastName: 'Gum' }, f.caller());
  await expectNoMailAfter(f.smtp, (m) => f.smtp.messages.indexOf(m) >= since && /more patient portal requests/.test(m.subject ?? ''), f.mailIdle, 1);
});
