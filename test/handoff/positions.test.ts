/**
 * Waiting patients are told when their place in the queue moves up (someone ahead is claimed or leaves):
 * a proactive message over the development Direct Line, through the real host and real Redis (db 7), sent once.
 */
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { DlPatient } from '../helpers/handoff';

let host: TestHost;

beforeAll(async () => {
  const port = await freePort();
  host = await startHost('hand-pos', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' });
  await host.app.handoff.desk.queue.heartbeat('dana'); // someone is online
});
afterAll(async () => host?.stop());

/** Every bot message matching `re` seen so far. */
function botTexts(p: DlPatient, re: RegExp): string[] {
  return p.seen.filter((a) => a.type === 'message' && a.from.role === 'bot' && re.test(a.text ?? '')).map((a) => a.text ?? '');
}

it('someone ahead claimed → the next is told number 1; someone ahead leaves → the last moves up; each told once', async () => {
  const patients = [new DlPatient(host), new DlPatient(host), new DlPatient(host)];
  for (const [i, p] of patients.entries()) {
    await p.start();
    await p.say('talk to a person');
    await p.botSays(new RegExp(`number ${i + 1} in the queue`));
  }
  const [first, second, third] = patients as [DlPatient, DlPatient, DlPatient];
  const waiting = await host.app.handoff.desk.queue.waiting();
  expect(waiting.map((h) => h.position)).toEqual([1, 2, 3]);

  // The first is claimed: the second is now number 1, the third number 2.
  expect((await host.app.handoff.desk.claim(waiting[0]!.id, { id: 'dana', name: 'Dana' })).ok).toBe(true);
  expect(await second.botSays(/queue has moved.*number 1 in the queue/)).toMatch(/wait is about \d+ minutes?/);
  await third.botSays(/queue has moved.*number 2 in the queue/);

  // The second leaves ("cancel"): the third is now number 1.
  await second.say('cancel');
  await second.botSays(/left the queue/);
  await third.botSays(/queue has moved.*number 1 in the queue/);

  // Once each, whatever the number of sweeps.
  await new Promise((r) => setTimeout(r, 2500));
  await Promise.all(patients.map((p) => p.poll()));
  expect(botTexts(third, /queue has moved/)).toHaveLength(2);
  expect(botTexts(second, /queue has moved/)).toHaveLength(1);
  expect(botTexts(first, /queue has moved/)).toHaveLength(0);
}, 40000);
