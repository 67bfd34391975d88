/**
 * The knowledge base as the dialogs use it: loaded with the practice's name, phone and hours filled into
 * its `{{placeholders}}` (the one template filler), its offered actions checked against the flow names, and
 * a matcher that decides each message.
 */
import { createMatcher, type Decision } from '../knowledge/matcher';
import { DEFAULT_KB_FILE, loadKnowledgeBase, type KbEntry, type KnowledgeBase } from '../knowledge/schema';
import { sha256 } from '../services/crypto';
import { fillTemplate } from '../services/text/template';
import { FLOW_NAMES } from './flow';
import type { PracticeInfo } from './messages';

/** What the dialogs need from the knowledge base. */
export interface FaqService {
  decide(text: string): Decision;
  /** The emergency patterns on the words as typed, without typo correction (see Matcher.emergencyAsTyped). */
  emergencyAsTyped(text: string): boolean;
  entry(id: string): KbEntry | undefined;
}

/** What patients are told about how soon the practice answers a request when REQUEST_RESPONSE_TIME is not given. */
export const DEFAULT_REQUEST_RESPONSE_TIME = 'usually within one business day';

/**
 * Loads the KB for this practice. `requestResponseTime` fills `{{requestResponseTime}}` (config REQUEST_RESPONSE_TIME).
 * @throws KnowledgeBaseError naming the entry and field (an unknown placeholder, an action no flow performs…).
 */
export function loadPracticeKnowledgeBase(practice: PracticeInfo, requestResponseTime = DEFAULT_REQUEST_RESPONSE_TIME, file = DEFAULT_KB_FILE): KnowledgeBase {
  const values = { practiceName: practice.name, practicePhone: practice.phone, practiceHours: practice.hours.text, requestResponseTime };
  return loadKnowledgeBase(file, { fill: (text) => fillTemplate(text, values, { strict: true }), actions: FLOW_NAMES });
}

/** How many recent decisions the FAQ service remembers (a few hundred turns in flight or just finished). */
export const FAQ_DECISION_CACHE_SIZE = 500;

/**
 * The KB behind the dialogs. A turn asks about the same text more than once (emergency check, routing,
 * "is this a new question?"), and turns of different conversations interleave, so recent decisions are kept
 * in a small LRU: decide() is pure for a given text. The cache is keyed by the sha256 of the text, never the
 * text itself (a message may hold a name or an email), and holds at most `cacheSize` decisions.
 */
export function createFaqService(kb: KnowledgeBase, cacheSize = FAQ_DECISION_CACHE_SIZE): FaqService & { readonly cacheSize: () => number } {
  const matcher = createMatcher(kb);
  // A Map iterates in insertion order: re-inserting on a hit makes its first key the least recently used.
  const recent = new Map<string, Decision>();
  const limit = Math.max(1, Math.floor(cacheSize));
  return {
    decide: (text) => {
      const key = sha256(text);
      let decision = recent.get(key);
      if (decision) {
        recent.delete(key);
      } else {
        decision = matcher.decide(text);
        if (recent.size >= limit) recent.delete(recent.keys().next().value as string);
      }
      recent.set(key, decision);
      return decision;
    },
    emergencyAsTyped: (text) => matcher.emergencyAsTyped(text),
    entry: (id) => kb.byId.get(id),
    cacheSize: () => recent.size,
  };
}
