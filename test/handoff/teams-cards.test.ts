/**
 * Staff notices in Teams: the app installed in the staff team (installationUpdate), a patient asks for a person
 * → an Adaptive Card is posted to the team's channel proactively (to a real HTTP stand-in for the Teams
 * connector), claiming it updates that same card, returning it updates it again; a callback request posts a
 * card of its own. No PHI on any card. Real host, real Redis (db 7, own prefix).
 */
import { startHost, Conversation, textOf, type TestHost } from '../helpers/host';
import { startFakeConnector, type ConnectorCall, type FakeConnector } from '../helpers/connector';
import { DlPatient, signedIn, STAFF_PASSWORD } from '../helpers/handoff';
import { freePort } from '../helpers/net';
import { waitFor } from '../helpers/wait';

let host: TestHost;
let teams: FakeConnector;
const TEAM = '19:staff-team@thread.tacv2';

interface CardContent {
  body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }>;
  actions: Array<{ type: string; title: string; url: string }>;
}

function cardOf(call: ConnectorCall): CardContent {
  const attachments = call.activity.attachments as Array<{ contentType: string; content: CardContent }>;
  expect(attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  return attachments[0]!.content;
}
const headline = (c: CardContent) => c.body[0]!.text ?? '';
const fact = (c: CardContent, title: string) => c.body[1]!.facts!.find((f) => f.title === title)?.value;

beforeAll(async () => {
  teams = await startFakeConnector();
  const port = await freePort();
  host = await startHost('hand-teams', 7, { PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', DEV_CONNECTOR_PORTS: String(teams.port) });
  await host.app.handoff.staff.add('dana', STAFF_PASSWORD, 'agent', 'Dana');
  // The practice installs the app in its staff team.
  const install = new Conversation(host, 'msteams');
  const { status } = await install.post(
    install.activity({
      type: 'installationUpdate',
      action: 'add',
      serviceUrl: teams.url,
      conversation: { id: TEAM, conversationType: 'channel', isGroup: true, tenantId: 'tenant-1' },
      channelData: { team: { id: TEAM }, tenant: { id: 'tenant-1' } },
      recipient: { id: '28:bot', name: 'Portal Help' },
    }),
  );
  expect(status).toBe(200);
});
afterAll(async () => {
  await host?.stop();
  await teams?.close();
});

it('a new handoff posts a card to the staff team; claim and return update the same card', async () => {
  const dana = await signedIn(host, 'dana');
  const patient = new DlPatient(host);
  await patient.start();
  await patient.say('I need to talk to a real person, my name is Maria Gonzalez');
  await patient.botSays(/in the queue/);
  const handoff = (await host.app.handoff.desk.current(patient.key))!;

  const posted = await waitFor(() => teams.calls.find((c) => c.method === 'POST' && c.conversationId === TEAM && JSON.stringify(c.activity).includes(handoff.id)), { what: 'the handoff card' });
  const card = cardOf(posted);
  expect(headline(card)).toBe('A patient is waiting for a person');
  expect(fact(card, 'Channel')).toBe('directline');
  expect(fact(card, 'Waiting since')).toMatch(/\d{1,2}:\d{2}/);
  expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl', title: 'Open in console', url: `${host.url}/staff#${handoff.id}` });
  expect(JSON.stringify(posted.activity)).not.toMatch(/Maria|Gonzalez/);
  const cardId = (await host.app.channels.staffTeams.cards(handoff.id))[TEAM];
  expect(cardId).toMatch(/^activity-\d+$/);

  expect((await dana.call('POST', `handoffs/${handoff.id}/claim`)).status).toBe(200);
  const claimed = await waitFor(() => teams.calls.find((c) => c.method === 'PUT' && c.activityId === cardId && headline(cardOf(c)).startsWith('Claimed')), { what: 'the card updated on claim' });
  expect(headline(cardOf(claimed))).toBe('Claimed by Dana');
  expect(fact(cardOf(claimed), 'With')).toBe('Dana');

  expect((await dana.call('POST', `handoffs/${handoff.id}/return`)).status).toBe(200);
  await waitFor(() => teams.calls.find((c) => c.method === 'PUT' && c.activityId === cardId && headline(cardOf(c)) === 'Returned to the bot'), { what: 'the card updated on return' });
});

it('a callback request posts a card of its own, without the contact', async () => {
  const ref = await host.app.handoff.desk.fileCallback({ channel: 'sms', reason: 'asked for a person', context: {}, contact: '555-010-7777' });
  const posted = await waitFor(() => teams.calls.find((c) => c.method === 'POST' && JSON.stringify(c.activity).includes(ref)), { what: 'the callback card' });
  expect(headline(cardOf(posted))).toBe(`New practice request ${ref}`);
  expect(fact(cardOf(posted), 'Kind')).toBe('callback');
  expect(JSON.stringify(posted.activity)).not.toContain('555-010-7777');
});

it('a practice request filed in chat posts a card with its reference and kind only', async () => {
  const c = new Conversation(host);
  await c.say("I want to sign up but I don't have a code");
  await c.say('yes');
  await c.say('Maria');
  await c.say('Gonzalez');
  await c.say('03/14/1985');
  const filed = textOf(await c.say('maria.g@example.com'));
  const ref = /R-[A-Z0-9]+/.exec(filed)?.[0];
  expect(ref).toBeDefined();
  const posted = await waitFor(() => teams.calls.find((call) => call.method === 'POST' && JSON.stringify(call.activity).includes(ref!)), { what: 'the request card' });
  expect(headline(cardOf(posted))).toBe(`New practice request ${ref}`);
  expect(fact(cardOf(posted), 'Kind')).toBe('enrollment');
  expect(JSON.stringify(posted.activity)).not.toMatch(/Maria|Gonzalez|1985|maria\.g/);
});

it('an uninstalled team gets no more cards', async () => {
  const remove = new Conversation(host, 'msteams');
  await remove.post(remove.activity({ type: 'installationUpdate', action: 'remove', serviceUrl: teams.url, conversation: { id: TEAM, conversationType: 'channel' }, channelData: { team: { id: TEAM } }, recipient: { id: '28:bot' } }));
  const before = teams.calls.length;
  const ref = await host.app.handoff.desk.fileCallback({ channel: 'webchat', reason: 'asked for a person', context: {}, contact: 'x@example.com' });
  // The notice runs after the call returns: give it the time a post takes, then check nothing went out.
  await new Promise((r) => setTimeout(r, 500));
  expect(teams.calls.slice(before).some((c) => JSON.stringify(c.activity).includes(ref))).toBe(false);
});
