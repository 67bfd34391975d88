/**
 * The staff console's other actions, through the real host, real Redis and the development Direct Line: several
 * conversations at once (the "active" list), watch without taking over, transfer to a colleague who is online,
 * end, the supervisor's day view (403 for agents), and the "invite to enroll" action (real SMTP).
 */
import { startHost, type TestHost } from '../helpers/host';
import { DlPatient, signedIn, STAFF_PASSWORD } from '../helpers/handoff';
import { startPractice, type Practice } from '../helpers/e2e';
import { freePort } from '../helpers/net';

let host: TestHost;

beforeAll(async () => {
  const port = await freePort();
  host = await startHost('hand-actions', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' });
  await host.app.handoff.staff.add('dana', STAFF_PASSWORD, 'agent', 'Dana');
  await host.app.handoff.staff.add('sam', STAFF_PASSWORD, 'agent', 'Sam');
  await host.app.handoff.staff.add('sue', STAFF_PASSWORD, 'supervisor', 'Sue');
});
afterAll(async () => host?.stop());

async function waitingPatient(): Promise<{ patient: DlPatient; id: string }> {
  const patient = new DlPatient(host);
  await patient.start();
  await patient.say('talk to a person');
  await patient.botSays(/in the queue/);
  return { patient, id: (await host.app.handoff.desk.current(patient.key))!.id };
}

it('two conversations at once; a colleague watches; transfer; end; the day view for supervisors only', async () => {
  const dana = await signedIn(host, 'dana');
  const sam = await signedIn(host, 'sam');
  const one = await waitingPatient();
  const two = await waitingPatient();
  expect((await dana.call('POST', `handoffs/${one.id}/claim`)).status).toBe(200);
  expect((await dana.call('POST', `handoffs/${two.id}/claim`)).status).toBe(200);

  // Both are Dana's, both listed as active; neither is waiting.
  const queue = (await sam.call('GET', 'queue')).body as { waiting: Array<{ id: string }>; active: Array<{ id: string; staffId: string }> };
  expect(queue.active.filter((h) => h.staffId === 'dana').map((h) => h.id)).toEqual(expect.arrayContaining([one.id, two.id]));
  expect(queue.waiting.map((h) => h.id)).not.toContain(one.id);

  // Replies go to the right patient.
  await dana.call('POST', `handoffs/${one.id}/messages`, { text: 'Hello patient one' });
  await dana.call('POST', `handoffs/${two.id}/messages`, { text: 'Hello patient two' });
  await one.patient.botSays(/Hello patient one/);
  await two.patient.botSays(/Hello patient two/);
  expect(one.patient.botMessagesSince(0).join('\n')).not.toMatch(/patient two/);

  // Sam watches (reads the transcript) but cannot write into it.
  const watched = (await sam.call('GET', `handoffs/${one.id}/transcript`)).body as { transcript: Array<{ text: string }> };
  expect(watched.transcript.map((e) => e.text)).toContain('Hello patient one');
  expect((await sam.call('POST', `handoffs/${one.id}/messages`, { text: 'me too' })).status).toBe(409);

  // Transfer: only to someone online, only by whoever has it; the patient is told who they talk to now.
  expect((await sam.call('POST', `handoffs/${one.id}/transfer`, { staffId: 'sam' })).status).toBe(409);
  expect((await dana.call('POST', `handoffs/${one.id}/transfer`, { staffId: 'sue' })).status).toBe(409); // Sue is not signed in
  expect((await dana.call('POST', `handoffs/${one.id}/transfer`, {})).status).toBe(400);
  const online = (await dana.call('GET', 'staff')).body.staff as Array<{ staffId: string; name: string }>;
  expect(online.map((s) => s.staffId)).toEqual(expect.arrayContaining(['dana', 'sam']));
  const n = one.patient.seen.length;
  expect((await dana.call('POST', `handoffs/${one.id}/transfer`, { staffId: 'sam' })).status).toBe(200);
  await one.patient.botSays(/now talking with Sam/, n);
  expect((await dana.call('POST', `handoffs/${one.id}/messages`, { text: 'still me?' })).status).toBe(409);
  expect((await sam.call('POST', `handoffs/${one.id}/messages`, { text: 'Sam here' })).status).toBe(200);
  await one.patient.botSays(/Sam here/);

  // End: the patient is told, and the bot answers again.
  expect((await sam.call('POST', `handoffs/${one.id}/end`)).status).toBe(200);
  await one.patient.botSays(/Sam has ended the conversation/);
  const m = one.patient.seen.length;
  await one.patient.say('how do I reset my password');
  expect(await one.patient.botSays(/password/i, m)).not.toMatch(/queue/);
  expect((await dana.call('POST', `handoffs/${two.id}/return`)).status).toBe(200);

  // The day view: supervisors only; every handoff of the day with who had it and how it ended.
  expect((await dana.call('GET', 'today')).status).toBe(403);
  const sue = await signedIn(host, 'sue');
  const today = (await sue.call('GET', 'today')).body as { handoffs: Array<{ id: string; status: string; staffId?: string }>; summary: { handoffs: number; byStatus: Record<string, number> } };
  const byId = Object.fromEntries(today.handoffs.map((h) => [h.id, h]));
  expect(byId[one.id]).toMatchObject({ status: 'ended', staffId: 'sam' });
  expect(byId[two.id]).toMatchObject({ status: 'returned', staffId: 'dana' });
  expect(today.summary.handoffs).toBeGreaterThanOrEqual(2);
  const audit = await host.app.services.audit.tail(100);
  expect(audit.some((e) => e.type === 'handoff-transferred')).toBe(true);
  expect(audit.some((e) => e.type === 'handoff-ended')).toBe(true);
});

describe('invite to enroll from the console', () => {
  let p: Practice;
  beforeAll(async () => {
    p = await startPractice('hand-invite');
    await p.host.app.handoff.staff.add('dana', STAFF_PASSWORD, 'agent', 'Dana');
  });
  afterAll(async () => p?.stop());

  it('emails the patient a link to the create-account page; bad or unknown ids are refused', async () => {
    const dana = await signedIn(p.host, 'dana');
    await p.host.app.services.directory.importPatients({ patients: [{ id: 'P-8801', firstName: 'Ines', lastName: 'Park', dateOfBirth: '1990-02-03', notificationEmail: 'ines.invite@example.com' }] });
    const since = p.smtp.messages.length;
    const sent = await dana.call('POST', 'invitations', { patientId: 'P-8801' });
    expect(sent.status).toBe(200);
    const mail = await p.smtp.waitFor(p.mailTo('ines.invite@example.com', since));
    expect(mail.text).toMatch(/\/enroll\?token=/);
    expect((await dana.call('POST', 'invitations', { patientId: '../etc' })).status).toBe(400);
    expect((await dana.call('POST', 'invitations', { patientId: 'P-NOPE' })).status).toBe(409);
    expect((await dana.call('POST', 'invitations', { patientId: 'P-8801' }, '')).status).toBe(403);
  });
});
