/**
 * Emergency detection: the labelled set (knowledge/eval/emergency-eval.jsonl) held at recall 100% and false
 * alarms <= 2%, the misses-on-purpose one by one, and the two pieces of the phrase engine emergencies rely on
 * (exceptions masked first, number wildcards).
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatSummary, parseEvalFile, scoreEval } from '../../knowledge/eval';
import { compilePhraseRules, containsPhrase, maskPhrases, MASKED } from '../../knowledge/normalise';
import { realMatcher } from './helpers';

const SET = path.join(__dirname, '..', '..', 'knowledge', 'eval', 'emergency-eval.jsonl');
const isEmergency = (text: string): boolean => realMatcher().decide(text).type === 'emergency';

describe('the labelled emergency set (knowledge/eval/emergency-eval.jsonl)', () => {
  const cases = parseEvalFile(fs.readFileSync(SET, 'utf8'), SET);

  it('has at least 200 lines: >= 90 emergencies in every category, >= 110 non-emergencies', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    const emergencies = cases.filter((c) => c.emergency === true);
    expect(emergencies.length).toBeGreaterThanOrEqual(90);
    expect(cases.filter((c) => c.emergency === false).length).toBeGreaterThanOrEqual(110);
    const categories = new Set(emergencies.map((c) => c.category));
    for (const category of ['suicide', 'cardiac', 'stroke', 'breathing', 'overdose', 'unresponsive', 'bleeding']) expect(categories).toContain(category);
  });

  it('catches every emergency (recall 100%) with at most 2% false alarms', () => {
    const report = scoreEval(cases, (t) => realMatcher().decide(t));
    const detail = `${formatSummary(report)}\n${report.emergencyMisses.map((c) => `  ${c.emergency ? 'missed' : 'false alarm'}: ${c.text}`).join('\n')}`;
    expect({ recall: report.emergency?.recall, falseAlarmsOk: (report.emergency?.falseAlarmRate ?? 1) <= 0.02, detail }).toEqual({ recall: 1, falseAlarmsOk: true, detail });
  });
});

describe('the emergency probes (knowledge/eval/emergency-dev-probes.jsonl, written for the blind set\'s failure categories)', () => {
  it('are all caught, with no false alarm', () => {
    const file = path.join(path.dirname(SET), 'emergency-dev-probes.jsonl');
    const report = scoreEval(parseEvalFile(fs.readFileSync(file, 'utf8'), file), (t) => realMatcher().decide(t));
    expect({ summary: formatSummary(report), misses: report.emergencyMisses.map((c) => c.text) }).toEqual({ summary: expect.stringContaining('emergency_recall=100.0%'), misses: [] });
  });
});

describe('named emergencies', () => {
  it.each([
    "I don't see a reason to go on",
    'everyone would be better off without me',
    "I'm a burden",
    'thinking about ending it',
    "I don't want to be here anymore",
    "pressure in my chest and I'm sweating",
    'tightness in chest, left arm numb',
    'cant breath',
    'chest hurtin bad',
    'my dad cnt talk rite',
    'her face is drooping',
    'my husband took a whole bottle of pills',
    'she is not breathing',
    'my throat is closing up',
    // A negation silences only its own words: every other warning sign still counts.
    "I'm not suicidal but I can't breathe",
    'no chest pain but my face is drooping',
    'she isnt bleeding but she isnt breathing',
  ])('%s', (text) => {
    expect(isEmergency(text)).toBe(true);
  });
});

describe('misses on purpose', () => {
  it.each([
    'my chest is fine',
    "I'm not suicidal, just locked out",
    'the page is dead',
    "killing me that I can't log in",
    'this portal is killing me',
    // Hyperbole: "I'd rather die than <chore>" is not flagged ("I want to die" is).
    "I'd rather die than call again",
    'dead link',
    'my account died',
    'heart of the problem',
    'stroke of luck',
    "I'm dying to know my username",
    'blood test results in the portal?',
    'pressure to finish enrollment',
    'breathing down my neck',
    'the app keeps crashing',
    'the app froze',
    'no pulse on this website lol',
    'no chest pain',
    "she isn't bleeding",
    "I can't talk right now, text me the link",
  ])('%s', (text) => {
    expect(isEmergency(text)).toBe(false);
  });

  it('still treats "I want to die" as an emergency', () => {
    expect(isEmergency('I want to die')).toBe(true);
  });
});

describe('phrase engine pieces used by the emergency patterns', () => {
  it('maskPhrases blanks out what an exception matches, gap words included', () => {
    const exceptions = compilePhraseRules([{ pattern: 'not ~ suicidal', emit: '' }]);
    expect(maskPhrases(['i', 'am', 'not', 'really', 'suicidal', 'but'], exceptions)).toEqual(['i', 'am', MASKED, MASKED, MASKED, 'but']);
  });

  it('a masked word counts as a content word inside a gap', () => {
    const rule = compilePhraseRules([{ pattern: 'chest ~ pain', emit: 'x' }]);
    expect(containsPhrase(['chest', MASKED, 'pain'], rule)).toBe(true);
    expect(containsPhrase(['chest', MASKED, 'really', 'pain'], rule)).toBe(true); // "really" is a free gap word
    expect(containsPhrase(['chest', MASKED, 'sharp', 'pain'], rule)).toBe(false);
  });

  it('# matches any bare number and #10 a number of at least 10', () => {
    const any = compilePhraseRules([{ pattern: 'in_#', emit: 'x' }]);
    expect(containsPhrase(['in', '2019'], any)).toBe(true);
    expect(containsPhrase(['in', 'may'], any)).toBe(false);
    const many = compilePhraseRules([{ pattern: 'took #10 pills', emit: 'x' }]);
    expect(containsPhrase(['took', '30', 'pill'], many)).toBe(true);
    expect(containsPhrase(['took', '2', 'pill'], many)).toBe(false);
    expect(containsPhrase(['took', 'pill'], many)).toBe(false);
    const first = compilePhraseRules([{ pattern: '#10 pills', emit: 'x' }]);
    expect(containsPhrase(['i', 'took', '40', 'pill'], first)).toBe(true);
  });
});

describe('emergencyAsTyped: the patterns on the words as typed, for one-word answers', () => {
  it('is false where only typo correction made the emergency ("Fant" → "faint"), true for emergency words as typed', () => {
    const m = realMatcher();
    for (const word of ['Fant', 'Faynt', 'Ovrdose']) {
      expect({ word, decided: m.decide(word).type }).toEqual({ word, decided: 'emergency' });
      expect({ word, asTyped: m.emergencyAsTyped(word) }).toEqual({ word, asTyped: false });
    }
    for (const text of ['overdose', 'Suicide', 'I am bleeding a lot', 'chest pain']) expect({ text, asTyped: m.emergencyAsTyped(text) }).toEqual({ text, asTyped: true });
    // The exceptions hold as typed too.
    expect(m.emergencyAsTyped('keystroke')).toBe(false);
  });
});
