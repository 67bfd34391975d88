/**
 * Live handoff through the real host and real Redis: a patient on the development Direct Line (so staff
 * messages arrive proactively), staff on the JSON API. Queue and position, 20 parallel claims, relay both
 * ways, bot silence while claimed, emergency during handoff, return to the bot, cancel, nobody online →
 * callback request, wait time-out, CSRF and lockout, and a second instance delivering a staff reply.
 */
import { startHost, Conversation, textOf, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';
import { DlPatient, Staff, signedIn, STAFF_PASSWORD as PASSWORD } from '../helpers/handoff';

let host: TestHost;

beforeAll(async () => {
  const port = await freePort();
  host = await startHost('hand', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', STAFF_LOCKOUT_ATTEMPTS: '3' });
  await host.app.handoff.staff.add('dana', PASSWORD, 'agent', 'Dana');
  await host.app.handoff.staff.add('sam', PASSWORD, 'agent', 'Sam');
});
afterAll(async () => host?.stop());

const online = signedIn;

it('full handoff: queue + position, 20 parallel claims → one 200, relay both ways, silence, emergency alert, return to the bot', async () => {
  const dana = await online(host, 'dana');
  const patient = new DlPatient(host);
  await patient.start();

  await patient.say('talk to a person');
  expect(await patient.botSays(/number \d+ in the queue/)).toMatch(/wait is about \d+ minutes?/);
  const waiting = (await dana.call('GET', 'queue')).body.waiting as Array<{ id: string; position: number; channel: string }>;
  const mine = waiting[waiting.length - 1]!;
  expect(mine.channel).toBe('directline');

  // While waiting, an FAQ question is answered and the patient keeps their place.
  let n = patient.seen.length;
  await patient.say('how do I reset my password');
  expect(await patient.botSays(/keep your place/, n)).toMatch(/number 1 in the queue/);

  // 20 claims at once (two staff members' sessions): exactly one 200, the rest 409 naming who has it.
  const sam = await online(host, 'sam');
  const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? sam : dana).call('POST', `handoffs/${mine.id}/claim`)));
  expect(claims.filter((c) => c.status === 200)).toHaveLength(1);
  expect(claims.filter((c) => c.status === 409)).toHaveLength(19);
  const winner = claims.findIndex((c) => c.status === 200) % 2 ? sam : dana;
  const winnerName = winner === sam ? 'Sam' : 'Dana';
  expect(claims.find((c) => c.status === 409)!.body.staffName).toBe(winnerName);
  expect(await patient.botSays(new RegExp(`talking with ${winnerName}`))).toBeTruthy();

  // Staff → patient, proactively through the Direct Line.
  expect((await winner.call('POST', `handoffs/${mine.id}/messages`, { text: 'Hi, how can I help?' })).status).toBe(200);
  await patient.botSays(/Hi, how can I help\?/);
  // The other staff member cannot write into it.
  expect((await (winner === sam ? dana : sam).call('POST', `handoffs/${mine.id}/messages`, { text: 'me too' })).status).toBe(409);

  // Patient → staff: the bot stays silent; the transcript has the message, redacted.
  n = patient.seen.length;
  await patient.say('my account is blocked, my email is maria.gonzalez@example.com');
  await new Promise((r) => setTimeout(r, 600));
  await patient.poll();
  expect(patient.botMessagesSince(n)).toEqual([]);
  const transcript = (await winner.call('GET', `handoffs/${mine.id}/transcript`)).body.transcript as Array<{ from: string; text: string; alert?: boolean }>;
  const said = transcript.filter((e) => e.from === 'patient').map((e) => e.text);
  expect(said).toContain('my account is blocked, my email is [email]');
  expect(JSON.stringify(transcript)).not.toContain('maria.gonzalez');

  // Emergency wording while a person has the conversation: emergency reply first, staff alerted.
  n = patient.seen.length;
  await patient.say('I have chest pain');
  expect(await patient.botSays(/911/, n)).toBeTruthy();
  await waitFor(async () => ((await winner.call('GET', `handoffs/${mine.id}/transcript`)).body.transcript as Array<{ alert?: boolean }>).some((e) => e.alert), { what: 'an emergency alert in the transcript' });

  // Return to the bot: the patient is told, and the next FAQ question is the bot's again.
  expect((await winner.call('POST', `handoffs/${mine.id}/return`)).status).toBe(200);
  await patient.botSays(/handed you back to the portal assistant/);
  n = patient.seen.length;
  await patient.say('how do I reset my password');
  expect(await patient.botSays(/password/i, n)).not.toMatch(/queue/);
});

it('cancel leaves the queue', async () => {
  await online(host, 'dana');
  const patient = new DlPatient(host);
  await patient.start();
  await patient.say('I want to talk to an agent');
  await patient.botSays(/in the queue/);
  const n = patient.seen.length;
  await patient.say('cancel');
  await patient.botSays(/left the queue/, n);
  expect(await host.app.handoff.desk.current(`directline/${patient.conversationId}`)).toBeNull();
});

it('nobody online → practice contact and a callback request', async () => {
  // Its own host (prefix): no staff has signed in there.
  const lone = await startHost('hand-none', 7, { LOG_LEVEL: 'warn' });
  try {
    const c = new Conversation(lone);
    const offer = textOf(await c.say('talk to a person'));
    expect(offer).toMatch(/No one from the team is available/);
    expect(offer).toContain('010-0100');
    expect(textOf(await c.say('yes'))).toMatch(/phone number or email/);
    const filed = textOf(await c.say('555-010-4444'));
    expect(filed).toMatch(/reference C-[A-Z0-9]{6}/);
    const callbacks = await lone.app.handoff.desk.queue.listCallbacks({ status: 'open' });
    expect(callbacks.map((cb) => cb.contact)).toContain('555-010-4444');
  } finally {
    await lone.stop();
  }
});

it('out of hours → callback offer, not the queue', async () => {
  // Open only on a day that is not today (in the practice's zone).
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const today = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', weekday: 'short' }).format(new Date());
  const other = days[(days.indexOf(today) + 3) % 7];
  const closed = await startHost('hand-closed', 7, { LOG_LEVEL: 'warn', PRACTICE_HOURS: `${other} 08:00-17:00` });
  try {
    await closed.app.handoff.desk.queue.heartbeat('someone'); // staff online, but the office is closed
    const c = new Conversation(closed);
    const reply = textOf(await c.say('talk to a person'));
    expect(reply).toMatch(/office is closed/);
    expect(reply).toMatch(/leave a message/);
    expect(reply).not.toMatch(/queue/);
  } finally {
    await closed.stop();
  }
});

it('no claim within HANDOFF_WAIT_SECONDS → the patient is offered a callback proactively', async () => {
  const port = await freePort();
  const quick = await startHost('hand-wait', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', HANDOFF_WAIT_SECONDS: '5' });
  try {
    await quick.app.handoff.desk.queue.heartbeat('someone');
    const patient = new DlPatient(quick);
    await patient.start();
    await patient.say('talk to a person');
    await patient.botSays(/in the queue/);
    await waitFor(async () => (await patient.poll(), patient.seen.some((a) => /no one from the team was free/i.test(a.text ?? ''))), { timeoutMs: 12_000, what: 'the time-out offer' });
    const n = patient.seen.length;
    await patient.say('yes');
    await patient.botSays(/phone number or email/, n);
  } finally {
    await quick.stop();
  }
}, 20_000);

it('two instances: the patient on A, the staff reply sent through B', async () => {
  const portB = await freePort();
  const b = await startHost('hand-b', 7, { PORT: String(portB), PUBLIC_BASE_URL: `http://127.0.0.1:${portB}`, LOG_LEVEL: 'warn', REDIS_KEY_PREFIX: host.prefix });
  try {
    const staffB = await online(b, 'dana');
    const patient = new DlPatient(host);
    await patient.start();
    await patient.say('talk to a person');
    await patient.botSays(/in the queue/);
    const h = await host.app.handoff.desk.current(`directline/${patient.conversationId}`);
    expect((await staffB.call('POST', `handoffs/${h!.id}/claim`)).status).toBe(200);
    expect((await staffB.call('POST', `handoffs/${h!.id}/messages`, { text: 'Hello from instance B' })).status).toBe(200);
    await patient.botSays(/Hello from instance B/);
    await staffB.call('POST', `handoffs/${h!.id}/return`);
  } finally {
    await b.app.close();
    b.redis.disconnect();
  }
});

it('mutations need the CSRF header; the session cookie is HttpOnly and SameSite=Strict', async () => {
  const res = await fetch(`${host.url}/staff/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dana', password: PASSWORD }) });
  const cookie = res.headers.get('set-cookie') ?? '';
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).not.toMatch(/Secure/); // localhost
  const s = new Staff(host);
  s.cookie = cookie.split(';')[0]!;
  expect((await s.call('POST', 'handoffs/H-AAAAAAAA/claim', undefined, '')).status).toBe(403);
  expect((await s.call('POST', 'handoffs/H-AAAAAAAA/claim', undefined, 'wrong')).status).toBe(403);
  expect((await fetch(`${host.url}/staff/api/queue`)).status).toBe(401);
});

it('locks a username after repeated failures, even for the right password', async () => {
  await host.app.handoff.staff.add('lockme', PASSWORD, 'agent');
  const s = new Staff(host);
  expect(await s.signIn('lockme', 'wrong-1')).toBe(401);
  expect(await s.signIn('lockme', 'wrong-2')).toBe(401);
  expect(await s.signIn('lockme', 'wrong-3')).toBe(429);
  expect(await s.signIn('lockme')).toBe(429);
  const audit = await host.app.services.audit.tail(50);
  expect(audit.some((e) => e.type === 'staff-sign-in-failed')).toBe(true);
});
