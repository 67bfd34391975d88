import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KnowledgeBaseError, loadKnowledgeBase, parseKnowledgeBase, REQUIRED_IDS } from '../../knowledge/schema';
import { LOAD_OPTIONS, rawKb, realKb } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;

/** Writes `data` to a temporary file and loads it, so errors come through the real file path. */
function loadFrom(data: unknown): () => unknown {
  files += 1;
  const file = path.join(tmp, String(files), 'faq.json');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return () => loadKnowledgeBase(file, LOAD_OPTIONS);
}

function entry(kb: ReturnType<typeof rawKb>, id: string): Record<string, unknown> {
  const found = kb.entries.find((e) => e.id === id);
  if (!found) throw new Error(`no entry ${id}`);
  return found;
}

describe('the shipped knowledge base', () => {
  const kb = realKb();

  it('loads and has every required id exactly once', () => {
    const ids = kb.entries.map((e) => e.id);
    for (const id of REQUIRED_IDS) expect(ids.filter((x) => x === id)).toHaveLength(1);
    expect(kb.byId.get('reset-password')?.title).toBe('Reset my password');
  });

  it('fills placeholders from the practice settings and leaves none behind', () => {
    for (const e of kb.entries) {
      expect(e.answer).not.toMatch(/\{[a-zA-Z]+\}/);
      expect(e.actionPrompt ?? '').not.toMatch(/\{[a-zA-Z]+\}/);
    }
    expect(kb.byId.get('enroll-token-not-working')?.answer).toContain('(555) 010-0100');
    expect(kb.byId.get('account-blocked')?.answer).toContain('Riverside Family Practice');
  });

  it('keeps titles short and answers within the size the channels can show', () => {
    for (const e of kb.entries) {
      expect(e.title.length).toBeLessThanOrEqual(40);
      expect(e.answer.length).toBeLessThanOrEqual(900);
      expect(e.questions.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('offers the agreed self-service actions', () => {
    const action = (id: string) => kb.byId.get(id)?.action;
    expect(action('recover-username')).toBe('recover-username');
    expect(action('recover-username-without-email')).toBe('recover-username');
    expect(action('reset-password')).toBe('reset-password');
    expect(action('reset-password-without-email')).toBe('reset-password');
    expect(action('enroll-token-not-working')).toBe('renew-token');
    expect(action('account-blocked')).toBe('reactivate');
    expect(action('handoff')).toBe('handoff');
    expect(kb.byId.get('recover-username')?.actionPrompt).toMatch(/^Would you like me to/);
  });

  it('answers an emergency with 911, the emergency room and 988', () => {
    const answer = kb.byId.get('emergency')?.answer ?? '';
    expect(answer).toContain('911');
    expect(answer).toMatch(/emergency room/i);
    expect(answer).toContain('988');
    expect(kb.emergencyPatterns.length).toBeGreaterThan(10);
  });
});

describe('a bad knowledge-base file', () => {
  it('names the entry (id and position) and the field', () => {
    const kb = rawKb();
    entry(kb, 'reset-password').questions = ['only one'];
    expect(loadFrom(kb)).toThrow(/faq\.json: entry "reset-password" \(#9\): questions: must have at least 2 items/);
  });

  it('rejects a missing required id', () => {
    const kb = rawKb();
    kb.entries = kb.entries.filter((e) => e.id !== 'change-username');
    expect(loadFrom(kb)).toThrow(/missing required id\(s\) "change-username"/);
  });

  it('rejects a duplicate id, naming both positions', () => {
    const kb = rawKb();
    kb.entries.push({ ...entry(kb, 'enroll') });
    expect(loadFrom(kb)).toThrow(new RegExp(`entry "enroll" \\(#${kb.entries.length}\\): id: duplicates entry #1`));
  });

  it('rejects a bad field value', () => {
    const kb = rawKb();
    entry(kb, 'mobile-access').kind = 'question';
    expect(loadFrom(kb)).toThrow(/entry "mobile-access" \(#3\): kind: must be "faq" or "intent"/);
    const kb2 = rawKb();
    entry(kb2, 'enroll').title = 'A title that is much too long to fit on a button';
    expect(loadFrom(kb2)).toThrow(/entry "enroll" \(#1\): title: must be at most 40 characters/);
    const kb3 = rawKb();
    entry(kb3, 'handoff').action = 'call-911';
    expect(loadFrom(kb3)).toThrow(/entry "handoff" \(#\d+\): action: "call-911" is not a flow the bot can perform/);
  });

  it('rejects an unknown field (a typo would silently be ignored otherwise)', () => {
    const kb = rawKb();
    entry(kb, 'enroll').keywrods = ['x'];
    expect(loadFrom(kb)).toThrow(/entry "enroll" \(#1\): keywrods: unknown field/);
  });

  it('names an entry without a usable id by position', () => {
    const kb = rawKb();
    delete kb.entries[2].id;
    expect(loadFrom(kb)).toThrow(/faq\.json: entry #3: id:/);
  });

  it('rejects an unknown placeholder', () => {
    const kb = rawKb();
    entry(kb, 'email-optional').answer = 'Call {{practicePhnoe}} for help.';
    expect(loadFrom(kb)).toThrow(/entry "email-optional" \(#5\): answer: text uses unknown placeholder\(s\) \{\{practicePhnoe\}\}/);
    entry(kb, 'email-optional').answer = 'Call {practicePhone} for help.';
    expect(loadFrom(kb)).toThrow(/entry "email-optional" \(#5\): answer: text has a malformed placeholder/);
  });

  it('rejects an action that no flow performs', () => {
    const kb = rawKb();
    entry(kb, 'reset-password').action = 'reset-pasword';
    expect(() => parseKnowledgeBase(kb, LOAD_OPTIONS, 'kb')).toThrow(/entry "reset-password" \(#\d+\): action: "reset-pasword" is not a flow the bot can perform/);
  });

  it('rejects a follow-up that points at no entry', () => {
    const kb = rawKb();
    entry(kb, 'recover-username').followUps = ['reset-password', 'reset-pasword'];
    expect(loadFrom(kb)).toThrow(/entry "recover-username" \(#6\): followUps\.1: no entry has id "reset-pasword"/);
  });

  it('rejects invalid JSON and a missing file with the file name', () => {
    expect(loadFrom('{ "version": 1, ')).toThrow(/faq\.json: not valid JSON/);
    expect(() => loadKnowledgeBase('/nonexistent/faq.json', LOAD_OPTIONS)).toThrow(/cannot read the file \(ENOENT\)/);
  });

  it('throws KnowledgeBaseError for data passed directly', () => {
    expect(() => parseKnowledgeBase({ version: 2 }, LOAD_OPTIONS, 'inline')).toThrow(KnowledgeBaseError);
    expect(() => parseKnowledgeBase({ version: 2 }, LOAD_OPTIONS, 'inline')).toThrow(/^inline: version: must be 1/);
  });
});
