/**
 * Regenerates knowledge/near-words.json: dictionary words that are within typo distance of a KB word.
 *
 * Typo correction maps unknown words to KB words ("pasword" → "password"); a *real* word that happens to be close
 * to a KB word ("look" ~ "lock", "walk" ~ "wall", "taken" ~ "token") must be left alone. This list is how the
 * normaliser knows those words without shipping a whole dictionary. Needs a word list (Debian: `wamerican`):
 *
 *   npx tsx knowledge/tools/near-words.ts [/usr/share/dict/words]
 */
import fs from 'node:fs';
import path from 'node:path';
import { editDistance, expandShorthand, ruleWords, SHORTHAND, stem, tokenize } from '../normalise';

const dictionary = process.argv[2] ?? '/usr/share/dict/words';
const kb = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'faq.json'), 'utf8')) as {
  entries: { questions: string[]; keywords: string[]; title: string }[];
  outOfScope: { terms: string[] }[];
  emergencyPatterns: string[];
};
const kbTexts = [
  ...kb.entries.flatMap((e) => [...e.questions, ...e.keywords, e.title]),
  ...kb.outOfScope.flatMap((t) => t.terms),
  ...kb.emergencyPatterns.flatMap((p) => p.split(/[\s|_~]+/)),
];
const targets = new Set([...kbTexts.flatMap((t) => expandShorthand(tokenize(t))), ...ruleWords(), ...Object.values(SHORTHAND).flatMap((v) => v.split(' '))]);
const targetStems = new Set([...targets].map(stem));
const byInitial = new Map<string, string[]>();
for (const t of targets) if (t.length >= 3) byInitial.set(t[0], [...(byInitial.get(t[0]) ?? []), t]);

/** Same tolerance and first-letter rule as `correctTypo` in the normaliser. */
const limit = (n: number): number => (n < 4 ? 0 : n < 7 ? 1 : 2);
const sameStart = (w: string, t: string): boolean => w[0] === t[0] || (w[0] === t[1] && w[1] === t[0]);

const words = fs
  .readFileSync(dictionary, 'utf8')
  .split('\n')
  .map((w) => w.trim())
  .filter((w) => /^[a-z]{4,}$/.test(w));
const near = new Set<string>();
for (const w of words) {
  if (targets.has(w) || targetStems.has(stem(w))) continue;
  const max = limit(w.length);
  const candidates = [...(byInitial.get(w[0]) ?? []), ...(byInitial.get(w[1]) ?? [])];
  if (candidates.some((t) => sameStart(w, t) && editDistance(w, t, max) <= max)) near.add(w);
}
const out = [...near].sort();
fs.writeFileSync(path.join(__dirname, '..', 'near-words.json'), `${JSON.stringify(out)}\n`);
process.stdout.write(`near-words.json: ${out.length} words\n`);
