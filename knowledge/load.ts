/**
 * The shipped knowledge base and a matcher over it, for the CLIs and tools (kb:ask, kb:eval, calibrate).
 * Answers keep their `{{placeholders}}` here: matching never reads answers, and the knowledge layer reads no
 * configuration. The bot fills them from the practice settings when it loads the KB (dialogs/faq.ts).
 */
import { createMatcher, type Matcher, type MatcherOptions } from './matcher';
import { DEFAULT_KB_FILE, loadKnowledgeBase, type KnowledgeBase } from './schema';

/** Loads knowledge/faq.json (or `file`) as written. */
export function loadDefaultKnowledgeBase(file = DEFAULT_KB_FILE): KnowledgeBase {
  return loadKnowledgeBase(file);
}

/** `createMatcher` over the shipped knowledge base. */
export function loadDefaultMatcher(options?: MatcherOptions): Matcher {
  return createMatcher(loadDefaultKnowledgeBase(), options);
}
