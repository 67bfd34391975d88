import { createMatcher, type Decision } from '../../knowledge/matcher';
import { parseKnowledgeBase } from '../../knowledge/schema';
import { LOAD_OPTIONS, rawKb, realKb, realMatcher } from './helpers';

const decide = (text: string): Decision => realMatcher().decide(text);
const answerId = (text: string): string | undefined => {
  const d = decide(text);
  return d.type === 'answer' ? d.id : undefined;
};

describe('confident answers', () => {
  it.each([
    ['forgot my pasword', 'reset-password'],
    ['I forgot my user name', 'recover-username'],
    ['forgot username and my email was never verified', 'recover-username-without-email'],
    ['how do i reset my password without an email', 'reset-password-without-email'],
    ['my enrollment token says invalid', 'enroll-token-not-working'],
    ['how do I sign up for the portal', 'enroll'],
    ['is there an app for my phone', 'mobile-access'],
    ['what are the password requirements', 'credential-policy'],
    ['do I need an email to enroll', 'email-optional'],
    ['how do I change my username', 'change-username'],
    ['my account has been deactivated', 'account-blocked'],
    ['let me talk to a real person', 'handoff'],
    ['good morning', 'greeting'],
    ['what can you do', 'help'],
    ['never mind', 'cancel'],
    ['what sort of things can you do', 'help'],
    ['i didnt get the reset link in my email', 'reset-password'],
    ['it says incorrect credentials', 'reset-password'],
    ['hello? anybody there', 'greeting'],
    ['i want to open account on the portal. sorry my english is not good', 'enroll'],
    ['sent my registration request last month and nothing happened', 'enroll'],
  ])('%s → %s', (text, id) => {
    const d = decide(text);
    expect(d).toMatchObject({ type: 'answer', id });
    if (d.type === 'answer') expect(d.confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('reads the cause behind a log-in problem and long absences as blocked accounts', () => {
    expect(answerId("I can't log in because my account is blocked")).toBe('account-blocked');
    expect(answerId('I havent been to the doctor in 3 years and now my portal account doesnt work')).toBe('account-blocked');
    expect(answerId('I was unenrolled, how do I get back on')).toBe('account-blocked');
  });

  it('tells a how-to question from a forgotten credential', () => {
    expect(answerId('i am trying to make an acount but dont know how')).toBe('enroll');
    expect(answerId('could you tell me how to enroll in the portal')).toBe('enroll');
    expect(answerId('do you have to have email to sign up for this')).toBe('email-optional');
  });

  it('treats a login problem as a login problem even when it mentions an out-of-scope topic', () => {
    expect(answerId("I can't log in to see my test results")).toBe('reset-password');
  });

  it('tells apart questions about different objects and circumstances', () => {
    expect(answerId('I know my password but not my username')).toBe('recover-username');
    expect(answerId('I have my username but forgot my password')).toBe('reset-password');
    expect(answerId('how do I enroll with my token')).toBe('enroll');
    expect(answerId('the token from the office expired')).toBe('enroll-token-not-working');
  });
});

describe('clarify', () => {
  it('still answers a portal question that mentions another service', () => {
    expect(answerId("I forgot my email password so I can't reset my portal password")).toBe('reset-password-without-email');
  });

  it('asks "did you mean" when two entries fit equally well', () => {
    const d = decide("can't remember my username, also is it case sensitive");
    expect(d.type).toBe('clarify');
    expect(d.candidates.map((c) => c.id)).toEqual(expect.arrayContaining(['credential-policy', 'recover-username']));
  });

  it('asks rather than answers when the answer threshold is not met', () => {
    const strict = createMatcher(realKb(), { answerThreshold: 0.999, clarifyThreshold: 0.3 });
    expect(strict.decide('my password is not working').type).toBe('clarify');
  });
});

describe('none', () => {
  it.each([
    'I need a prescription refill',
    'schedule an appointment',
    'how do I pay my bill',
    'when will my lab results be ready',
    'what are your office hours',
    'does my insurance cover this',
    'I have a rash on my arm',
    'cancel my appointment',
    'change my pharmacy',
    'tell me a joke',
    'how do i reset my gmail password',
    'my facebook account is locked',
    'i forgot my wifi password',
    'my bank app says my account is blocked',
    'the pharmacy app wont let me log in',
    'my phone is locked',
    'is the office blocked off for the holiday',
    "what's the capital of france",
    'can i see my husbands account',
    'my EOB is wrong',
    'my explanation of benefits doesnt look right',
    'asdfghjkl',
    '',
  ])('%j → none', (text) => {
    expect(decide(text).type).toBe('none');
  });
});

describe('emergencies', () => {
  it.each([
    'I have chest pain',
    "I can't breathe",
    'i want to kill myself',
    'my dad is unconscious',
    'I think I am having a stroke',
    'took too many pills',
    'the bleeding wont stop',
    'my husband is having a stroke',
    'my son swallowed a bunch of pills',
    'my mother is not responding to me',
    'my son fell and hit his head',
  ])('%j → emergency', (text) => {
    expect(decide(text)).toEqual({ type: 'emergency', id: 'emergency', candidates: [{ id: 'emergency', title: 'Emergency', confidence: 1 }] });
  });

  it('does not fire on history or everyday medicine talk', () => {
    expect(decide('I had a stroke two years ago and now I forgot my portal password').type).not.toBe('emergency');
    expect(decide("I can't swallow pills, is there a liquid version").type).not.toBe('emergency');
    expect(decide('the website is not responding').type).not.toBe('emergency');
  });

  it('is checked before anything else', () => {
    expect(decide('I forgot my password and I have crushing chest pain').type).toBe('emergency');
  });
});

describe('decisions', () => {
  it('carry at most three candidates with titles and confidences in 0..1, best first', () => {
    for (const text of ['forgot password', 'my portal account', 'token', 'I need a refill']) {
      const { candidates } = decide(text);
      expect(candidates.length).toBeLessThanOrEqual(3);
      for (const c of candidates) {
        expect(c.title).toBe(realKb().byId.get(c.id)?.title);
        expect(c.confidence).toBeGreaterThanOrEqual(0);
        expect(c.confidence).toBeLessThanOrEqual(1);
      }
      const confidences = candidates.map((c) => c.confidence);
      expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
    }
  });

  it('never write the message anywhere', () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m).mockImplementation(() => undefined));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      decide('my name is Jane Doe, born 01/02/1980, and I forgot my password');
      realMatcher().explain('my name is Jane Doe');
      for (const s of [...spies, out, err]) expect(s).not.toHaveBeenCalled();
    } finally {
      for (const s of [...spies, out, err]) s.mockRestore();
    }
  });
});

describe('explain', () => {
  it('shows the concept tokens, out-of-scope topics and the best KB question per entry', () => {
    const e = realMatcher().explain('can I pay my bill in the portal');
    expect(e.outOfScopeTopics).toContain('billing');
    expect(e.anchored).toBe(false);
    const forgot = realMatcher().explain('forgot pw');
    expect(forgot.tokens).toEqual(['forgot', 'password']);
    expect(forgot.scores[0]).toMatchObject({ id: 'reset-password' });
    expect(forgot.scores[0].bestQuestion).not.toBe('');
  });
});

describe('createMatcher', () => {
  it('refuses an out-of-scope term that would swallow in-scope questions', () => {
    const data = rawKb();
    data.outOfScope.push({ topic: 'oops', terms: ['password'] });
    const kb = parseKnowledgeBase(data, LOAD_OPTIONS, 'test');
    expect(() => createMatcher(kb)).toThrow(/outOfScope "oops": term "password" normalises to in-scope words/);
  });
});
