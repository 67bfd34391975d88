/** Shared fixtures for the knowledge tests: the real KB with fixed placeholder values (no environment needed). */
import fs from 'node:fs';
import { DEFAULT_KB_FILE, loadKnowledgeBase, type KbLoadOptions, type KnowledgeBase } from '../../knowledge/schema';
import { fillTemplate } from '../../services/text/template';
import { FLOW_NAMES } from '../../dialogs/flow';
import { createMatcher, type Matcher } from '../../knowledge/matcher';

export const PLACEHOLDERS = {
  practiceName: 'Riverside Family Practice',
  practicePhone: '(555) 010-0100',
  practiceHours: 'Mon-Fri 08:00-17:00',
  requestResponseTime: 'usually within one business day',
};

/** Load options as the bot uses them (dialogs/faq.ts): the one template filler, strict, and the flow names as actions. */
export const LOAD_OPTIONS: KbLoadOptions = { fill: (text) => fillTemplate(text, PLACEHOLDERS, { strict: true }), actions: FLOW_NAMES };

let kb: KnowledgeBase | undefined;
let matcher: Matcher | undefined;

/** The shipped knowledge base, loaded once per test file. */
export function realKb(): KnowledgeBase {
  kb ??= loadKnowledgeBase(DEFAULT_KB_FILE, LOAD_OPTIONS);
  return kb;
}

/** A matcher over the shipped knowledge base, built once per test file. */
export function realMatcher(): Matcher {
  matcher ??= createMatcher(realKb());
  return matcher;
}

/** The raw JSON of the shipped KB, for tests that break a copy of it. */
export function rawKb(): { version: number; entries: Record<string, unknown>[]; emergencyPatterns: string[]; outOfScope: { topic: string; terms: string[] }[] } {
  return JSON.parse(fs.readFileSync(DEFAULT_KB_FILE, 'utf8'));
}
