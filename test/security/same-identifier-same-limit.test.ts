/**
 * Issue 8, "same identifier, same limit", through the real host (chat over HTTP → real Redis): every spelling
 * the directory treats as one username (case, full-width letters, spaces at the ends) shares one
 * practice-token limit and gets the same decoy questions; and staff can see who locked an account's
 * security-questions path (`security:status`) and lift it.
 */
import { sha256 } from '../../services/crypto';
import { buttonsOf, Conversation, textOf, type TestHost } from '../helpers/host';
import { startPractice, type Practice } from '../helpers/e2e';

const ACCOUNT_PER_HOUR = 4;
let p: Practice;
let host: TestHost;

beforeAll(async () => {
  p = await startPractice('sec-same-limit', { RATE_LIMIT_ACCOUNT_PER_HOUR: String(ACCOUNT_PER_HOUR) });
  host = p.host;
}, 60000);

afterAll(() => p.stop());

/** Full-width form of ASCII letters and digits ("bob52" → "ｂｏｂ５２"). */
const fullWidth = (s: string) => s.replace(/[!-~]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));

async function tryToken(username: string, token: string): Promise<string> {
  const c = new Conversation(host); // a new conversation each time: only the per-account limit applies
  await c.say('I have my password reset token');
  await c.say(username);
  return textOf(await c.say(token));
}

it('after the per-account limit of wrong tokens with one spelling, the right token with another spelling is refused', async () => {
  // Control: a full-width, upper-case spelling is accepted for an account that is not limited.
  const other = await host.app.services.tokens.issuePracticeResetToken('salvarez85');
  expect(await tryToken(fullWidth('SALVAREZ85'), other)).toMatch(/reset\?token=/);

  const right = await host.app.services.tokens.issuePracticeResetToken('bobchen52');
  for (let i = 0; i < ACCOUNT_PER_HOUR; i += 1) expect(await tryToken('bobchen52', `ABCDEFGH${i + 2}Z`)).toMatch(/don't match a valid reset token/);
  for (const spelling of [fullWidth('BOBCHEN52'), 'BobChen52', `  ${fullWidth('bobchen52')} `]) {
    const reply = await tryToken(spelling, right);
    expect(reply).toMatch(/don't match a valid reset token/);
    expect(reply).not.toMatch(/reset\?token=/);
  }
  const limited = (await host.app.services.audit.tail(100)).filter((e) => e.type === 'rate-limited' && e.accountRef === host.app.services.audit.accountRef('bobchen52'));
  expect(limited.map((e) => e.detail?.limit)).toEqual(['perAccount', 'perAccount', 'perAccount']);
}, 60000);

const toQuestions = async (c: Conversation, username: string) => {
  await p.startFlow(c, 'reset my password');
  const ways = await c.say("I don't have an email");
  expect(buttonsOf(ways)).toContain('Answer my security questions');
  await c.say('Answer my security questions');
  return textOf(await c.say(username));
};

it('decoy questions are the same for every spelling of an unknown username (and the real questions for a real one)', async () => {
  const usernames = ['ghost-patient-11', 'Nobody.Else.42', 'zz_unknown_user9', 'arahman90'];
  const spellings = (u: string) => [u, u.toUpperCase(), fullWidth(u), ` ${fullWidth(u.toUpperCase())} `];
  const questionsOf: string[] = [];
  for (const u of usernames) {
    const asked = new Set<string>();
    for (const spelling of spellings(u)) {
      const first = /Question 1 of 2: (.+\?)/.exec(await toQuestions(new Conversation(host), spelling))?.[1];
      expect(first).toBeDefined();
      asked.add(first!);
    }
    expect({ u, asked: [...asked] }).toEqual({ u, asked: [[...asked][0]] });
    questionsOf.push([...asked][0]!);
  }
  expect(questionsOf[3]).toBe('What was the name of your elementary school?');
}, 60000);

it('security:status shows a lock set by others — when, by which conversation and user — and security:unlock lifts it', async () => {
  const attacker = new Conversation(host);
  await toQuestions(attacker, fullWidth('JamesOC65'));
  await attacker.say('nope');
  await attacker.say('still wrong');
  expect(textOf(await attacker.say('wrong again'))).toMatch(/paused for this account/);

  const status = await p.admin(['security:status', 'jamesoc65', '--json']);
  expect(status.code).toBe(0);
  const report = JSON.parse(status.lines[0]!) as Record<string, unknown>;
  expect(report).toMatchObject({
    patientId: 'P-1002',
    locked: true,
    wrongAnswers: { question1: 0, question2: 0 },
    lockedByConversation: sha256(`webchat/${attacker.id}`).slice(0, 16),
    lockedByUser: sha256(`user:webchat/${attacker.userId}`).slice(0, 16),
  });
  const expires = Date.parse(String(report.lockExpiresAt));
  expect(expires - Date.now()).toBeGreaterThan(23 * 3600_000);
  const text = await p.admin(['security:status', 'JamesOC65']);
  expect(text.lines.join('\n')).toMatch(/^Locked: .*P-1002/);
  expect(text.lines.join('\n')).toContain(String(report.lockedByConversation));

  expect((await p.admin(['security:unlock', 'JamesOC65'])).code).toBe(0);
  const after = JSON.parse((await p.admin(['security:status', 'JamesOC65', '--json'])).lines[0]!) as Record<string, unknown>;
  expect(after).toMatchObject({ locked: false, lockExpiresAt: null });
  const viewed = (await host.app.services.audit.tail(50)).filter((e) => e.type === 'security-status-viewed');
  expect(viewed.map((e) => e.detail)).toEqual([
    { by: 'admin-cli', locked: true },
    { by: 'admin-cli', locked: true },
    { by: 'admin-cli', locked: false },
  ]);
  // The patient can answer again.
  expect(await toQuestions(new Conversation(host), 'JamesOC65')).toMatch(/Question 1 of 2/);
}, 60000);
