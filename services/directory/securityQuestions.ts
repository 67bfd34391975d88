/**
 * The security questions a portal account may use. Accounts must pick from this list, because usernames
 * that do not exist are asked decoy questions drawn from it: if real accounts could have other questions,
 * an unusual question would reveal that the username is real.
 */
export const SECURITY_QUESTION_POOL = [
  'What was the name of your first pet?',
  'In what city were you born?',
  'What was the make of your first car?',
  "What is your mother's maiden name?",
  'What was the name of your elementary school?',
  'What is your favorite book?',
  'What was your childhood nickname?',
  'What street did you grow up on?',
  'What was the first concert you attended?',
  'What is the middle name of your oldest sibling?',
  'What was the name of your first teacher?',
  'What was your first job?',
] as const;

const CANONICAL = new Map(SECURITY_QUESTION_POOL.map((q) => [q.toLowerCase(), q]));

/** The pool's wording of a question typed with other case or spacing; undefined when not in the pool. */
export function canonicalQuestion(question: string): string | undefined {
  return CANONICAL.get(question.trim().replace(/\s+/g, ' ').toLowerCase());
}
