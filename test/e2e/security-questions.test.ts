/**
 * Password reset by security questions: three tries each, the 24-hour lock, decoys.
 * End to end: chat over HTTP like a channel → real Redis → real mail through the outbox to a real SMTP server
 * in this process → the reset page over HTTP → the stored password. A fresh practice (startPractice) per file.
 */
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';
import { SECURITY_QUESTION_POOL } from '../../services/directory';
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('security-questions');
  host = p.host;
}, 60000);

afterAll(() => p.stop());

describe('password reset by security questions', () => {
  const toQuestions = async (c: Conversation, username: string) => {
    await p.startFlow(c, 'reset my password');
    const ways = await c.say("I don't have an email");
    expect(buttonsOf(ways)).toContain('Answer my security questions');
    expect(textOf(await c.say('Answer my security questions'))).toMatch(/username/i);
    return textOf(await c.say(username));
  };

  it('asks both questions one at a time and shows a one-time link in chat', async () => {
    const c = new Conversation(host);
    expect(await toQuestions(c, 'arahman90')).toMatch(/Question 1 of 2: What was the name of your elementary school\?/);
    expect(textOf(await c.say('wrong school'))).toMatch(/2 tries left/);
    expect(textOf(await c.say('  LINCOLN   elementary '))).toMatch(/Question 2 of 2/);
    const reply = textOf(await c.say('things fall apart'));
    expect(reply).toMatch(/10 minutes/);
    const { token } = p.linkIn(reply);
    expect((await p.submitReset(token, 'Velvet$Harbor204')).status).toBe(200);
    expect(await host.app.services.directory.verifyPassword('arahman90', 'Velvet$Harbor204')).toBe(true);
  });

  it('locks the questions path for the account after three wrong answers, and offers the other ways', async () => {
    const c = new Conversation(host);
    await toQuestions(c, 'JamesOC65');
    await c.say('nope');
    await c.say('still wrong');
    const locked = await c.say('wrong again');
    expect(textOf(locked)).toMatch(/paused for this account for 24 hours/);
    expect(buttonsOf(locked)).toEqual(['I have a reset token', 'Ask the practice for a reset token', 'Talk to a person']);
    const again = new Conversation(host);
    expect(await toQuestions(again, 'jamesoc65')).toMatch(/paused for this account/);
    // Only this path: the account itself still works.
    expect(await host.app.services.directory.verifyPassword('JamesOC65', 'Copper&Kettle19')).toBe(true);
  });

  it('keeps the lock for every conversation: a right answer after the lock gets no link', async () => {
    const a = new Conversation(host);
    const b = new Conversation(host);
    expect(await toQuestions(a, 'salvarez85')).toMatch(/Question 1 of 2/);
    expect(await toQuestions(b, 'salvarez85')).toMatch(/Question 1 of 2/);
    await a.say('wrong');
    await a.say('wrong');
    expect(textOf(await a.say('wrong'))).toMatch(/paused/);
    const late = textOf(await b.say('Mrs. Delgado'));
    expect(late).toMatch(/paused for this account/);
    expect(late).not.toMatch(/reset\?token=/);
  });

  it('asks stable decoy questions from the same pool as real accounts for a username that does not exist', async () => {
    const first = await toQuestions(new Conversation(host), 'ghost-user-77');
    const second = await toQuestions(new Conversation(host), 'Ghost-User-77');
    expect(second).toBe(first);
    const question = /Question 1 of 2: (.+\?)/.exec(first)?.[1] ?? '';
    expect(SECURITY_QUESTION_POOL).toContain(question);
    // Accounts cannot have questions outside the pool, so an unusual question never gives one away.
    await expect(
      host.app.services.directory.importPatients({
        patients: [{ id: 'X-1', firstName: 'A', lastName: 'B', dateOfBirth: '1990-01-01', account: { username: 'oddquestion1', password: 'Plenty#Strong77', securityQuestions: [{ question: 'What is the airspeed of a swallow?', answer: 'unladen' }, { question: SECURITY_QUESTION_POOL[0], answer: 'Rex' }] } }],
      }),
    ).rejects.toThrow(/securityQuestions\[0\]\.question: must be one of the questions/);
  });
});
