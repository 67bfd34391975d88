/**
 * HANDOFF_MODE=external through the real host and real Redis (db 7), with expectReplies: "talk to a person"
 * sends the Bot Framework handoff protocol's `handoff.initiate` event (skill portal-support, the redacted
 * transcript attached) instead of joining the internal queue; the hub's `handoff.status` events are
 * honoured: accepted → the bot is silent, completed → the bot resumes with fresh state, failed → the patient
 * is told and offered a callback (filed in the practice's callback queue).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../services/config';
import { startHost, Conversation, textOf, buttonsOf, type TestHost, type ReplyActivity } from '../helpers/host';

interface EventReply extends ReplyActivity {
  name?: string;
  value?: unknown;
  relatesTo?: { conversation?: { id: string } };
  attachments?: Array<{ contentType: string; name?: string; content: { text?: string; activities?: Array<{ type: string; text?: string; from: { role?: string } }> } }>;
}

let host: TestHost;

beforeAll(async () => {
  host = await startHost('hand-ext', 7, { LOG_LEVEL: 'warn', HANDOFF_MODE: 'external' });
});
afterAll(async () => host?.stop());

async function send(c: Conversation, activity: Record<string, unknown>): Promise<EventReply[]> {
  const { status, body } = await c.post(c.activity({ id: randomUUID(), ...activity }));
  expect(status).toBe(200);
  return (body.activities ?? []) as EventReply[];
}

const status = (c: Conversation, state: string) => send(c, { type: 'event', name: 'handoff.status', value: { state } });

it('HANDOFF_MODE: internal by default, external when set, anything else refused', () => {
  expect(loadConfig({ NODE_ENV: 'test' }).handoff.mode).toBe('internal');
  expect(host.config.handoff.mode).toBe('external');
  expect(() => loadConfig({ NODE_ENV: 'test', HANDOFF_MODE: 'omnichannel' })).toThrow(/HANDOFF_MODE/);
});

it('sends handoff.initiate with the redacted transcript; accepted → silent; completed → the bot again, fresh', async () => {
  const c = new Conversation(host);
  const replies = await send(c, { type: 'message', text: 'talk to a person, my email is maria.gonzalez@example.com' });

  const initiate = replies.find((a) => a.type === 'event');
  expect(initiate).toBeDefined();
  expect(initiate!.name).toBe('handoff.initiate');
  expect(initiate!.value).toEqual({ skill: 'portal-support' });
  expect(initiate!.relatesTo?.conversation?.id).toBe(c.id);
  const transcript = initiate!.attachments?.find((a) => a.name === 'Transcript');
  expect(transcript?.contentType).toBe('application/json');
  const said = transcript!.content.activities!;
  expect(said[0]!.from.role).toBe('user');
  expect(said[0]!.text).toContain('[email]');
  expect(JSON.stringify(initiate)).not.toContain('maria.gonzalez');
  expect(said.some((a) => /Reason: asked for a person/.test(a.text ?? ''))).toBe(true);
  expect(textOf(replies.filter((a) => a.type === 'message') as ReplyActivity[])).toMatch(/join this conversation shortly/);
  // Not in the internal queue.
  expect(await host.app.handoff.desk.queue.waiting()).toEqual([]);

  // Until the hub answers, the bot still answers.
  expect(textOf(await c.say('how do I reset my password'))).toMatch(/password/i);

  // The hub's agent accepted: the bot stays silent, even for an FAQ question.
  expect(await status(c, 'accepted')).toEqual([]);
  expect(await c.say('how do I reset my password')).toEqual([]);

  // The agent is done: the bot is back, with fresh state, and answers again.
  expect(textOf((await status(c, 'completed')) as ReplyActivity[])).toMatch(/back with the portal assistant/);
  expect(textOf(await c.say('how do I reset my password'))).toMatch(/password/i);
});

it('failed → the patient is told and offered a callback, which is filed', async () => {
  const c = new Conversation(host);
  expect((await send(c, { type: 'message', text: 'talk to a person' })).some((a) => a.name === 'handoff.initiate')).toBe(true);
  const failed = (await status(c, 'failed')) as ReplyActivity[];
  expect(textOf(failed)).toMatch(/no one from the team could take the conversation/);
  expect(textOf(failed)).toMatch(/leave a message/);
  expect(buttonsOf(failed)).toEqual(['Yes', 'No']);
  expect(textOf(await c.say('yes'))).toMatch(/phone number or email/);
  const filed = textOf(await c.say('555-010-4444'));
  expect(filed).toMatch(/reference C-[A-Z0-9]{6}/);
  expect((await host.app.handoff.desk.queue.listCallbacks({ status: 'open' })).map((cb) => cb.contact)).toContain('555-010-4444');
  // The conversation is the bot's again.
  expect(textOf(await c.say('how do I reset my password'))).toMatch(/password/i);
});

it('emergency wording while the hub has the conversation: the emergency answer, and a handoff.alert event for the agent', async () => {
  const c = new Conversation(host);
  await send(c, { type: 'message', text: 'talk to a person' });
  expect(await status(c, 'accepted')).toEqual([]);
  const replies = await send(c, { type: 'message', text: 'I have chest pain and can barely breathe' });
  expect(textOf(replies.filter((a) => a.type === 'message') as ReplyActivity[])).toMatch(/911/);
  const alert = replies.find((a) => a.type === 'event' && a.name === 'handoff.alert');
  expect(alert?.value).toMatchObject({ kind: 'emergency' });
  expect(JSON.stringify(alert)).not.toMatch(/chest|breathe/); // the alert, not the patient's words
  expect((await host.app.services.audit.tail(50)).some((e) => e.type === 'handoff-emergency' && (e.detail as { mode?: string } | undefined)?.mode === 'external')).toBe(true);
  // Without a handoff in progress, no alert event.
  const other = new Conversation(host);
  expect((await send(other, { type: 'message', text: 'I have chest pain' })).some((a) => a.type === 'event')).toBe(false);
});

it('internal mode ignores handoff.status events from the channel', async () => {
  const internal = await startHost('hand-int', 7, { LOG_LEVEL: 'warn' });
  try {
    const c = new Conversation(internal);
    expect(await status(c, 'accepted')).toEqual([]);
    expect(textOf(await c.say('how do I reset my password'))).toMatch(/password/i);
  } finally {
    await internal.stop();
  }
});
