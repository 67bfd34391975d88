/**
 * ContactPracticeDialog on its own (DialogTestClient): the reason, if any, and how to reach the practice,
 * saying whether it is open right now. It needs only the practice's details (from loadConfig), no Redis.
 */
import { ContactPracticeDialog } from '../../dialogs/contactPracticeDialog';
import { HANDOFF_DIALOG } from '../../dialogs/handoffDialog';
import { FLOWS } from '../../dialogs/registry';
import { loadConfig } from '../../services/config';
import { DialogDriver } from '../helpers/dialogs';

const practice = (hours: string) =>
  loadConfig({ NODE_ENV: 'test', PRACTICE_NAME: 'Lakeside Clinic', PRACTICE_PHONE: '(555) 222-3333', PRACTICE_HOURS: hours, PRACTICE_TIMEZONE: 'America/Chicago' }).practice;

const OPEN_NOW = "A person on the Lakeside Clinic team can help you. They're open now: please call (555) 222-3333 (hours: Mon-Sun 00:00-23:59).";

describe('ContactPracticeDialog', () => {
  it('gives the contact details at once and ends with {}', async () => {
    const c = new DialogDriver(new ContactPracticeDialog(practice('Mon-Sun 00:00-23:59')));
    expect(await c.ask('talk to a person')).toEqual(expect.objectContaining({ text: OPEN_NOW, buttons: [] }));
    expect(c.result).toEqual({});
  });

  it('says the reason first when it is given one (options.reason)', async () => {
    const reason = 'Without an email address on file, the practice needs to help you recover your username.';
    const c = new DialogDriver(new ContactPracticeDialog(practice('Mon-Sun 00:00-23:59')), { reason });
    expect(await c.ask("I don't have any email")).toMatchObject({ text: `${reason} ${OPEN_NOW}` });
    expect(c.result).toEqual({});
  });

  it('says when the office is closed, with the hours to call in', async () => {
    // Open one minute a week, on a day that is not today (nor yesterday/tomorrow, whatever the time zone).
    const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][(new Date().getUTCDay() + 3) % 7]!;
    const hours = `${day} 12:00-12:01`;
    const c = new DialogDriver(new ContactPracticeDialog(practice(hours)));
    expect(await c.ask('talk to a person')).toMatchObject({
      text: `A person on the Lakeside Clinic team can help you. The office is closed right now; please call (555) 222-3333 during office hours (${hours}).`,
    });
    expect(c.result).toEqual({});
  });

  it('performs contact-practice in the registry; handoff has its own dialog (live handoff, test/handoff/)', () => {
    const id = new ContactPracticeDialog(practice('Mon-Sun 00:00-23:59')).id;
    expect(FLOWS['contact-practice'].dialogId).toBe(id);
    expect(FLOWS.handoff.dialogId).toBe(HANDOFF_DIALOG);
  });
});
