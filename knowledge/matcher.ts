/**
 * The matcher: turns a patient's message into a decision (answer this entry, ask which one, say we don't know,
 * or treat it as an emergency).
 *
 * How a message is scored (all indexes are built once, in `createMatcher`):
 *  1. Emergency patterns are checked first, on lightly normalised words; a hit short-circuits everything.
 *  2. The message is normalised into concept tokens (see normalise.ts), the same way the KB questions were.
 *  3. Concept scoring: for every KB question (and keyword phrase) we measure, with IDF weights, how much of the
 *     question the message covers and how much of the message the question explains, and keep each entry's best.
 *     This is what tells "forgot username" from "forgot username, no email". The patient's problem ("forgot",
 *     "not working") and object ("username", "password") weigh extra, so the story around them ("my daughter
 *     signed me up last year…") does not decide the answer.
 *  4. fuse.js token search over each entry's normalised vocabulary adds an entry-level, typo-tolerant view.
 *  5. Out-of-scope words (billing, prescriptions, results…, listed in the KB file) pull the scores down unless
 *     the message also has a clear portal-account anchor ("I can't log in to see my results" is a login problem).
 *     Another service's account ("my facebook account is locked", "forgot my wifi password") never anchors unless
 *     something else in the message ties it to the portal.
 *  6. The blended score and the margin over the runner-up go through a logistic curve fitted on labelled
 *     messages, so `confidence` reads as "probability this answer is right" and the thresholds mean something.
 *
 * The matcher never logs: messages may contain names, dates of birth and worse.
 */
import { createEntryFuzzy, type EntryFuzzy } from './fuzzy';
import { CONCEPT_TOKENS, compilePhraseRules, containsPhrase, createNormaliser, expandShorthand, maskPhrases, tokenize, type CompiledPhrases, type Normaliser } from './normalise';
import type { KbEntry, KnowledgeBase } from './schema';

export interface Candidate {
  id: string;
  title: string;
  /** 0..1, calibrated: roughly the probability that this entry is what the patient meant. */
  confidence: number;
}

export type Decision =
  | { type: 'emergency'; id: 'emergency'; candidates: Candidate[] }
  | { type: 'answer'; id: string; confidence: number; candidates: Candidate[] }
  | { type: 'clarify'; candidates: Candidate[] }
  /** Nothing fits. `uncovered`: a portal question the KB knows it does not answer (its topic, from `uncoveredPortal`). */
  | { type: 'none'; candidates: Candidate[]; uncovered?: string };

export interface MatcherOptions {
  /** Answer the top entry when its confidence is at least this. */
  answerThreshold?: number;
  /** Below this, offer nothing ("none"); between the two thresholds, ask "did you mean…". */
  clarifyThreshold?: number;
  /** A confident answer still becomes "clarify" when the runner-up's raw score is within this margin. */
  ambiguityMargin?: number;
  /** Candidates returned with a decision. */
  maxCandidates?: number;
}

export interface Matcher {
  decide(text: string): Decision;
  /**
   * Whether the emergency patterns match the words as typed, without typo correction: "Fant" is decided an
   * emergency (corrected to "faint") but is not one as typed. For the router's one-word answers (names).
   */
  emergencyAsTyped(text: string): boolean;
  /** For the CLI and tuning: the concept tokens and every entry's raw score. Never log its output. */
  explain(text: string): Explanation;
}

export interface Explanation {
  tokens: string[];
  /** The `uncoveredPortal` topic the message is about, if any (it decides "none" when the message is not anchored). */
  uncoveredTopic?: string;
  outOfScopeTopics: string[];
  anchored: boolean;
  scores: { id: string; raw: number; concept: number; fuse: number; confidence: number; bestQuestion: string }[];
}

export const DEFAULT_OPTIONS: Required<MatcherOptions> = {
  answerThreshold: 0.5,
  clarifyThreshold: 0.3,
  ambiguityMargin: 0.02,
  maxCandidates: 3,
};

/** Weight of a message word the KB has never seen (a name, a detail of the story): it dilutes, but only a little. */
const UNKNOWN_WEIGHT = 0.5;
/**
 * One-concept questions ("help", "cancel", "hi", "password") fit only when the message is about that one thing:
 * against them, unknown words weigh this much more (a bare "cancel" is a command; "cancel" inside a longer sentence
 * about something we don't know usually is not).
 */
const UNKNOWN_WEIGHT_SINGLE = 1.5;
/** Weight of an out-of-scope word in the message: it counts as a lot of unexplained meaning. */
const OUT_OF_SCOPE_WEIGHT = 2;
/** Score multiplier when out-of-scope words appear without an account anchor. */
const OUT_OF_SCOPE_PENALTY = 0.4;
/** A bare problem word next to only unknown words (see `isLoneProblem`): score multiplier. */
const LONE_PROBLEM = 'brokenx';
const LONE_PROBLEM_PENALTY = 0.5;
/** Keyword phrases are terse, so a keyword hit is trusted slightly less than a full question. */
const KEYWORD_TRUST = 0.95;
/** Share of the blended score that comes from fuse.js (the rest is concept scoring). */
const FUSE_SHARE = 0.15;
/** IDF floor, so even the commonest concept still counts for something. */
const MIN_IDF = 0.3;
/**
 * IDF ceiling for plain words (not concepts): a word left over in one KB question ("set", "download") is rare
 * only by accident, and should not outweigh the concepts the question is really about.
 */
const PLAIN_WORD_MAX_IDF = 1;
/** Plain words that are as meaningful as concepts (the objects of most questions). */
const STRONG_WORDS = new Set(['password', 'username', 'email', 'account', 'answer']);

/**
 * Tokens that say *where* (portal, account, office, email…) but not *what*. A question matched only through
 * them ("How do I get a portal account?" vs "how do I delete my portal account") is weak evidence.
 */
const GENERIC = new Set(['portalx', 'account', 'new', 'officex', 'email', 'linkx', 'computerx', 'show', 'check', 'patient', 'first']);
/** Score multiplier for a question whose matched tokens are all generic. */
const GENERIC_ONLY = 0.55;
/**
 * The patient's problem ("forgot", "not working", "blocked", "no email"…) outweighs the background of the story
 * ("my daughter signed me up last year… now I forgot the password"): these tokens weigh this much more.
 */
const PROBLEM = new Set(['forgot', 'brokenx', 'blockedx', 'expiredx', 'nomailbox', 'notreceived', 'resetcode', 'secquestion', 'hasusername', 'haspassword']);
const PROBLEM_BOOST = 1.6;
/** A message that states a problem is poorly answered by a question that addresses none: score multiplier. */
const PROBLEM_UNADDRESSED = 0.8;
/**
 * What the message is about (username, password, token…). These appear in several entries, so their IDF is
 * modest, yet "forgot my username" and "forgot my password" must never be confused: they weigh this much more.
 */
const OBJECT = new Set(['username', 'password', 'tokenx', 'resetcode', 'secquestion', 'mobilex', 'email', 'notifyaddr']);
const OBJECT_BOOST = 1.5;
/** A question about a different object than the message ("…my password" vs "…my username"): score multiplier. */
const OBJECT_MISMATCH = 0.75;
/**
 * Generic access questions ("I can't log in", "I forgot how to log in", "I can't get into my account") fit almost
 * any login trouble. When the message says something more specific — what it is about ("…what username I
 * picked") or a specific cause ("…because my account is blocked", "…the token expired") — a question that
 * addresses that detail is the better answer: score multiplier for the generic question.
 */
const GENERIC_ACCESS = new Set(['loginx', 'brokenx', 'forgot', 'account', 'portalx', 'computerx']);
const SPECIFIC = new Set([...OBJECT, ...[...PROBLEM].filter((t) => t !== 'brokenx' && t !== 'forgot')]);
const GENERIC_ACCESS_FACTOR = 0.9;
/**
 * "No usable email" decides between an entry and its -without-email twin, however much else the message says
 * ("I know my username but forgot my password and there's no email on the account"): a question that ignores it
 * when the message states it gets this multiplier.
 */
const NO_MAILBOX = 'nomailbox';
const NO_MAILBOX_UNADDRESSED = 0.9;

/**
 * Concepts that on their own make a message about portal access, whatever else it mentions. (`loginx` alone is
 * not: "how do I access my results" is a results question; "I can't access…" is, via the pairs below.)
 */
const ANCHORS = new Set(['password', 'username', 'resetcode', 'secquestion', 'notifyaddr', 'tokenx', 'nomailbox']);
/** Pairs that anchor together: a problem word next to an access word, or "talk to a person". */
const ANCHOR_PAIRS: readonly [readonly string[], readonly string[]][] = [
  [['loginx', 'enrollx'], ['brokenx', 'forgot', 'expiredx']],
  [['enrollx'], ['portalx', 'account']],
  [['humanx'], ['talkx']],
  // "blocked" needs an account to be about ours ("my account got locked so I can't request refills"), not a card or a claim.
  [['blockedx'], ['account', 'portalx', 'loginx', 'brokenx', 'forgot']],
  // "Do I need an email to use the portal for my prescriptions?"
  [['requiredx'], ['email', 'nomailbox']],
  // "The office emailed me an invitation but I deleted it, how can I still enroll?"
  [['invitex'], ['enrollx', 'portalx', 'tokenx', 'linkx']],
  // "I haven't been to the doctor in 3 years and now my portal account doesn't work."
  [['awayx'], ['portalx', 'account', 'loginx', 'brokenx', 'blockedx']],
];
/** Another service's account ("my facebook account is locked", "forgot my wifi password"): see FOREIGN_RULES. */
const FOREIGN = 'othersvcx';
/**
 * What still ties a message that names another service to *our* portal: the portal or practice itself, or a
 * credential the foreign phrase did not consume ("I use my gmail password for the portal", "forgot my email
 * password so I can't reset my password").
 */
const PORTAL_CONTEXT = new Set(['portalx', 'officex', 'enrollx', 'tokenx', 'resetcode', 'secquestion', 'notifyaddr', 'password', 'username', 'hasusername', 'haspassword']);

/**
 * Calibration: confidence = sigmoid(A * raw + B * margin + C), fitted by logistic regression on labelled
 * messages (knowledge/eval/portal-eval.jsonl plus the shared dev sample), where "correct" means the top entry was
 * the expected one. Refit when the scoring changes: `npx tsx knowledge/tools/calibrate.ts <labelled .jsonl files>`.
 */
export const CALIBRATION = { a: 7.71, b: 2.11, c: -3.31 };

interface IndexedText {
  entry: number;
  /** The KB question or keyword as written (for `explain`). */
  source: string;
  terms: string[];
  /** Each term's weight and whether it is generic (see `GENERIC`), in `terms` order: worked out once, read per message. */
  termWeights: number[];
  termGeneric: boolean[];
  weight: number;
  trust: number;
  /** Whether the question is about some problem (see `PROBLEM`). */
  addressesProblem: boolean;
  /** The question's objects (see `OBJECT`). */
  objects: string[];
  /** Whether the question is a generic access question (see `GENERIC_ACCESS`). */
  genericAccess: boolean;
  /** Whether the question is about an email that did not arrive, naming nothing else (see `CREDENTIALS`). */
  mailboxOnly: boolean;
}

interface OutOfScopeTerm {
  topic: string;
  tokens: string[];
}

/**
 * The KB's emergency patterns, compiled. A pattern starting with `!` is an exception: what it matches is masked
 * before the others run ("I'm *not suicidal*, just locked out", "a *stroke of luck*", "*no pulse on this website*"),
 * so a negation or an idiom silences only its own words and any other warning sign in the message still counts.
 */
interface EmergencyPhrases {
  patterns: CompiledPhrases;
  exceptions: CompiledPhrases;
}

const EXCEPTION_PREFIX = '!';

function compileEmergency(patterns: readonly string[]): EmergencyPhrases {
  const rule = (pattern: string): { pattern: string; emit: string } => ({ pattern, emit: 'emergency' });
  return {
    patterns: compilePhraseRules(patterns.filter((p) => !p.startsWith(EXCEPTION_PREFIX)).map(rule)),
    exceptions: compilePhraseRules(patterns.filter((p) => p.startsWith(EXCEPTION_PREFIX)).map((p) => rule(p.slice(EXCEPTION_PREFIX.length)))),
  };
}

/** Words of a phrase pattern (typo-correction targets): no syntax, no number wildcards. */
const patternWords = (pattern: string): string[] => pattern.split(/[\s|_~!]+/).filter((w) => w && !w.startsWith('#'));

interface Index {
  entries: KbEntry[];
  normaliser: Normaliser;
  emergency: EmergencyPhrases;
  texts: IndexedText[];
  /** Which texts (indexes into `texts`) have each term: a message is scored only against texts it shares a term with. */
  postings: Map<string, number[]>;
  /** Token weight: IDF, boosted for problem and object concepts. */
  weight: Map<string, number>;
  outOfScope: OutOfScopeTerm[];
  uncovered: { topic: string; phrases: CompiledPhrases }[];
  fuzzy: EntryFuzzy;
}

const words = (texts: readonly string[]): string[] => texts.flatMap((t) => expandShorthand(tokenize(t)));

/** Every surface word in the KB, so typo correction can aim at them ("pasword" → "password"). */
function domainWords(kb: KnowledgeBase): string[] {
  const uncovered = kb.uncoveredPortal.flatMap((t) => t.patterns.flatMap(patternWords));
  return [...words([...kb.outOfScope.flatMap((t) => t.terms), ...kb.emergencyPatterns.flatMap(patternWords), ...uncovered]), ...questionWords(kb)];
}

/** The words of the KB's questions: preferred typo targets ("wrking" is "working", not "waking"). */
function questionWords(kb: KnowledgeBase): string[] {
  return words(kb.entries.flatMap((e) => [...e.questions, ...e.keywords, e.title]));
}

/** Entry-level inverse document frequency: a concept in one entry is decisive, one in every entry is not. */
function computeIdf(texts: IndexedText[], entryCount: number): Map<string, number> {
  const perEntry = new Map<string, Set<number>>();
  for (const t of texts) for (const term of t.terms) {
    const set = perEntry.get(term) ?? new Set<number>();
    set.add(t.entry);
    perEntry.set(term, set);
  }
  const idf = new Map<string, number>();
  for (const [term, set] of perEntry) {
    const df = set.size;
    const value = Math.max(MIN_IDF, Math.log(1 + (entryCount - df + 0.5) / (df + 0.5)));
    idf.set(term, CONCEPT_TOKENS.has(term) || STRONG_WORDS.has(term) ? value : Math.min(PLAIN_WORD_MAX_IDF, value));
  }
  return idf;
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

function buildIndex(kb: KnowledgeBase): Index {
  const normaliser = createNormaliser(domainWords(kb), questionWords(kb));
  const entries = kb.entries.filter((e) => e.id !== 'emergency');
  const texts: IndexedText[] = [];
  entries.forEach((entry, i) => {
    const add = (source: string, trust: number): void => {
      const terms = unique(normaliser.normalise(source));
      const objects = terms.filter((t) => OBJECT.has(t));
      const genericAccess = terms.length > 0 && terms.every((t) => GENERIC_ACCESS.has(t));
      const mailboxOnly = terms.includes('notreceived') && objects.every((o) => o === 'email');
      texts.push({ entry: i, source, terms, termWeights: [], termGeneric: terms.map((t) => GENERIC.has(t)), weight: 0, trust, addressesProblem: terms.some((t) => PROBLEM.has(t)), objects, genericAccess, mailboxOnly });
    };
    entry.questions.forEach((q) => add(q, 1));
    entry.keywords.forEach((k) => add(k, KEYWORD_TRUST));
  });
  const usable = texts.filter((t) => t.terms.length > 0);
  const idf = computeIdf(usable, entries.length);
  const boost = (term: string): number => (PROBLEM.has(term) ? PROBLEM_BOOST : OBJECT.has(term) ? OBJECT_BOOST : 1);
  const weight = new Map([...idf].map(([term, w]) => [term, w * boost(term)]));
  for (const t of usable) {
    t.termWeights = t.terms.map((term) => weight.get(term) ?? 0);
    t.weight = t.termWeights.reduce((sum, w) => sum + w, 0);
  }
  const outOfScope = buildOutOfScope(kb, normaliser);
  const emergency = compileEmergency(kb.emergencyPatterns);
  const uncovered = kb.uncoveredPortal.map((t) => ({ topic: t.topic, phrases: compilePhraseRules(t.patterns.map((pattern) => ({ pattern, emit: 'uncovered' }))) }));
  const fuzzy = createEntryFuzzy(entryVocabularies(usable, entries.length));
  const postings = new Map<string, number[]>();
  usable.forEach((t, i) =>
    t.terms.forEach((term) => {
      const list = postings.get(term) ?? [];
      list.push(i);
      postings.set(term, list);
    }),
  );
  return { entries, normaliser, emergency, texts: usable, postings, weight, outOfScope, uncovered, fuzzy };
}

/**
 * One fuse.js document per entry: the entry's normalised vocabulary. Token search then measures how much of the
 * message the entry's vocabulary explains, fuzzily (IDF-weighted as fuse does; knowledge/fuzzy.ts) — an
 * entry-level view that complements the question-level concept score, and costs a fraction of indexing every question.
 */
function entryVocabularies(texts: readonly IndexedText[], entryCount: number): string[] {
  const vocab = Array.from({ length: entryCount }, () => new Set<string>());
  for (const t of texts) t.terms.forEach((term) => vocab[t.entry].add(term));
  return vocab.map((set) => [...set].join(' '));
}

/**
 * Normalises the out-of-scope terms and refuses any made only of in-scope tokens: "letter" would become the
 * password-character concept and silently make every password-rule question look out of scope.
 */
function buildOutOfScope(kb: KnowledgeBase, normaliser: Normaliser): OutOfScopeTerm[] {
  const inScope = new Set(
    kb.entries.filter((e) => e.id !== 'emergency').flatMap((e) => [...e.questions, ...e.keywords].flatMap((q) => normaliser.normalise(q))),
  );
  return kb.outOfScope.flatMap((topic) =>
    topic.terms.map((term) => {
      const tokens = unique(normaliser.normalise(term));
      if (tokens.length === 0 || tokens.every((t) => inScope.has(t))) {
        const why = tokens.length ? `normalises to in-scope words (${tokens.join(' ')})` : 'is only stop words';
        throw new Error(`outOfScope "${topic.topic}": term "${term}" ${why}; reword or remove it`);
      }
      return { topic: topic.topic, tokens };
    }),
  );
}

/** Out-of-scope topics the message mentions, and which of its tokens belong to them. */
function findOutOfScope(tokens: readonly string[], terms: readonly OutOfScopeTerm[]): { topics: string[]; words: Set<string> } {
  const present = new Set(tokens);
  const topics = new Set<string>();
  const words = new Set<string>();
  for (const term of terms) {
    if (term.tokens.every((t) => present.has(t))) {
      topics.add(term.topic);
      term.tokens.forEach((t) => words.add(t));
    }
  }
  return { topics: [...topics], words };
}

/**
 * True when the message is clearly about portal access (see `ANCHORS`); never when it is about another service's
 * account and nothing ties it to the portal.
 */
function isAnchored(tokens: readonly string[]): boolean {
  const present = new Set(tokens);
  if (present.has(FOREIGN) && !tokens.some((t) => PORTAL_CONTEXT.has(t))) return false;
  if (tokens.some((t) => ANCHORS.has(t))) return true;
  return ANCHOR_PAIRS.some(([left, right]) => left.some((t) => present.has(t)) && right.some((t) => present.has(t)));
}

/**
 * True when the message's only known concept is a bare "something is wrong" (`brokenx`) and the rest are words the
 * KB has never seen ("my EOB is wrong", "grandpa isn't responding"): the problem is with something we know nothing
 * about. "It's not working" (nothing unknown) and "it says invalid credentials" (a known word) are unaffected.
 */
function isLoneProblem(index: Index, tokens: readonly string[], outOfScopeWords: ReadonlySet<string>): boolean {
  const known = tokens.filter((t) => index.weight.has(t) && !outOfScopeWords.has(t));
  return known.length === 1 && known[0] === LONE_PROBLEM && tokens.some((t) => !index.weight.has(t) && !outOfScopeWords.has(t));
}

/**
 * Concept score of every entry: for each question, coverage of the question (recall) and of the message
 * (precision), IDF-weighted, combined geometrically so both must be decent; the entry keeps its best question.
 */
function conceptScores(index: Index, tokens: readonly string[], outOfScopeWords: ReadonlySet<string>): { scores: Float64Array; best: (IndexedText | undefined)[] } {
  const present = new Set(tokens);
  const statesProblem = tokens.some((t) => PROBLEM.has(t));
  const objects = tokens.filter((t) => OBJECT.has(t));
  const statesSpecific = tokens.some((t) => SPECIFIC.has(t));
  const noMailbox = present.has(NO_MAILBOX);
  let messageWeight = 0;
  let unknownCount = 0;
  for (const t of present) {
    if (outOfScopeWords.has(t)) messageWeight += OUT_OF_SCOPE_WEIGHT;
    else if (index.weight.has(t)) messageWeight += index.weight.get(t) ?? 0;
    else unknownCount += 1;
  }
  const singleWeight = messageWeight + unknownCount * UNKNOWN_WEIGHT_SINGLE;
  messageWeight += unknownCount * UNKNOWN_WEIGHT;
  const scores = new Float64Array(index.entries.length);
  const best: (IndexedText | undefined)[] = new Array(index.entries.length).fill(undefined);
  if (messageWeight === 0) return { scores, best };
  // Only the texts that share a term with the message can score; taken in index order, as a full scan would.
  const sharing = new Set<number>();
  for (const t of present) for (const i of index.postings.get(t) ?? []) sharing.add(i);
  for (const i of [...sharing].sort((a, b) => a - b)) {
    const text = index.texts[i];
    let matched = 0;
    let specific = false;
    for (let k = 0; k < text.terms.length; k += 1) {
      if (!present.has(text.terms[k])) continue;
      matched += text.termWeights[k];
      if (!text.termGeneric[k]) specific = true;
    }
    if (matched === 0) continue;
    let trust = specific ? text.trust : text.trust * GENERIC_ONLY;
    if (statesProblem && !text.addressesProblem) trust *= PROBLEM_UNADDRESSED;
    if (isObjectMismatch(objects, text.objects, present)) trust *= OBJECT_MISMATCH;
    if (text.mailboxOnly && CREDENTIALS.some((c) => present.has(c))) trust *= MAILBOX_ONLY;
    if (statesSpecific && text.genericAccess) trust *= GENERIC_ACCESS_FACTOR;
    if (noMailbox && !text.terms.includes(NO_MAILBOX)) trust *= NO_MAILBOX_UNADDRESSED;
    const against = text.terms.length === 1 ? singleWeight : messageWeight;
    const score = trust * Math.pow(matched / text.weight, 0.6) * Math.pow(Math.min(1, matched / against), 0.4);
    if (score > scores[text.entry]) {
      scores[text.entry] = score;
      best[text.entry] = text;
    }
  }
  return { scores, best };
}

/**
 * Credentials a message can be about. A question about an email that never came, naming nothing else, is a
 * poor answer to a message about one of them ("I never got the password reset email", "…the enrollment
 * confirmation email"): that is the credential's own entry.
 */
const CREDENTIALS = ['username', 'password', 'tokenx', 'enrollx'];
/** Score multiplier for a mailbox-only question against a message about a credential or enrollment. */
const MAILBOX_ONLY = 0.6;

/** True when message and question each name an object the other lacks, sharing none ("username" vs "password"). */
function isObjectMismatch(messageObjects: readonly string[], questionObjects: readonly string[], present: ReadonlySet<string>): boolean {
  if (messageObjects.length === 0 || questionObjects.length === 0) return false;
  if (questionObjects.some((o) => present.has(o))) return false;
  return true;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Maps a raw score and its margin over the best *other* entry to a calibrated confidence. */
export function calibrate(raw: number, margin: number): number {
  if (raw <= 0) return 0;
  return sigmoid(CALIBRATION.a * raw + CALIBRATION.b * margin + CALIBRATION.c);
}

interface Scored {
  entry: KbEntry;
  bestQuestion: string;
  raw: number;
  concept: number;
  fuse: number;
  confidence: number;
}

/**
 * Every entry's scores. The fuse view counts only where the concept score is not 0 (see `raws`), so `decide` asks
 * fuse only about those entries; `explain` (`everyFuse`) shows it for all.
 */
function scoreAll(index: Index, tokens: string[], everyFuse = false): { scored: Scored[]; topics: string[]; anchored: boolean } {
  const { topics, words } = findOutOfScope(tokens, index.outOfScope);
  const anchored = isAnchored(tokens);
  const penalty = (topics.length > 0 && !anchored ? OUT_OF_SCOPE_PENALTY : 1) * (isLoneProblem(index, tokens, words) ? LONE_PROBLEM_PENALTY : 1);
  const { scores: concept, best } = conceptScores(index, tokens, words);
  const fuzzy = index.fuzzy.scores(tokens, everyFuse ? undefined : index.entries.flatMap((_, i) => (concept[i] > 0 ? [i] : [])));
  const raws = index.entries.map((_, i) => penalty * ((1 - FUSE_SHARE) * concept[i] + FUSE_SHARE * fuzzy[i] * Math.min(1, concept[i] * 2)));
  // The best raw score of any *other* entry: the top score, or for the top entry itself the runner-up's.
  let first = -1;
  for (let i = 0; i < raws.length; i += 1) if (first < 0 || raws[i] > raws[first]) first = i;
  let runnerUp = 0;
  for (let i = 0; i < raws.length; i += 1) if (i !== first && raws[i] > runnerUp) runnerUp = raws[i];
  const scored = index.entries.map((entry, i) => {
    const bestOther = i === first ? runnerUp : Math.max(0, raws[first]);
    const bestQuestion = best[i]?.source ?? '';
    return { entry, bestQuestion, raw: raws[i], concept: concept[i], fuse: fuzzy[i], confidence: calibrate(raws[i], raws[i] - bestOther) };
  });
  scored.sort((x, y) => y.raw - x.raw || y.confidence - x.confidence);
  return { scored, topics, anchored };
}

/**
 * The `uncoveredPortal` topic a message asks about, unless it is anchored to portal access: "how do I see my
 * mother's chart" is uncovered, "I forgot my password and need to see my mother's chart" is a password question.
 */
function uncoveredTopic(index: Index, words: readonly string[], tokens: readonly string[]): string | undefined {
  if (index.uncovered.length === 0 || isAnchored(tokens)) return undefined;
  return index.uncovered.find((t) => containsPhrase(words, t.phrases))?.topic;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

function toCandidates(scored: readonly Scored[], max: number): Candidate[] {
  return scored
    .filter((s) => s.raw > 0)
    .slice(0, max)
    .map((s) => ({ id: s.entry.id, title: s.entry.title, confidence: round(s.confidence) }));
}

/**
 * Picks the decision type from the ranked, calibrated scores. An out-of-scope message with no account anchor
 * never gets "did you mean": offering "Cancel" for "cancel my appointment" would only mislead.
 */
function choose(scored: readonly Scored[], outOfScope: boolean, options: Required<MatcherOptions>): Decision {
  const candidates = toCandidates(scored, options.maxCandidates);
  const [top, second] = scored;
  if (!top || top.raw <= 0 || top.confidence < options.clarifyThreshold) return { type: 'none', candidates };
  const close = second !== undefined && top.raw - second.raw < options.ambiguityMargin && second.confidence >= options.clarifyThreshold;
  if (top.confidence >= options.answerThreshold && !close) {
    return { type: 'answer', id: top.entry.id, confidence: round(top.confidence), candidates };
  }
  if (outOfScope) return { type: 'none', candidates };
  const plausible = candidates.filter((c) => c.confidence >= options.clarifyThreshold * 0.5);
  return { type: 'clarify', candidates: plausible.length > 0 ? plausible : candidates.slice(0, 1) };
}

/**
 * Builds the matcher for a knowledge base. Slow parts (normaliser vocabulary, IDF, fuse index) happen here, once;
 * `decide` is then well under a millisecond for a typical message.
 * @example createMatcher(kb).decide("forgot my pasword") // { type: 'answer', id: 'reset-password', … }
 */
export function createMatcher(kb: KnowledgeBase, options: MatcherOptions = {}): Matcher {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const index = buildIndex(kb);
  const emergencyEntry = kb.byId.get('emergency');
  const emergencyCandidate: Candidate = { id: 'emergency', title: emergencyEntry?.title ?? 'Emergency', confidence: 1 };

  const isEmergency = (words: readonly string[]): boolean =>
    containsPhrase(maskPhrases(words, index.emergency.exceptions), index.emergency.patterns);

  return {
    decide(text: string): Decision {
      // The words (typo correction is the costly part) once; emergency patterns, concepts and uncovered topics all read them.
      const words = index.normaliser.words(text);
      if (isEmergency(words)) return { type: 'emergency', id: 'emergency', candidates: [emergencyCandidate] };
      const tokens = unique(index.normaliser.concepts(words));
      if (tokens.length === 0) return { type: 'none', candidates: [] };
      const uncovered = uncoveredTopic(index, words, tokens);
      if (uncovered) return { type: 'none', candidates: [], uncovered };
      const { scored, topics, anchored } = scoreAll(index, tokens);
      return choose(scored, topics.length > 0 && !anchored, opts);
    },
    emergencyAsTyped: (text) => isEmergency(index.normaliser.wordsAsTyped(text)),
    explain(text: string): Explanation {
      const words = index.normaliser.words(text);
      const tokens = unique(index.normaliser.concepts(words));
      const { scored, topics, anchored } = scoreAll(index, tokens, true);
      const uncovered = uncoveredTopic(index, words, tokens);
      return {
        tokens,
        ...(uncovered ? { uncoveredTopic: uncovered } : {}),
        outOfScopeTopics: topics,
        anchored,
        scores: scored.map((s) => ({
          id: s.entry.id,
          raw: round(s.raw),
          concept: round(s.concept),
          fuse: round(s.fuse),
          confidence: round(s.confidence),
          bestQuestion: s.bestQuestion,
        })),
      };
    },
  };
}
