/**
 * The default knowledge base and matcher, wired from the practice configuration. Used by the CLIs and tests;
 * the bot host builds its own from its already-loaded config (bot/app.ts), so configuration is read once there.
 */
import { loadConfig } from '../services/config';
import { createMatcher, type Matcher, type MatcherOptions } from './matcher';
import { DEFAULT_KB_FILE, loadKnowledgeBase, placeholdersFromConfig, type KnowledgeBase } from './schema';

/** Loads knowledge/faq.json with placeholders from the environment's practice settings. */
export function loadDefaultKnowledgeBase(file = DEFAULT_KB_FILE): KnowledgeBase {
  return loadKnowledgeBase(file, placeholdersFromConfig(loadConfig()));
}

/** `createMatcher` over the default knowledge base. */
export function loadDefaultMatcher(options?: MatcherOptions): Matcher {
  return createMatcher(loadDefaultKnowledgeBase(), options);
}
