/**
 * Text normaliser for the portal knowledge base.
 *
 * Patients type on phones, in a hurry, often upset: "cant get in2 my acct", "forgot pasword", "my user name
 * isnt working". The matcher compares *concepts*, not spellings, so every message (and every KB question) goes
 * through the same pipeline:
 *
 *   tokenize (foldForMatching) → expandShorthand → correctTypos (splitJoined) → stem → applyPhrases (other services' accounts
 *   first, then the concept rules) → stop words and bare numbers → resolveSocial
 *
 * Each step is a pure function so it can be tested (and reasoned about) on its own; the word tables they use live
 * in lexicon.ts. Nothing here logs.
 */

import { COMMON_WORDS, FOREIGN_RULES, PHRASE_RULES, SHORTHAND, STOP_WORDS, type PhraseRule } from './lexicon';
import NEAR_WORDS from './near-words.json';

export { COMMON_WORDS, FOREIGN_RULES, PHRASE_RULES, SHORTHAND, STOP_WORDS, type PhraseRule };

// ---------------------------------------------------------------------------------------------------------------
// 1. Folding and tokenising
// ---------------------------------------------------------------------------------------------------------------

/**
 * The matcher's own folding of a sentence into words (values are compared with services/text/fold.ts instead):
 * lower-cases, strips accents and punctuation, so "Réinitialiser", "E-mail" and "e mail" compare equal.
 * Hyphens and apostrophes *inside* words are dropped ("un-enrolled" → "unenrolled", "can't" → "cant"): patients
 * write both forms and the joined form is the one our tables know. "w/o" and "w/" are spelled out first because
 * the slash would otherwise split them into meaningless letters. Contractions that would fold into other words are
 * spelled out first: "I'd" is not "id" (as in "portal id"), "I'll" is not "ill", "we're" is not "were"; "OD'd" and
 * "ODed" are "overdosed", not "odd".
 * @example foldForMatching("Can't log-in w/o my E-mail!") // "cant login without my email"
 */
export function foldForMatching(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/\b(i|you|he|she|we|they|it|that)'ll\b/g, '$1 will')
    .replace(/\b(i|you|he|she|we|they)'d\b/g, '$1 would')
    .replace(/\b(we|they|you)'re\b/g, '$1 are')
    .replace(/\bw\/o\b/g, ' without ')
    .replace(/\bw\/(?=\s|$)/g, ' with ')
    .replace(/\bod'e?d\b|\boded\b/g, 'overdosed')
    .replace(/([a-z])['-]+(?=[a-z])/g, '$1')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Splits folded text into word tokens. @example tokenize("Forgot my PW!!") // ["forgot", "my", "pw"] */
export function tokenize(text: string): string[] {
  const folded = foldForMatching(text);
  return folded ? folded.split(' ') : [];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. SMS shorthand and everyday abbreviations (one token → one or more tokens)
// ---------------------------------------------------------------------------------------------------------------

/** Expands shorthand tokens. @example expandShorthand(["pls","reset","my","pw"]) // ["please","reset","my","password"] */
export function expandShorthand(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    // Own keys only: a patient typing "constructor" or "__proto__" must not reach Object.prototype.
    const expansion = Object.hasOwn(SHORTHAND, token) ? SHORTHAND[token] : undefined;
    if (expansion === undefined) out.push(token);
    else out.push(...expansion.split(' '));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Light stemmer
// ---------------------------------------------------------------------------------------------------------------

const VOWEL = /[aeiouy]/;

/**
 * Forms the stemmer must leave alone. Past tense can carry the meaning: "I changed my email" (so it is no longer
 * mine) versus "change my email" (a request); "settings" must not collapse into "set" ("set a new password"), nor
 * "evening" into "even"; "swallowed" (pills: an emergency) must not become "swallow" ("I can't swallow pills").
 * The phrase rules list both forms where they mean the same.
 */
const KEEP_AS_IS = new Set(['changed', 'switched', 'setting', 'settings', 'evening', 'morning', 'swallowed']);

/**
 * A deliberately small suffix stripper: it only has to make "blocked/blocking/blocks", "expire/expired" and
 * "logging/logged" meet, consistently for KB text and messages. (Porter would be overkill and harder to read.)
 * Words of four letters or fewer are left alone so short words ("pass", "bus", "news") are not mangled.
 * @example stem("enrolled") // "enroll"; stem("logging") // "log"; stem("expires") // "expir"
 */
export function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word) || KEEP_AS_IS.has(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 5) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5 && VOWEL.test(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4 && VOWEL.test(w.slice(0, -2))) w = undouble(w.slice(0, -2));
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** "logg" → "log", "stopp" → "stop", but "enroll", "pass", "buzz" keep their double letter. */
function undouble(w: string): string {
  return /([^aeioulsz])\1$/.test(w) ? w.slice(0, -1) : w;
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Typo tolerance
// ---------------------------------------------------------------------------------------------------------------

/** Rows of `editDistance`, reused across calls (the normaliser runs on one thread; no call re-enters another). */
let rows = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** Optimal-string-alignment distance (Levenshtein plus adjacent transposition), stopping early past `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const width = b.length + 1;
  if (rows[0].length < width) rows = [new Int32Array(width * 2), new Int32Array(width * 2), new Int32Array(width * 2)];
  let [prevPrev, prev, cur] = rows;
  for (let j = 0; j < width; j += 1) prev[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    cur[0] = i;
    let rowMin = i;
    const ai = a.charCodeAt(i - 1);
    for (let j = 1; j < width; j += 1) {
      const bj = b.charCodeAt(j - 1);
      let v = prev[j - 1] + (ai === bj ? 0 : 1);
      if (prev[j] + 1 < v) v = prev[j] + 1;
      if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj && prevPrev[j - 2] + 1 < v) v = prevPrev[j - 2] + 1;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prevPrev, prev, cur] = [prev, cur, prevPrev];
  }
  return prev[b.length];
}

/**
 * What typo correction knows. `known` words are never changed (real words the patient probably meant);
 * `targets` are the only words a typo may be corrected *to*: the KB's own vocabulary, because a near-miss in a
 * portal-help message is far more likely to be "pasword" than anything else. Targets are bucketed by first letter.
 */
export interface Vocabulary {
  known: ReadonlySet<string>;
  knownStems: ReadonlySet<string>;
  targets: ReadonlyMap<string, readonly string[]>;
  /** Targets that win a tie (the KB's own question words, over rule-only and emergency-pattern words). */
  preferred: ReadonlySet<string>;
}

/** Builds a `Vocabulary`; every target is also known; `preferred` targets win ties. */
export function buildVocabulary(known: Iterable<string>, targets: Iterable<string>, preferred: Iterable<string> = []): Vocabulary {
  const all = new Set<string>();
  for (const w of known) if (w) all.add(w);
  const byInitial = new Map<string, string[]>();
  for (const w of new Set(targets)) {
    if (!w) continue;
    all.add(w);
    if (w.length < 3) continue;
    const list = byInitial.get(w[0]) ?? [];
    list.push(w);
    byInitial.set(w[0], list);
  }
  for (const list of byInitial.values()) list.sort();
  return { known: all, knownStems: new Set([...all].map(stem)), targets: byInitial, preferred: new Set(preferred) };
}

/** How many edits we tolerate: none for short words (too many false friends: "bill"/"fill"), more for long ones. */
function maxEdits(length: number): number {
  if (length < 4) return 0;
  return length < 7 ? 1 : 2;
}

/**
 * Maps an unknown token to the closest target word when it is within `maxEdits`, so "pasword", "usernmae" and
 * "blokced" find their concept. Known words (in any inflection) are never touched, and the first letter must
 * agree (or be a swap of the first two letters), which keeps "france" from becoming "change".
 * @example correctTypo("pasword", vocab) // "password"
 */
export function correctTypo(token: string, vocab: Vocabulary): string {
  if (isKnown(token, vocab) || /\d/.test(token)) return token;
  const limit = maxEdits(token.length);
  if (limit === 0) return token;
  let best = token;
  let bestRank = Infinity;
  for (const initial of new Set([token[0], token[1]])) {
    for (const candidate of vocab.targets.get(initial) ?? []) {
      if (candidate[0] !== token[0] && !(candidate[0] === token[1] && candidate[1] === token[0])) continue;
      if (Math.abs(candidate.length - token.length) > limit) continue;
      const d = editDistance(token, candidate, limit);
      if (d > limit) continue;
      const rank = d * 2 + (vocab.preferred.has(candidate) ? 0 : 1);
      if (rank < bestRank) {
        best = candidate;
        bestRank = rank;
      }
    }
  }
  return best;
}

const isKnown = (token: string, vocab: Vocabulary): boolean => vocab.known.has(token) || vocab.knownStems.has(stem(token));

/** The longest token `splitJoined` tries to split (two long words run together, e.g. "enrollmentverification"). */
const MAX_JOINED_LENGTH = 40;

/**
 * Splits run-together words ("forgotpassword", "cantlogin") into two known words, trying the split that leaves
 * the longest known first half. Only for unknown tokens of 7+ letters, where accidental splits are rare.
 * @example splitJoined("resetpassword", vocab) // ["reset", "password"]
 */
export function splitJoined(token: string, vocab: Vocabulary): string[] {
  // Past MAX_JOINED_LENGTH no two words are run together; trying every split of a 5,000-letter token cost ~100 ms.
  if (token.length < 7 || token.length > MAX_JOINED_LENGTH || isKnown(token, vocab)) return [token];
  const isTarget = (w: string): boolean => (vocab.targets.get(w[0]) ?? []).includes(w);
  for (let i = token.length - 3; i >= 3; i -= 1) {
    const left = token.slice(0, i);
    const right = token.slice(i);
    if ((isTarget(left) && vocab.known.has(right)) || (vocab.known.has(left) && isTarget(right))) return [left, right];
  }
  return [token];
}

/** Corrects each token; a token no correction explains may be two words run together ("forgotpassword"). */
export function correctTypos(tokens: readonly string[], vocab: Vocabulary): string[] {
  return tokens.flatMap((t) => {
    const corrected = correctTypo(t, vocab);
    return corrected !== t || isKnown(t, vocab) ? [corrected] : splitJoined(t, vocab).map((p) => correctTypo(p, vocab));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Phrase → concept rules
// ---------------------------------------------------------------------------------------------------------------

interface Slot {
  alternatives: string[][];
}

/**
 * Number wildcards in a pattern: `#` matches any bare number ("had a stroke in #"), `#10` any number of at least 10
 * ("took #10 pills"). Words are otherwise compared exactly (after stemming).
 */
const NUMBER_WILDCARD = /^#(\d*)$/;
const BARE_DIGITS = /^\d+$/;
function matchesWord(token: string, word: string): boolean {
  if (token === word) return true;
  if (word.charCodeAt(0) !== 35) return false; // not a "#" wildcard
  const wildcard = NUMBER_WILDCARD.exec(word);
  return wildcard !== null && BARE_DIGITS.test(token) && Number(token) >= Number(wildcard[1] || 0);
}
/** Index key of the rules whose first word is a number wildcard. */
const NUMBER_KEY = '#';
interface CompiledRule {
  slots: Slot[];
  gaps: number[]; // gaps[i]: how many content words a `~`/`~2` before slot i lets through (0 = adjacent)
  emit: string[];
}

/** Compiled rules plus an index from first word to the rules that can start with it (so most are never tried). */
export interface CompiledPhrases {
  rules: readonly CompiledRule[];
  byFirstWord: ReadonlyMap<string, readonly number[]>;
}

/** Compiles rules once: stems every word so a rule written as "blocked" matches "blocking" too. */
export function compilePhraseRules(rules: readonly PhraseRule[]): CompiledPhrases {
  const compiled = rules.map(compileRule);
  const byFirstWord = new Map<string, number[]>();
  compiled.forEach((rule, index) => {
    for (const alt of rule.slots[0]?.alternatives ?? []) {
      const key = NUMBER_WILDCARD.test(alt[0]) ? NUMBER_KEY : alt[0];
      const list = byFirstWord.get(key) ?? [];
      if (!list.includes(index)) list.push(index);
      byFirstWord.set(key, list);
    }
  });
  return { rules: compiled, byFirstWord };
}

function compileRule(rule: PhraseRule): CompiledRule {
  const slots: Slot[] = [];
  const gaps: number[] = [];
  let gap = 0;
  for (const part of rule.pattern.trim().split(/\s+/)) {
    if (/^~\d?$/.test(part)) {
      gap = part.length > 1 ? Number(part.slice(1)) : 1;
      continue;
    }
    const alternatives = part
      .split('|')
      .map((alt) => alt.split('_').flatMap((w) => (NUMBER_WILDCARD.test(w) ? [w] : tokenize(w).map(stem))))
      .filter((alt) => alt.length > 0)
      .sort((x, y) => y.length - x.length); // longest first: "email address" before "email"
    slots.push({ alternatives });
    gaps.push(gap);
    gap = 0;
  }
  return { slots, gaps, emit: rule.emit.split(' ') };
}

/** Words skipped freely inside a gap: they never carry the meaning ("no *verified* email", "not *even* working"). */
const GAP_FREE = new Set(
  (
    'a an the my your any this that to of for it is am are was be been i me on in with at yet even really ever ' +
    'just still our their his her have has had got use own an valid current active personal real verified ' +
    'confirmed old account portal actually currently anymore'
  )
    .split(' ')
    .map(stem),
);
const GAP_TOTAL = 6;
/**
 * Words a gap may never skip: they are what the message is about, so a rule that jumps over them ("change my
 * *username*, it's my old last name" read as "change … last name") would throw the point away.
 */
const NO_SKIP = new Set(['username', 'password', 'token'].map(stem));

function matchAlternative(tokens: readonly string[], pos: number, alt: readonly string[]): number {
  if (pos + alt.length > tokens.length) return -1;
  for (let k = 0; k < alt.length; k += 1) if (!matchesWord(tokens[pos + k], alt[k])) return -1;
  return pos + alt.length;
}

/** Tries to match `rule` from slot `s` at `pos`; returns the end index or -1 (tiny backtracking matcher). */
function matchFrom(tokens: readonly string[], pos: number, rule: CompiledRule, s: number): number {
  if (s === rule.slots.length) return pos;
  const end = matchSlotAt(tokens, pos, rule, s);
  if (end >= 0 || s === 0) return end;
  // The slot may also start after a gap: skipped words, up to the rule's count of content words before it.
  let words = 0;
  for (let p = pos; p < tokens.length && p - pos < GAP_TOTAL; p += 1) {
    if (NO_SKIP.has(tokens[p])) break;
    if (!GAP_FREE.has(tokens[p])) words += 1;
    if (words > rule.gaps[s]) break;
    const after = matchSlotAt(tokens, p + 1, rule, s);
    if (after >= 0) return after;
  }
  return -1;
}

/** Slot `s` (each alternative, longest first) starting exactly at `start`, then the rest of the rule. */
function matchSlotAt(tokens: readonly string[], start: number, rule: CompiledRule, s: number): number {
  for (const alt of rule.slots[s].alternatives) {
    const end = matchAlternative(tokens, start, alt);
    if (end < 0) continue;
    const done = matchFrom(tokens, end, rule, s + 1);
    if (done >= 0) return done;
  }
  return -1;
}

/** The rules that may start at `token` (its own, plus the number-wildcard rules for a number). */
function rulesStartingWith(phrases: CompiledPhrases, token: string): readonly number[] {
  const own = phrases.byFirstWord.get(token) ?? [];
  return BARE_DIGITS.test(token) ? [...own, ...(phrases.byFirstWord.get(NUMBER_KEY) ?? [])] : own;
}

/** True when any compiled pattern occurs anywhere in `tokens` (used for emergency phrases). */
export function containsPhrase(tokens: readonly string[], phrases: CompiledPhrases): boolean {
  for (let i = 0; i < tokens.length; i += 1) {
    for (const index of rulesStartingWith(phrases, tokens[i])) {
      if (matchFrom(tokens, i, phrases.rules[index], 0) > i) return true;
    }
  }
  return false;
}

/** What a masked word becomes: no pattern word can equal it, and a gap counts it as a content word. */
export const MASKED = '~';

/**
 * Blanks out every span that a compiled pattern matches (including the words its gaps skipped), so that later
 * patterns cannot see them: the emergency exceptions ("not suicidal", "stroke of luck", "no pulse on this
 * website") are masked before the emergency patterns run, and everything else in the message still counts.
 * @example maskPhrases(["i","am","not","suicidal"], compilePhraseRules([{ pattern: "not suicidal", emit: "" }])) // ["i","am","~","~"]
 */
export function maskPhrases(tokens: readonly string[], phrases: CompiledPhrases): string[] {
  const out = [...tokens];
  for (let i = 0; i < tokens.length; i += 1) {
    for (const index of rulesStartingWith(phrases, tokens[i])) {
      const end = matchFrom(tokens, i, phrases.rules[index], 0);
      for (let k = i; k < end; k += 1) out[k] = MASKED;
    }
  }
  return out;
}

/**
 * Rewrites phrases into concept tokens, left to right; at each position the first rule that matches wins (and
 * within a slot the longest alternative is tried first).
 * @example applyPhrases(["cant","log","in"], compilePhraseRules(PHRASE_RULES)) // ["brokenx", "loginx"]
 */
export function applyPhrases(tokens: readonly string[], phrases: CompiledPhrases): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    let matched = false;
    for (const index of rulesStartingWith(phrases, tokens[i])) {
      const rule = phrases.rules[index];
      const end = matchFrom(tokens, i, rule, 0);
      if (end > i) {
        out.push(...rule.emit);
        i = end;
        matched = true;
        break;
      }
    }
    if (!matched) {
      out.push(tokens[i]);
      i += 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 6. The pipeline
// ---------------------------------------------------------------------------------------------------------------

/** Numbers in a story ("3 years", "March 3rd", "2021") say when or how many, never what the problem is. */
const BARE_NUMBER = /^\d+(st|nd|rd|th)?$/;

/** Concept tokens that are small talk: they mean something only when nothing else was said. */
export const SOCIAL_TOKENS: ReadonlySet<string> = new Set(['greetx']);
/** Tokens that say where, not what: "help with the portal" is still a request for the help menu. */
const NEUTRAL_TOKENS: ReadonlySet<string> = new Set(['portalx', 'account']);

/**
 * "Hi, I forgot my password" is about the password, not a greeting, and "help me, I can't log in" is not a request
 * for the help menu: social tokens are dropped when the message has content, and a bare "help" (which the stop
 * list removes, because it is mostly politeness) becomes the help-menu concept when nothing else was said, or
 * only where ("help with the portal").
 */
export function resolveSocial(tokens: readonly string[], words: readonly string[]): string[] {
  const content = tokens.filter((t) => !SOCIAL_TOKENS.has(t));
  const bareHelp = words.includes('help') && content.every((t) => NEUTRAL_TOKENS.has(t));
  if (bareHelp && !content.includes('helpmenux')) return [...content, 'helpmenux'];
  return content.length > 0 ? content : [...tokens];
}

/** Every token a phrase rule can emit: the concept vocabulary, as opposed to plain (stemmed) words. */
export const CONCEPT_TOKENS: ReadonlySet<string> = new Set([...FOREIGN_RULES, ...PHRASE_RULES].flatMap((r) => r.emit.split(' ')));

/** Every plain word the phrase rules mention (they are typo-correction targets). */
export function ruleWords(): string[] {
  return [...FOREIGN_RULES, ...PHRASE_RULES].flatMap((r) => r.pattern.split(/[\s|_~]+/)).filter((w) => /^[a-z]+$/.test(w));
}

export interface Normaliser {
  /** Full pipeline: concept tokens for matching. */
  normalise(text: string): string[];
  /** Stemmed, typo-corrected words before phrase rules and stop words (used for emergency patterns). */
  words(text: string): string[];
  /** The same words without typo correction: what was actually typed (shorthand expanded, stemmed). */
  wordsAsTyped(text: string): string[];
  /** The rest of the pipeline, from `words(text)` to concept tokens: `normalise(text)` is `concepts(words(text))`. */
  concepts(words: readonly string[]): string[];
  vocabulary: Vocabulary;
}

/**
 * Builds a normaliser whose typo correction knows `domainWords` (the KB's own words) as well as the built-in
 * tables. Build it once: compiling the rules and vocabulary is the only slow part.
 */
export function createNormaliser(domainWords: Iterable<string> = [], preferredWords: Iterable<string> = []): Normaliser {
  const foreign = compilePhraseRules(FOREIGN_RULES);
  const rules = compilePhraseRules(PHRASE_RULES);
  const stops = new Set(STOP_WORDS.map(stem));
  const targets = [...domainWords, ...ruleWords(), ...Object.values(SHORTHAND).flatMap((v) => v.split(' '))];
  const known = [...COMMON_WORDS, ...NEAR_WORDS, ...STOP_WORDS, ...Object.keys(SHORTHAND)];
  const vocabulary = buildVocabulary(known, targets, preferredWords);
  const words = (text: string): string[] => correctTypos(expandShorthand(tokenize(text)), vocabulary).map(stem);
  const wordsAsTyped = (text: string): string[] => expandShorthand(tokenize(text)).map(stem);
  const concepts = (all: readonly string[]): string[] =>
    resolveSocial(applyPhrases(applyPhrases(all, foreign), rules).filter((t) => !stops.has(t) && !BARE_NUMBER.test(t)), all);
  return { normalise: (text) => concepts(words(text)), words, wordsAsTyped, concepts, vocabulary };
}
