/**
 * The handoff queue (services/handoff) against real Redis: order and positions, the atomic claim, cancel,
 * time-outs, presence, transcript redaction and callback requests.
 */
import { HandoffQueue, redactTranscriptText } from '../../services/handoff';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let t: TestRedis;
let queue: HandoffQueue;

beforeAll(() => {
  t = createTestRedis('handoffq');
  queue = new HandoffQueue({ redis: t.redis, keys: t.keys, serverSecret: 'x'.repeat(40), presenceSeconds: 30 });
});
afterAll(async () => t.cleanup());

const join = (n: number) =>
  queue.enqueue({ conversationKey: `webchat/conv-${n}-${Math.random()}`, channel: 'webchat', reason: 'asked for a person', context: { intents: ['handoff'] }, reference: { conversation: { id: `c${n}` } } });

it('keeps patients in order with positions; a claim or a cancel moves everyone up', async () => {
  const a = (await join(1)).handoff;
  const b = (await join(2)).handoff;
  const c = (await join(3)).handoff;
  expect([a, b, c].map((h) => h.position)).toEqual([1, 2, 3]);
  expect((await queue.waiting()).map((h) => h.id)).toEqual([a.id, b.id, c.id]);
  expect(await queue.claim(a.id, { id: 'dana', name: 'Dana' })).toMatchObject({ ok: true });
  expect((await queue.get(b.id))?.position).toBe(1);
  expect(await queue.close(b.id, 'cancelled', ['waiting'])).toBe('waiting');
  expect((await queue.get(c.id))?.position).toBe(1);
  expect(await queue.close(b.id, 'cancelled', ['waiting'])).toBeNull(); // only once
  await queue.close(c.id, 'cancelled', ['waiting']);
});

it('the same conversation joins once', async () => {
  const key = `webchat/conv-same-${Math.random()}`;
  const input = { conversationKey: key, channel: 'webchat', reason: 'r', context: {}, reference: {} };
  const first = await queue.enqueue(input);
  const again = await queue.enqueue(input);
  expect(again).toMatchObject({ created: false, handoff: { id: first.handoff.id } });
  await queue.close(first.handoff.id, 'cancelled', ['waiting']);
  expect(await queue.forConversation(key)).toBeNull();
});

it('20 staff claiming at once: exactly one wins, the others learn who', async () => {
  const h = (await join(9)).handoff;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.claim(h.id, { id: `s${i}`, name: `Staff ${i}` })));
  const winners = results.filter((r) => r.ok);
  expect(winners).toHaveLength(1);
  const winner = (await queue.get(h.id))!;
  for (const r of results.filter((x) => !x.ok)) expect(r).toEqual({ ok: false, reason: 'taken', staffId: winner.staffId, staffName: winner.staffName });
});

it('presence: online while heartbeats are fresh; the estimate uses measured waits', async () => {
  const before = await queue.onlineStaffCount();
  await queue.heartbeat('presence-test');
  expect(await queue.onlineStaffCount()).toBe(before + 1);
  await queue.signOff('presence-test');
  expect(await queue.onlineStaffCount()).toBe(before);
  expect(await queue.estimateMinutes(3)).toBeGreaterThanOrEqual(1);
});

it('transcript: patient text redacted before it is stored', async () => {
  const h = (await join(5)).handoff;
  await queue.note(h.id, { from: 'patient', text: 'my email is maria.gonzalez@example.com, dob 04/12/1978, password is Sunflower-Trail-42! token 8f3a9c2b7d6e5f4a3b2c1d0e' });
  const [entry] = (await queue.transcript(h.id)).slice(-1);
  expect(entry.text).not.toMatch(/maria|04\/12|Sunflower|8f3a9c/);
  expect(entry.text).toContain('[email]');
  expect(entry.text).toContain('[date]');
  expect(entry.text).toContain('[password]');
  expect(redactTranscriptText('my request is R-7K3Q9P, call 555-010-1234')).toBe('my request is R-7K3Q9P, call 555-010-1234');
  expect(redactTranscriptText('I typed Quiet#River2024 by mistake')).toBe('I typed [hidden] by mistake');
});

it('callback requests: contact sealed at rest, listed for staff, resolved once', async () => {
  const ref = await queue.fileCallback({ channel: 'sms', reason: 'nobody online', context: {}, contact: '555-010-7777' });
  expect(ref).toMatch(/^C-[A-Z0-9]{6}$/);
  const raw = await t.redis.hgetall(`${t.prefix}:{handoff:q}:cb:${ref}`);
  expect(JSON.stringify(raw)).not.toContain('555-010-7777');
  expect((await queue.listCallbacks({ status: 'open' })).find((c) => c.ref === ref)?.contact).toBe('555-010-7777');
  expect(await queue.resolveCallback(ref, 'dana')).toBe(true);
  expect(await queue.resolveCallback(ref, 'sam')).toBe(false);
});
