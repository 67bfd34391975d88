/**
 * Portal questions the KB knows it does not answer (faq.json `uncoveredPortal`), the "when will I hear back"
 * entry and "the email never came" at the top level: decided by the real matcher over the shipped KB.
 */
import { parseKnowledgeBase } from '../../knowledge/schema';
import { realKb, realMatcher } from './helpers';

const decide = (text: string) => realMatcher().decide(text);

describe('uncovered portal questions', () => {
  it.each([
    ['how can I get access to my mother\'s record', 'proxy-access'],
    ['can I see my dad\'s chart as his caregiver', 'proxy-access'],
    ['how do I verify my email address', 'verify-email'],
    ['the site won\'t load', 'site-down'],
    ['the portal is down', 'site-down'],
    ['where are my lab results on the portal', 'lab-results'],
    ['can I schedule an appointment through the portal', 'appointments'],
    ['how do I message my doctor in the portal', 'message-doctor'],
  ])('%j → none, uncovered %s', (text, topic) => {
    expect(decide(text)).toMatchObject({ type: 'none', uncovered: topic });
  });

  it('a login problem that mentions an uncovered topic is still the login problem', () => {
    expect(decide('I forgot my password and need to see my lab results')).toMatchObject({ type: 'answer', id: 'reset-password' });
    expect(decide('my mother forgot her password, she has no email, she knows her username')).toMatchObject({ type: 'answer', id: 'reset-password-without-email' });
    expect(decide('do i need to verify my email address')).toMatchObject({ type: 'answer', id: 'email-optional' });
  });

  it('the section is validated: topics are id-like and need patterns', () => {
    const data = JSON.parse(JSON.stringify({ version: 1, entries: realKb().entries, emergencyPatterns: ['x y'], outOfScope: [] }));
    expect(() => parseKnowledgeBase({ ...data, uncoveredPortal: [{ topic: 'Bad Topic', patterns: ['proxy'] }] })).toThrow(/uncoveredPortal\.0\.topic/);
    expect(() => parseKnowledgeBase({ ...data, uncoveredPortal: [{ topic: 'proxy', patterns: [] }] })).toThrow(/uncoveredPortal\.0\.patterns/);
    expect(parseKnowledgeBase(data).uncoveredPortal).toEqual([]);
  });
});

describe('response time and missing emails', () => {
  it.each(['how long will that take?', 'when will I hear back', 'how long does it take'])('%j → request-response-time', (text) => {
    expect(decide(text)).toMatchObject({ type: 'answer', id: 'request-response-time' });
  });

  it('the response-time answer is filled from the practice settings', () => {
    expect(realKb().byId.get('request-response-time')?.answer).toContain('usually within one business day');
  });

  it.each(['the email never came', 'i didnt get the email', 'nothing in my inbox or spam', 'still no email, been waiting 20 minutes'])('%j → email-not-received', (text) => {
    expect(decide(text)).toMatchObject({ type: 'answer', id: 'email-not-received' });
  });

  it('a missing reset email stays with the password entry in the matcher (the dialog answers with email-not-received)', () => {
    expect(decide('I never got the reset email')).toMatchObject({ type: 'answer', id: 'reset-password' });
  });
});
