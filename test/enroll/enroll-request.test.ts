/**
 * Self-enrollment requests (issue 12, the seed's way 3) through the host: real HTTP, real Redis, real SMTP.
 * A patient without a token files an enrollment request in chat (the practice request queue, kind
 * `enrollment`) → staff approve it with `requests:resolve` or the staff console's API → the invitation email
 * arrives at the patient's notification address on file → its link → the /enroll page → account →
 * `accounts:check-password`. Also: the same person asking again gets the same reference, the refusals, the
 * existing request caps, and enrollment's own named limits counting and blocking.
 */
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import type { AuditEvent } from '../../services/audit';
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { NOTIFY, PUBLIC_BASE, startPractice, type Practice } from '../helpers/e2e';

let p: Practice;
let host: TestHost;
let seq = 0;
const STAFF_PASSWORD = 'correct-horse-battery-staple';
const LAST_NAMES = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Haddad', 'Novak', 'Brennan', 'Castillo', 'Ferreira', 'Ivanova'];

beforeAll(async () => {
  p = await startPractice('enroll-request');
  host = p.host;
  await host.app.handoff.staff.add('frontdesk', STAFF_PASSWORD, 'agent', 'Pat');
}, 60000);

afterAll(() => p.stop());

interface Person {
  id: string;
  firstName: string;
  lastName: string;
  /** As stored (`YYYY-MM-DD`) and as typed (`mm/dd/yyyy`). */
  dob: string;
  typedDob: string;
  email: string;
}

/** A patient on the practice's records with no portal account and no token (with a notification email unless told). */
async function newPatient(opts: { email?: boolean } = {}): Promise<Person> {
  const n = ++seq;
  const day = String(10 + n).padStart(2, '0');
  const person: Person = {
    id: `P-6${String(n).padStart(3, '0')}`,
    firstName: 'Imani',
    lastName: LAST_NAMES[n % LAST_NAMES.length]!,
    dob: `1984-05-${day}`,
    typedDob: `05/${day}/1984`,
    email: `imani.${n}@patients.test`,
  };
  await host.app.services.directory.importPatients({
    patients: [{ id: person.id, firstName: person.firstName, lastName: person.lastName, dateOfBirth: person.dob, ...(opts.email === false ? {} : { notificationEmail: person.email }) }],
  });
  return person;
}

const REFERENCE = /Your reference number is (R-[2-9A-Z]{6})\./;

/** Asks the way a patient without a code does, accepts the offer, answers the four questions. Returns the last reply. */
async function fileRequest(c: Conversation, who: Person, contact: string): Promise<string> {
  const offer = await c.say("I want to sign up but I don't have a code");
  expect(buttonsOf(offer)).toEqual(['Yes', 'No']);
  expect(textOf(offer)).toMatch(/enrollment request/);
  expect(textOf(await c.say('yes'))).toMatch(/enroll you in the patient portal.*first name\?/s);
  expect(textOf(await c.say(who.firstName))).toMatch(/last name/i);
  expect(textOf(await c.say(who.lastName))).toMatch(/date of birth/i);
  expect(textOf(await c.say(who.typedDob))).toMatch(/email address or phone number/i);
  return textOf(await c.say(contact));
}

function referenceIn(reply: string): string {
  const m = REFERENCE.exec(reply);
  if (!m) throw new Error(`no request reference in: ${reply}`);
  return m[1]!;
}

/** Nothing the patient typed about themselves comes back in a reply. */
function expectNoPhi(reply: string, who: Person, contact: string): void {
  for (const phi of [who.firstName, who.lastName, who.dob, who.typedDob, contact, who.email, who.id]) expect(reply.toLowerCase()).not.toContain(phi.toLowerCase());
}

async function auditEvents(): Promise<AuditEvent[]> {
  return host.app.services.audit.tail(10_000);
}

const linkIn = (text: string) => {
  const m = new RegExp(`${PUBLIC_BASE.replace(/\./g, '\\.')}/enroll\\?token=([A-Za-z0-9_%-]+)`).exec(text);
  if (!m) throw new Error('no enroll link in the mail');
  return decodeURIComponent(m[1]!);
};

/** The invitation mail → GET the page → POST the form → account; then `accounts:check-password` says yes. */
async function enrollFromInvitation(who: Person, since: number): Promise<void> {
  const mail = await p.smtp.waitFor(p.mailTo(who.email, since));
  expect(mail.text).toMatch(/7 days/);
  const link = linkIn(mail.text ?? '');
  const page = await fetch(`${host.url}/enroll?token=${encodeURIComponent(link)}`);
  expect(page.status).toBe(200);
  await page.text();
  const username = `imani${seq}${who.lastName.toLowerCase()}`;
  const password = 'Lantern!Harbor93';
  const res = await fetch(`${host.url}/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      token: link,
      username,
      password,
      confirm: password,
      q0: 'What was the name of your first pet?',
      a0: 'Pepper',
      q1: 'What street did you grow up on?',
      a1: 'Oak Lane',
      email: '',
    }).toString(),
  });
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/account has been created/);
  const services: AdminServices = { ...host.app.services, sendMail: (m) => host.app.services.mailer.send(m as never) };
  const check = (pw: string) => runAdmin(['accounts:check-password', username], services, { out: () => undefined, err: () => undefined, readStdin: async () => `${pw}\n` });
  expect(await check(password)).toBe(0);
  expect(await check('Lantern!Harbor94')).toBe(1);
  expect((await host.app.services.directory.getAccountForPatient(who.id))?.status).toBe('active');
}

/** A staff member signed in to the console's JSON API: the session cookie and its CSRF token. */
async function staffSession(): Promise<{ call(method: string, path: string, body?: unknown, csrf?: boolean): Promise<{ status: number; body: Record<string, unknown> }> }> {
  const res = await fetch(`${host.url}/staff/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'frontdesk', password: STAFF_PASSWORD }) });
  expect(res.status).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    async call(method, path, body, csrf = true) {
      const headers: Record<string, string> = { cookie, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrfToken } : {}) };
      const r = await fetch(`${host.url}/staff/api/${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    },
  };
}

describe('an enrollment request from a patient without a token', () => {
  it('chat → request filed (reference, no PHI) → requests:resolve → invitation at the notification email → page → account', async () => {
    const who = await newPatient();
    const contact = `other.inbox.${seq}@example.net`; // typed in chat; the invitation goes to the address on file
    const since = p.smtp.messages.length;
    const c = new Conversation(host);
    const filed = await fileRequest(c, who, contact);
    const ref = referenceIn(filed);
    expect(filed).toMatch(/email an invitation to the address on your patient record/);
    expectNoPhi(filed, who, contact);

    // The practice is told: reference and kind only.
    const notice = await p.smtp.waitFor((m) => p.mailTo(NOTIFY, since)(m) && (m.text ?? '').includes(ref));
    expect(notice.subject).toContain('enrollment');
    expectNoPhi(`${notice.subject} ${notice.text}`, who, contact);
    expect((await host.app.services.requests.get(ref))).toMatchObject({ kind: 'enrollment', status: 'open', lastName: who.lastName, dateOfBirth: who.dob, contact: { email: contact } });
    expect((await auditEvents()).some((e) => e.type === 'enrollment-requested' && e.requestId === ref)).toBe(true);
    expect(textOf(await c.say(`status of ${ref}`))).toMatch(/is open/);

    const resolved = await p.admin(['requests:resolve', ref, '--patient', who.id, '--by', 'Front desk']);
    expect(resolved.code).toBe(0);
    expect(resolved.lines.join('\n')).toMatch(/Resolved R-.*\n.*Invitation emailed .* 7 days/);
    await enrollFromInvitation(who, since);
    await p.mailSettled();
    expect(p.smtp.messages.slice(since).some((m) => p.mailTo(contact)(m))).toBe(false);

    const events = await auditEvents();
    expect(events.filter((e) => e.requestId === ref).map((e) => [e.type, e.patientId ?? null, e.detail?.kind ?? null])).toEqual([
      ['enrollment-requested', null, null],
      ['request-resolved', who.id, 'enrollment'],
      ['enrollment-invited', who.id, null],
    ]);
    expect(events.some((e) => e.type === 'account-created' && e.patientId === who.id)).toBe(true);
    // Done once: resolving again changes nothing.
    expect((await p.admin(['requests:resolve', ref, '--patient', who.id])).code).toBe(1);
    expect(await host.app.services.requests.status(ref)).toBe('resolved');
  });

  it('the same through the staff console: POST /staff/api/requests/{id}/resolve (session + CSRF) sends the invitation', async () => {
    const who = await newPatient();
    const since = p.smtp.messages.length;
    const ref = referenceIn(await fileRequest(new Conversation(host), who, '(555) 010-7788'));
    const staff = await staffSession();
    const listed = (await staff.call('GET', 'requests')).body.requests as Array<{ requestId: string; kind: string }>;
    expect(listed.find((r) => r.requestId === ref)?.kind).toBe('enrollment');

    expect((await staff.call('POST', `requests/${ref}/resolve`, { patientId: who.id }, false)).status).toBe(403); // no CSRF token
    expect(await host.app.services.requests.status(ref)).toBe('open');
    const resolved = await staff.call('POST', `requests/${ref}/resolve`, { patientId: who.id });
    expect(resolved.status).toBe(200);
    expect(resolved.body.ok).toBe(true);
    expect((resolved.body.output as string[]).join('\n')).toMatch(/Invitation emailed/);
    await enrollFromInvitation(who, since);
    const events = await auditEvents();
    expect(events.some((e) => e.type === 'request-resolved' && e.requestId === ref && e.patientId === who.id)).toBe(true);
    expect(events.some((e) => e.type === 'enrollment-invited' && e.requestId === ref)).toBe(true);
    expect((await host.app.services.requests.get(ref))?.resolvedBy).toBe('frontdesk');
  });

  it('the same person asking again gets the same reference and the practice is told once', async () => {
    const who = await newPatient();
    const since = p.smtp.messages.length;
    const first = await fileRequest(new Conversation(host), who, who.email);
    const again = await fileRequest(new Conversation(host), { ...who, firstName: 'IMANI', lastName: who.lastName.toLowerCase() }, '555-010-1234');
    const ref = referenceIn(first);
    expect(referenceIn(again)).toBe(ref);
    expect(again).toBe(first); // the same words: nothing tells a repeat apart
    await p.mailSettled();
    expect(p.smtp.messages.slice(since).filter((m) => p.mailTo(NOTIFY)(m) && (m.text ?? '').includes(ref))).toHaveLength(1);
    expect((await auditEvents()).filter((e) => e.type === 'practice-request-repeated' && e.requestId === ref)).toHaveLength(1);
  });

  it('a patient who already has an account is refused with nothing done; one with no email on file gets a token to hand over', async () => {
    const maria = { id: 'P-1001', firstName: 'Maria', lastName: 'Gonzalez', dob: '1978-04-12', typedDob: '04/12/1978', email: 'maria.gonzalez@example.com' };
    const ref = referenceIn(await fileRequest(new Conversation(host), maria, '555-010-2001'));
    const refused = await p.admin(['requests:resolve', ref, '--patient', maria.id]);
    expect(refused.code).toBe(1);
    expect(await host.app.services.requests.status(ref)).toBe('open');

    const noEmail = await newPatient({ email: false });
    const ref2 = referenceIn(await fileRequest(new Conversation(host), noEmail, '555-010-3333'));
    const resolved = await p.admin(['requests:resolve', ref2, '--patient', noEmail.id]);
    expect(resolved.code).toBe(0);
    expect(resolved.lines.join('\n')).toMatch(/no notification email on file/);
    expect((await p.admin(['enrollment:check', resolved.lines[resolved.lines.length - 1]!])).code).toBe(0);
    expect(await host.app.services.requests.status(ref2)).toBe('resolved');
  });

  it('the existing request caps apply: the fourth request from one chat is refused', async () => {
    const c = new Conversation(host);
    for (let i = 0; i < 3; i += 1) referenceIn(await fileRequest(c, await newPatient(), '555-010-4444'));
    const limited = await fileRequest(c, await newPatient(), '555-010-4444');
    expect(limited).toMatch(/can't file more requests/);
    expect(limited).not.toMatch(REFERENCE);
  });

  it('"I don\'t have a token" at the enrollment-token question leads to the enrollment request', async () => {
    const c = new Conversation(host);
    const ask = await c.say('I have an enrollment token');
    expect(buttonsOf(ask)).toEqual(["I don't have a token"]);
    expect(textOf(await c.say("I don't have a token"))).toMatch(/enroll you in the patient portal.*first name\?/s);
  });
});

describe("enrollment's own limits", () => {
  const tokenFor = async (who: Person) => {
    const issued = await p.admin(['enrollment:issue', who.id]);
    return issued.lines[issued.lines.length - 1]!;
  };
  const attempt = async (c: Conversation, token: string, lastName: string, typedDob: string) => {
    await c.say('I have an enrollment token');
    await c.say(token);
    await c.say(lastName);
    return textOf(await c.say(typedDob));
  };
  const limitedBy = async (limit: string) => (await auditEvents()).filter((e) => e.type === 'rate-limited' && e.detail?.flow === 'enroll-token' && e.detail?.limit === limit).length;

  it('enrollTokenPerToken: five tries at one token an hour, from any chats; then even the right details fail the same way', async () => {
    const who = await newPatient();
    const token = await tokenFor(who);
    const { points } = host.app.services.limits.rules.enrollTokenPerToken;
    const before = await limitedBy('enrollTokenPerToken');
    const wrong: string[] = [];
    for (let i = 0; i < points; i += 1) wrong.push(await attempt(new Conversation(host), token, 'Wrongname', who.typedDob));
    const blocked = await attempt(new Conversation(host), token, who.lastName, who.typedDob);
    expect(new Set([...wrong, blocked]).size).toBe(1);
    expect(blocked).not.toMatch(/enroll\?token=/);
    expect(await limitedBy('enrollTokenPerToken')).toBe(before + 1);
    expect((await p.admin(['enrollment:check', token])).code).toBe(0); // refused, not spent
  });

  it('enrollTokenPerConversation: five tries per chat an hour, whatever the token', async () => {
    const who = await newPatient();
    const token = await tokenFor(who);
    const { points } = host.app.services.limits.rules.enrollTokenPerConversation;
    const before = await limitedBy('enrollTokenPerConversation');
    const c = new Conversation(host);
    for (let i = 0; i < points; i += 1) {
      await attempt(c, `WRONGTOKEN${i}`, who.lastName, who.typedDob);
      await c.say('cancel');
    }
    expect(await attempt(c, token, who.lastName, who.typedDob)).not.toMatch(/enroll\?token=/);
    expect(await limitedBy('enrollTokenPerConversation')).toBe(before + 1);
    expect(await attempt(new Conversation(host), token, who.lastName, who.typedDob)).toMatch(/enroll\?token=/);
  });

  it('enrollUsernameCheckPerIp: the page\'s live username check answers 429 past its limit per IP', async () => {
    const { points } = host.app.services.limits.rules.enrollUsernameCheckPerIp;
    const check = (i: number) => fetch(`${host.url}/enroll/username?u=free-name-${i}`).then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string } }));
    for (let i = 0; i < points; i += 1) expect(await check(i)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await check(points)).toEqual({ status: 429, body: { status: 'unknown' } });
    const events = await auditEvents();
    expect(events.some((e) => e.type === 'rate-limited' && e.detail?.limit === 'enrollUsernameCheckPerIp')).toBe(true);
  });
});
