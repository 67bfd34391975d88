/**
 * Issue 8, abuse by volume, through the real host (chat over HTTP → real Redis → real SMTP): the same person's
 * same request gets its reference back with no second staff email; a channel user can file only
 * PRACTICE_REQUESTS_PER_USER_PER_DAY new requests however many conversations it opens; staff emails are
 * capped per hour (STAFF_NOTIFY_PER_HOUR) — requests beyond it are filed, audited as held, not emailed, and
 * summarised in one email once a later hour has room, without waiting for another request to carry it.
 */
import { Conversation, textOf, type TestHost } from '../helpers/host';
import { NOTIFY, startPractice, type Practice } from '../helpers/e2e';
import type { ParsedMail } from '../helpers/smtp';
import { Keys } from '../../services/redis';
import { deleteKeysMatching } from '../helpers/redis';
import { expectNoMailAfter, waitFor } from '../helpers/wait';

let p: Practice;
let host: TestHost;

beforeAll(async () => {
  // The held-back summary is looked for every 200 ms instead of every minute.
  p = await startPractice('sec-volume', { STAFF_NOTIFY_PER_HOUR: '3', PRACTICE_REQUESTS_PER_USER_PER_DAY: '2' }, { heldSummaryIntervalMs: 200 });
  host = p.host;
}, 60000);

afterAll(() => p.stop());

/** A conversation of the given channel user (a new conversation id each time). */
function conversationOf(userId?: string): Conversation {
  const c = new Conversation(host);
  if (userId) Object.defineProperty(c, 'userId', { value: userId });
  return c;
}

async function fileRenewal(c: Conversation, first: string, last: string, dob: string): Promise<string> {
  expect(await p.startFlow(c, "my enrollment token isn't working")).toMatch(/first name/i);
  await c.say(first);
  await c.say(last);
  await c.say(dob);
  return textOf(await c.say('555 010 7777'));
}
const referenceIn = (text: string) => /R-[2-9A-Z]{6}/.exec(text)?.[0];

it('the same person asking again (another spelling, another conversation) gets the same reference and no new staff email', async () => {
  const since = await p.mailSettled().then(() => p.smtp.messages.length);
  const first = referenceIn(await fileRenewal(conversationOf(), 'Dana', 'Okafor-Price', '03/04/1980'));
  expect(first).toBeDefined();
  await p.smtp.waitFor(p.mailTo(NOTIFY, since));
  const again = referenceIn(await fileRenewal(conversationOf(), 'DANA', 'okafor price', '3/4/1980'));
  expect(again).toBe(first);
  await expectNoMailAfter(p.smtp, p.mailTo(NOTIFY, since), p.mailSettled, 1);
  const events = await host.app.services.audit.tail(200);
  expect(events.filter((e) => e.requestId === first).map((e) => e.type)).toEqual(['renewal-requested', 'practice-request-repeated']);
  expect((await host.app.services.requests.list()).filter((r) => r.lastName === 'Okafor-Price')).toHaveLength(1);
}, 30000);

it('one channel user cannot file more than the daily cap of new requests, even from new conversations', async () => {
  const user = `user-volume-${Date.now()}`;
  const before = (await host.app.services.requests.list()).length;
  for (const name of ['Ames', 'Bello']) expect(referenceIn(await fileRenewal(conversationOf(user), 'Kim', name, '01/02/1990'))).toBeDefined();
  const third = await fileRenewal(conversationOf(user), 'Kim', 'Castro', '01/02/1990');
  expect(referenceIn(third)).toBeUndefined();
  expect(third).toMatch(/can't file more requests/);
  expect((await host.app.services.requests.list()).length).toBe(before + 2);
  const limited = (await host.app.services.audit.tail(50)).filter((e) => e.type === 'rate-limited').at(-1);
  expect(limited?.detail).toEqual({ flow: 'practice-request', limit: 'practiceRequestPerUser' });
  // Another user may still file.
  expect(referenceIn(await fileRenewal(conversationOf(), 'Kim', 'Castro', '01/02/1990'))).toBeDefined();
}, 30000);

it('beyond STAFF_NOTIFY_PER_HOUR staff emails in an hour, requests are filed and audited as held, not emailed', async () => {
  // Earlier tests of this file used up to 3 notices this hour; file until one is held.
  await p.mailSettled();
  const since = p.smtp.messages.length;
  const filed: string[] = [];
  for (const last of ['Diaz', 'Evans', 'Fox', 'Gupta']) filed.push(referenceIn(await fileRenewal(conversationOf(), 'Lee', last, '05/06/1970'))!);
  expect(filed.every(Boolean)).toBe(true);
  const events = await host.app.services.audit.tail(500);
  const held = events.filter((e) => e.type === 'staff-notice-held').map((e) => e.requestId);
  expect(held.length).toBeGreaterThan(0);
  await p.mailSettled();
  const noticed = p.smtp.messages.slice(since).filter(p.mailTo(NOTIFY)).map((m) => referenceIn(m.subject ?? ''));
  // Each request is either announced or held, never both, never neither.
  for (const id of filed) expect(held.includes(id) !== noticed.includes(id)).toBe(true);
}, 30000);

it('held notices are summarised in one email by the timer once a later hour has room, with no new request to carry it', async () => {
  const { requests, recovery } = host.app.services;
  const heldKey = new Keys(host.prefix).tagged('notify', 'staff', 'held');
  // Use up this hour's notices and hold two more (what two requests over the cap would do).
  for (let i = 0; i < 10 && (await requests.claimStaffNotice()).notify; i += 1);
  await requests.claimStaffNotice();
  const held = Number(await host.redis.get(heldKey));
  expect(held).toBeGreaterThanOrEqual(2);
  const isSummary = (m: ParsedMail) => p.mailTo(NOTIFY)(m) && /more patient portal requests were filed/.test(m.subject ?? '');
  const summaries = () => p.smtp.messages.filter(isSummary);
  const before = summaries().length;
  // This hour has no room for the summary: nothing is taken.
  expect(await recovery.sendHeldSummary()).toBe(0);
  expect(Number(await host.redis.get(heldKey))).toBe(held);

  // The clock hour turns (to the queue, a new hour is one whose counter does not exist yet); the timer (every
  // 200 ms here) sends the summary without any new request.
  await deleteKeysMatching(host.redis, new Keys(host.prefix).tagged('notify', 'staff', 'w', '*'));
  await waitFor(async () => summaries().length > before, { timeoutMs: 10_000, what: 'the summary email' });
  expect(summaries().at(-1)!.subject).toBe(`${held} more patient portal requests were filed`);
  // Taken once: nothing is left to summarise, and no second summary is sent.
  expect(await host.redis.get(heldKey)).toBeNull();
  expect(await recovery.sendHeldSummary()).toBe(0);
  await expectNoMailAfter(p.smtp, isSummary, p.mailSettled, before + 1);
}, 30000);
