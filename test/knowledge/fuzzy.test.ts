/**
 * knowledge/fuzzy.ts computes fuse.js token search by hand (only for the entries the matcher asks about, KB
 * words' bitap results kept): it must give what `Fuse#search` gives, or a fuse.js upgrade changed its scoring.
 */
import fs from 'node:fs';
import path from 'node:path';
import Fuse from 'fuse.js';
import { parseEvalFile } from '../../knowledge/eval';
import { createEntryFuzzy, FUSE_OPTIONS, MAX_FUSE_TOKEN_LENGTH } from '../../knowledge/fuzzy';
import { loadDefaultKnowledgeBase } from '../../knowledge/load';
import { createNormaliser } from '../../knowledge/normalise';

const kb = loadDefaultKnowledgeBase();
const normaliser = createNormaliser(kb.entries.flatMap((e) => e.questions.join(' ').toLowerCase().split(/\W+/)));
const vocabularies = kb.entries.map((e) => [...new Set([...e.questions, ...e.keywords].flatMap((q) => normaliser.normalise(q)))].join(' '));
vocabularies.push(''); // an entry with no vocabulary: fuse leaves it out of its document count
const evalFile = path.join(__dirname, '..', '..', 'knowledge', 'eval', 'portal-eval.jsonl');
const messages = parseEvalFile(fs.readFileSync(evalFile, 'utf8'), evalFile)
  .map((c) => c.text)
  .filter((_, i) => i % 3 === 0);

/** What the matcher did before knowledge/fuzzy.ts: fuse.js itself over every entry. */
function fuseItself(tokens: readonly string[]): Float64Array {
  const fuse = new Fuse(
    vocabularies.map((vocabulary, entry) => ({ vocabulary, entry })),
    { keys: ['vocabulary'], useTokenSearch: true, includeScore: true, ignoreFieldNorm: true, ...FUSE_OPTIONS },
  );
  const out = new Float64Array(vocabularies.length);
  const query = tokens.filter((t) => t.length <= MAX_FUSE_TOKEN_LENGTH);
  if (query.length === 0) return out;
  for (const r of fuse.search(query.join(' '))) out[r.item.entry] = Math.max(out[r.item.entry], 1 - (r.score ?? 1));
  return out;
}

describe('createEntryFuzzy', () => {
  it('scores every entry as fuse.js token search does, for real messages, typos and words the KB does not have', () => {
    const fuzzy = createEntryFuzzy(vocabularies);
    const queries = [...messages.map((m) => normaliser.normalise(m)), ['pasword', 'kemper'], ['passwrod', 'usrname', 'tokne', 'emial', 'xpassword', 'passwordx', 'regsiter'], ['zzzz'], ['x'.repeat(40), 'usernam'], []];
    expect(queries.length).toBeGreaterThan(250);
    let matchedSome = 0;
    for (const tokens of queries) {
      const expected = fuseItself(tokens);
      // Twice: the second time KB words come from what the first call kept.
      for (const got of [fuzzy.scores(tokens), fuzzy.scores(tokens)]) {
        expect([...got].map((x) => x.toFixed(12))).toEqual([...expected].map((x) => x.toFixed(12)));
      }
      if (expected.some((x) => x > 0)) matchedSome += 1;
    }
    expect(matchedSome).toBeGreaterThan(200);
  });

  it('scores only the entries asked for, the same as when all are scored', () => {
    const fuzzy = createEntryFuzzy(vocabularies);
    const tokens = normaliser.normalise('I forgot my pasword and my usernme');
    const all = fuzzy.scores(tokens);
    const some = fuzzy.scores(tokens, [0, 3, 5]);
    for (let i = 0; i < vocabularies.length; i += 1) expect(some[i]).toBe([0, 3, 5].includes(i) ? all[i] : 0);
    expect(all.filter((x) => x > 0).length).toBeGreaterThan(3);
  });
});
