/**
 * Waiting patients are told when their place in the queue moves up (someone ahead is claimed or leaves):
 * a proactive message over the development Direct Line, through the real host and real Redis (db 7), sent once.
 */
import { startHost, type TestHost } from '../helpers/host';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

interface DlActivity {
  type: string;
  text?: string;
  from: { id: string; role?: string };
}

let host: TestHost;

beforeAll(async () => {
  const port = await freePort();
  host = await startHost('hand-pos', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' });
  await host.app.handoff.desk.queue.heartbeat('dana'); // someone is online
});
afterAll(async () => host?.stop());

/** A patient on the development Direct Line (raw REST, as in staff-console.test.ts). */
class DlPatient {
  token = '';
  conversationId = '';
  watermark = '';
  seen: DlActivity[] = [];

  private call(method: string, path: string, auth: string, body?: unknown) {
    return fetch(`${host.url}${path}`, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  }

  async start(): Promise<void> {
    const gen = (await (await this.call('POST', '/v3/directline/tokens/generate', host.config.channels.directLine.secret!, { user: { id: `dl_${Math.random().toString(16).slice(2)}` } })).json()) as { token: string; conversationId: string };
    this.token = gen.token;
    this.conversationId = gen.conversationId;
    await this.call('POST', '/v3/directline/conversations', this.token);
  }

  async poll(): Promise<void> {
    const res = await this.call('GET', `/v3/directline/conversations/${this.conversationId}/activities${this.watermark ? `?watermark=${this.watermark}` : ''}`, this.token);
    const body = (await res.json()) as { activities: DlActivity[]; watermark: string };
    this.watermark = body.watermark;
    this.seen.push(...body.activities);
  }

  async say(text: string): Promise<void> {
    expect((await this.call('POST', `/v3/directline/conversations/${this.conversationId}/activities`, this.token, { type: 'message', from: { id: 'x' }, text })).status).toBe(200);
  }

  async botSays(re: RegExp): Promise<string> {
    const found = await waitFor(
      async () => {
        await this.poll();
        return this.seen.find((a) => a.type === 'message' && a.from.role === 'bot' && re.test(a.text ?? ''));
      },
      { timeoutMs: 10_000, what: `a bot message matching ${re}` },
    );
    return found.text ?? '';
  }

  botTexts(re: RegExp): string[] {
    return this.seen.filter((a) => a.type === 'message' && a.from.role === 'bot' && re.test(a.text ?? '')).map((a) => a.text ?? '');
  }
}

it('someone ahead claimed → the next is told number 1; someone ahead leaves → the last moves up; each told once', async () => {
  const patients = [new DlPatient(), new DlPatient(), new DlPatient()];
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
  expect(third.botTexts(/queue has moved/)).toHaveLength(2);
  expect(second.botTexts(/queue has moved/)).toHaveLength(1);
  expect(first.botTexts(/queue has moved/)).toHaveLength(0);
}, 40000);
