/**
 * The knowledge base as the dialogs use it: loaded with the practice's name, phone and hours filled into
 * its `{{placeholders}}` (the one template filler), its offered actions checked against the flow names, and
 * a matcher that decides each message.
 */
import { createMatcher, type Decision } from '../knowledge/matcher';
import { DEFAULT_KB_FILE, loadKnowledgeBase, type KbEntry, type KnowledgeBase } from '../knowledge/schema';
import { fillTemplate } from '../services/text/template';
import { FLOW_NAMES } from './flow';
import type { PracticeInfo } from './messages';

/** What the dialogs need from the knowledge base. */
export interface FaqService {
  decide(text: string): Decision;
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

/**
 * The KB behind the dialogs. A turn asks about the same text more than once (emergency check, routing,
 * "is this a new question?"), so the last decision is remembered: decide() is pure for a given text.
 */
export function createFaqService(kb: KnowledgeBase): FaqService {
  const matcher = createMatcher(kb);
  let last: { text: string; decision: Decision } | undefined;
  return {
    decide: (text) => {
      if (last?.text !== text) last = { text, decision: matcher.decide(text) };
      return last.decision;
    },
    entry: (id) => kb.byId.get(id),
  };
}
