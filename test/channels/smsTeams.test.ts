/**
 * Channel rules at the bot level, over HTTP like the channels post them (expectReplies), real host and Redis
 * (db 8): every SMS carrier keyword, the opt-out store, GSM-7 replies, attachment refusal with nothing stored,
 * Teams mention stripping, the staff team and installationUpdate.
 */
import { randomUUID } from 'node:crypto';
import { Conversation, startHost, textOf, type TestHost } from '../helpers/host';
import { isGsm7, toGsm7 } from '../../bot/gsm7';
import { OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, HELP_KEYWORDS, smsKeyword } from '../../bot/sms';
import { STAFF_SCOPE_HELP, STAFF_SCOPE_REPLY, STAFF_TEAM_INSTALLED } from '../../bot/teams';

let host: TestHost;

beforeAll(async () => {
  host = await startHost('channels', 8, { PRACTICE_NAME: 'Lakeside Clinic', PRACTICE_PHONE: '(555) 010-0100' });
});

afterAll(async () => {
  await host?.stop();
});

describe('SMS keywords', () => {
  it.each(OPT_OUT_KEYWORDS.flatMap((k) => [k, ` ${k.toLowerCase()}. `]))('%p opts out, cancels the flow and says how to opt back in', async (word) => {
    const c = new Conversation(host, 'sms');
    await c.say('I forgot my username');
    await c.say('yes'); // now in a flow
    const reply = textOf(await c.say(word));
    expect(reply).toMatch(/unsubscribed/i);
    expect(reply).toMatch(/cancelled/);
    expect(reply).toMatch(/Reply START/);
    expect(await host.app.channels.optOuts.isOptedOut(c.userId)).toBe(true);
    // The number is not in any key name.
    const keys = await host.redis.keys(`${host.prefix}:*`);
    expect(keys.join(' ')).not.toContain(c.userId);
    await host.app.channels.optOuts.optIn(c.userId);
  });

  it.each([...OPT_IN_KEYWORDS])('%p opts back in', async (word) => {
    const c = new Conversation(host, 'sms');
    await c.say('STOP');
    expect(await host.app.channels.optOuts.isOptedOut(c.userId)).toBe(true);
    expect(textOf(await c.say(word))).toMatch(/opted back in/);
    expect(await host.app.channels.optOuts.isOptedOut(c.userId)).toBe(false);
  });

  it.each([...HELP_KEYWORDS])('%p gives name, phone, hours, rates and how to opt out', async (word) => {
    const c = new Conversation(host, 'sms');
    const reply = textOf(await c.say(word));
    expect(reply).toContain('Lakeside Clinic');
    expect(reply).toContain('(555) 010-0100');
    expect(reply).toContain(host.config.practice.hours.text);
    expect(reply).toContain('Msg & data rates may apply');
    expect(reply).toContain('Reply STOP to opt out');
  });

  it('only a bare keyword counts; on other channels keywords are ordinary words', async () => {
    expect(smsKeyword('please stop texting me')).toBeNull();
    expect(smsKeyword('Stop!')).toBe('opt-out');
    const web = new Conversation(host, 'webchat');
    await web.say('STOP');
    expect(await host.app.channels.optOuts.isOptedOut(web.userId)).toBe(false);
  });

  it('SMS replies are GSM-7 only', async () => {
    const c = new Conversation(host, 'sms');
    const replies = await c.say('how do I reset my password');
    expect(replies.length).toBeGreaterThan(0);
    for (const r of replies) expect(isGsm7(r.text ?? '')).toBe(true);
  });
});

describe('GSM-7 transliteration', () => {
  it.each([
    ['“Quoted” ‘single’ don’t', '"Quoted" \'single\' don\'t'],
    ['a – b — c … d', 'a - b - c ... d'],
    ['no\u00a0break\u202fthin', 'no break thin'],
    ['✓ done ✗ not', 'OK done X not'],
    ['Done 🎉!', 'Done!'],
    ['Hi 👋🏽 there', 'Hi there'],
    ['Sofía Álvarez-Ruiz ñ é ü', 'Sofia Alvarez-Ruiz ñ é ü'],
    ['€5 {x} [y]', '€5 {x} [y]'],
  ])('%p → %p', (input, expected) => {
    expect(toGsm7(input)).toBe(expected);
    expect(isGsm7(toGsm7(input))).toBe(true);
  });
});

describe('attachments', () => {
  it.each(['webchat', 'sms', 'msteams'])('are refused on %s and nothing is stored', async (channel) => {
    const c = new Conversation(host, channel);
    const { status, body } = await c.post(
      c.activity({ type: 'message', id: randomUUID(), text: 'here is my lab report', attachments: [{ contentType: 'image/png', contentUrl: 'https://example.test/x.png', name: 'x.png' }], conversation: { id: c.id, conversationType: 'personal' } }),
    );
    expect(status).toBe(200);
    expect(textOf((body.activities ?? []) as never)).toMatch(/can't accept files/);
    const keys = await host.redis.keys(`${host.prefix}:{conv:*${c.id}*`);
    expect(keys).toEqual([]);
  });
});

describe('Teams', () => {
  const teamsActivity = (c: Conversation, extra: Record<string, unknown>) =>
    c.activity({
      channelId: 'msteams',
      conversation: { id: c.id, conversationType: 'channel', isGroup: true },
      channelData: { team: { id: `19:team-${c.id}` }, tenant: { id: 'tenant-1' } },
      recipient: { id: '28:bot', name: 'Portal Help' },
      ...extra,
    });

  it('in the staff team: mention stripped, no patient flow', async () => {
    const c = new Conversation(host, 'msteams');
    const mention = { type: 'mention', text: '<at>Portal Help</at>', mentioned: { id: '28:bot', name: 'Portal Help' } };
    const help = await c.post(teamsActivity(c, { type: 'message', id: randomUUID(), text: '<at>Portal Help</at> help', entities: [mention] }));
    expect(textOf((help.body.activities ?? []) as never)).toBe(STAFF_SCOPE_HELP); // "help" was seen once the mention was stripped
    const flow = await c.post(teamsActivity(c, { type: 'message', id: randomUUID(), text: '<at>Portal Help</at> I forgot my username', entities: [mention] }));
    expect(textOf((flow.body.activities ?? []) as never)).toBe(STAFF_SCOPE_REPLY);
  });

  it('installationUpdate in a team stores the team for staff notifications; remove forgets it', async () => {
    const c = new Conversation(host, 'msteams');
    const teamId = `19:team-${c.id}`;
    await c.post(teamsActivity(c, { type: 'installationUpdate', action: 'add', serviceUrl: 'https://smba.trafficmanager.net/amer/', deliveryMode: 'expectReplies' }));
    const teams = await host.app.channels.staffTeams.all();
    expect(teams[teamId]?.conversation.id).toBe(teamId);
    expect(teams[teamId]?.serviceUrl).toBe('https://smba.trafficmanager.net/amer/');
    await c.post(teamsActivity(c, { type: 'installationUpdate', action: 'remove' }));
    expect((await host.app.channels.staffTeams.all())[teamId]).toBeUndefined();
  });

  it('bot added to the team: a staff greeting, not the patient welcome', async () => {
    const c = new Conversation(host, 'msteams');
    const { body } = await c.post(teamsActivity(c, { type: 'conversationUpdate', membersAdded: [{ id: '28:bot' }] }));
    expect(textOf((body.activities ?? []) as never)).toBe(STAFF_TEAM_INSTALLED);
  });

  it('personal scope: the welcome when Teams adds the bot, and flows run', async () => {
    const c = new Conversation(host, 'msteams');
    const personal = (extra: Record<string, unknown>) => c.activity({ conversation: { id: c.id, conversationType: 'personal' }, recipient: { id: '28:bot' }, ...extra });
    const { body } = await c.post(personal({ type: 'conversationUpdate', membersAdded: [{ id: '28:bot' }] }));
    expect(textOf((body.activities ?? []) as never)).toMatch(/Lakeside Clinic/);
    const reply = await c.post(personal({ type: 'message', id: randomUUID(), text: 'I forgot my username' }));
    expect(textOf((reply.body.activities ?? []) as never)).toMatch(/username/i);
  });
});
