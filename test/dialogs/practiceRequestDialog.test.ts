/**
 * PracticeRequestDialog on its own (DialogTestClient), over the real practice-request use case: real Redis
 * (the request queue), the practice told by email through a real SMTP server (reference only). The start
 * option `kind` says what is asked for: token-renewal, reactivation or reset-token.
 */
import { PracticeRequestDialog } from '../../dialogs/practiceRequestDialog';
import { RETRY } from '../../dialogs/prompts';
import { demoPatient } from '../helpers/recovery';
import { startDialogServices, textOf, type DialogFixture } from '../helpers/dialogs';
import { waitForMail } from '../helpers/wait';

const NOTIFY = 'frontdesk@dialogs.test';
const robert = demoPatient('P-1004');

const ASK_FIRST = 'The practice needs a few details to find your record. What is your first name?';
const INTRO = {
  'token-renewal': 'I can ask the practice to send you a new enrollment token.',
  reactivation: 'I can ask the practice to reactivate your portal account.',
  'reset-token': 'I can ask the practice for a password reset token.',
} as const;
const FILED = {
  'token-renewal': 'The practice will send you a new enrollment token. Once it is issued, your old token stops working automatically.',
  reactivation: 'The practice will review your account and let you know once it is active again.',
  'reset-token': 'The practice will contact you with a password reset token. When you have it, tell me "I have my password reset token".',
} as const;
const ASK_LAST = 'And your last name?';
const ASK_DOB = 'What is your date of birth? Please type it as mm/dd/yyyy.';
const ASK_CONTACT = 'Last one: an email address or phone number where the practice can reach you about this request.';
const RETRY_CONTACT = 'Please type an email address (name@example.com) or a phone number.';
const REFERENCE = /Your reference number is (R-[23456789A-HJKMNP-TV-Z]{6})\./;

let f: DialogFixture;

beforeAll(async () => {
  f = await startDialogServices('dlg-request', { PRACTICE_NOTIFY_EMAIL: NOTIFY });
}, 60_000);

afterAll(async () => {
  await f?.stop();
});

type Kind = keyof typeof INTRO;
const dialog = () => new PracticeRequestDialog(f.deps);

function filedText(kind: Kind, requestId: string): string {
  return `Thank you. I've sent your request to the practice. Your reference number is ${requestId}. ${FILED[kind]} The practice answers requests usually within one business day. You can ask me "status of ${requestId}" at any time.`;
}

describe('PracticeRequestDialog', () => {
  it.each(['token-renewal', 'reactivation', 'reset-token'] as const)(
    '{ kind: %j }: first name, last name, date of birth, contact → filed with a reference, practice told; ends with {}',
    async (kind) => {
      const since = await f.services.mailMark();
      const c = f.client(dialog(), { kind });
      expect(await c.ask('my token does not work')).toMatchObject({ text: `${INTRO[kind]} ${ASK_FIRST}`, buttons: [] });
      expect(await c.ask(robert.firstName)).toMatchObject({ text: ASK_LAST, buttons: [] });
      expect(await c.ask(`it's ${robert.lastName}`)).toMatchObject({ text: ASK_DOB, buttons: [] });
      expect(await c.ask('02/19/1952')).toMatchObject({ text: ASK_CONTACT, buttons: [] });
      const done = await c.ask(robert.notificationEmail!);
      const requestId = REFERENCE.exec(done.text)?.[1];
      if (!requestId) throw new Error(`no reference in ${JSON.stringify(done.text)}`);
      expect(done).toMatchObject({ text: filedText(kind, requestId), buttons: [] });
      expect(c.result).toEqual({});

      expect(await f.services.services.requests.get(requestId)).toMatchObject({
        requestId,
        kind,
        status: 'open',
        firstName: robert.firstName,
        lastName: robert.lastName,
        dateOfBirth: robert.dateOfBirth,
        contact: { email: robert.notificationEmail },
        conversationRef: c.conversationRef,
      });
      const [mail] = await waitForMail(f.services.smtp, f.services.mailTo(NOTIFY, since));
      expect(mail!.subject).toBe(`New patient portal request ${requestId} (${kind})`);
      expect(mail!.text).not.toContain(robert.lastName);
    },
  );

  it('"Robert Chen" at the first-name question notes both names and goes on to the date of birth', async () => {
    const c = f.client(dialog(), { kind: 'reactivation' });
    await c.ask('start');
    const replies = await c.send('Robert Chen');
    expect(replies.map((r) => r.text)).toEqual(["Thanks, I've noted your first and last name.", ASK_DOB]);
    // Another year than the requests above: the same person's same open request would get its reference back.
    await c.ask('February 19, 1953');
    const done = await c.ask('you can call me at 555 867 5309');
    const requestId = REFERENCE.exec(done.text)![1]!;
    expect(await f.services.services.requests.get(requestId)).toMatchObject({
      firstName: 'Robert',
      lastName: 'Chen',
      dateOfBirth: '1953-02-19',
      contact: { phone: '555 867 5309' },
    });
  });

  it('someone who is no patient at all gets the same reply: the request is filed for staff to match', async () => {
    const c = f.client(dialog(), { kind: 'token-renewal' });
    await c.ask('start');
    await c.ask('Nobody');
    await c.ask('Atall');
    await c.ask('01/01/1990');
    const done = await c.ask('nobody@example.com');
    const requestId = REFERENCE.exec(done.text)?.[1];
    expect(done.text).toBe(filedText('token-renewal', requestId!));
    expect(c.result).toEqual({});
  });

  it('names, dates and contacts it cannot use are asked again', async () => {
    const c = f.client(dialog(), { kind: 'token-renewal' });
    await c.ask('start');
    expect(await c.ask('12345')).toMatchObject({ text: 'Please type just your first name, using letters.' });
    await c.ask('Robert');
    expect(await c.ask('!!!')).toMatchObject({ text: 'Please type just your last name, using letters.' });
    await c.ask('Chen');
    expect(await c.ask('a long time ago')).toMatchObject({ text: RETRY.dob });
    expect(await c.ask('2/19/52')).toMatchObject({ text: RETRY.fourDigitYear });
    await c.ask('2/19/1952');
    expect(await c.ask('by pigeon')).toMatchObject({ text: RETRY_CONTACT });
    expect(c.waiting).toBe(true);
    expect(textOf(await c.send('robert.chen@example.org'))).toMatch(REFERENCE);
  });

  it('three unreadable answers end with contact-practice', async () => {
    const c = f.client(dialog(), { kind: 'token-renewal' });
    await c.ask('start');
    await c.ask('Robert');
    await c.ask('Chen');
    await c.ask('02/19/1952');
    await c.ask('by pigeon');
    await c.ask('smoke signals');
    expect(await c.send('carrier owl')).toEqual([]);
    expect(c.result).toEqual({ next: 'contact-practice', nextOptions: { reason: "I couldn't read that." } });
  });

  it('"talk to a person" at the first-name question is a question, not a name: reroute', async () => {
    const c = f.client(dialog(), { kind: 'token-renewal' });
    await c.ask('start');
    expect(await c.send('talk to a person')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
  });

  it('a new question at the date-of-birth question ends with reroute, nothing filed', async () => {
    const before = (await f.services.services.requests.list()).length;
    const c = f.client(dialog(), { kind: 'reset-token' });
    await c.ask('start');
    await c.ask('Robert');
    await c.ask('Chen');
    expect(await c.send('how do I enroll in the portal')).toEqual([]);
    expect(c.result).toEqual({ reroute: true });
    expect((await f.services.services.requests.list()).length).toBe(before);
  });

  it('names and the date of birth are kept sealed in dialog state, never in clear', async () => {
    const c = f.client(dialog(), { kind: 'token-renewal' });
    await c.ask('start');
    await c.ask('Roberto');
    await c.ask('Chenowith');
    await c.ask('02/19/1952');
    const state = await c.savedState();
    expect(state).toContain('practiceRequestDialog.steps');
    for (const secret of ['Roberto', 'Chenowith', '1952']) expect(state).not.toContain(secret);
  });
});
