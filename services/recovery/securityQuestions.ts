/**
 * Reset by security questions: the account's two questions, three tries each; a third wrong answer locks
 * this path (only this one) for 24 hours. A username that does not exist gets two decoy questions picked
 * from it with a keyed hash, from the same pool real accounts use, and the same tries and lock, so nothing
 * reveals whether it exists.
 */
import { hmac } from '../crypto';
import { SECURITY_QUESTION_POOL } from '../directory';
import { normaliseIdentifier } from '../text/fold';
import type { Caller, RecoveryDeps } from './deps';
import { withinLimits } from './guards';

/**
 * Two distinct pool questions chosen from the username with a keyed hash: the same for every spelling the
 * directory treats as the same username.
 */
export function decoyQuestions(secret: string, username: string): [string, string] {
  const digest = hmac(secret, `decoy:${normaliseIdentifier(username)}`);
  const n = SECURITY_QUESTION_POOL.length;
  const first = parseInt(digest.slice(0, 8), 16) % n;
  const second = (first + 1 + (parseInt(digest.slice(8, 16), 16) % (n - 1))) % n;
  return [SECURITY_QUESTION_POOL[first], SECURITY_QUESTION_POOL[second]];
}

/** Audits that a reset by security questions began (no account named: the username may not exist). */
export async function beginSecurityQuestions(deps: RecoveryDeps, caller: Caller): Promise<void> {
  await deps.audit.record({ type: 'reset-requested', conversationRef: caller.conversationRef, detail: { via: 'questions' } });
}

/** The question to ask next, or `locked` when this path is locked for the account. */
export async function securityQuestion(
  deps: RecoveryDeps,
  username: string,
  index: 0 | 1,
): Promise<{ kind: 'question'; question: string } | { kind: 'locked' }> {
  if (await deps.securityLock.isLocked(username)) return { kind: 'locked' };
  const questions = (await deps.directory.getSecurityQuestions(username)) ?? decoyQuestions(deps.serverSecret, username);
  return { kind: 'question', question: questions[index] };
}

export type AnswerVerdict =
  | { kind: 'right' }
  | { kind: 'wrong'; triesLeft: number }
  | { kind: 'locked' }
  /** Not an answer but a question ("how do I enroll"): no try counted. */
  | { kind: 'not-an-answer' }
  | { kind: 'limited' };

export interface AnswerInput {
  username: string;
  index: 0 | 1;
  answer: string;
  /** True when the text is really a new question rather than an answer (decided by the conversation layer). */
  isNotAnAnswer?: (text: string) => boolean;
}

/**
 * Checks one answer. One check at a time per account (across conversations and instances), and never once
 * the path is locked, so parallel guesses cannot outrun the three tries.
 */
export async function checkSecurityAnswer(deps: RecoveryDeps, input: AnswerInput, caller: Caller): Promise<AnswerVerdict> {
  const { username, index, answer } = input;
  const ref = caller.conversationRef;
  const accountRef = deps.audit.accountRef(username);
  if (!(await withinLimits(deps, [['perConversation', ref]], { conversationRef: ref, accountRef, flow: 'security-questions' }))) {
    return { kind: 'limited' };
  }
  const verdict = await deps.accountLock.withLock(accountRef, async (): Promise<AnswerVerdict> => {
    if (await deps.securityLock.isLocked(username)) return { kind: 'locked' };
    if (await deps.directory.verifySecurityAnswer(username, index, answer)) {
      await deps.securityLock.reset(username, index);
      return { kind: 'right' };
    }
    if (input.isNotAnAnswer?.(answer)) return { kind: 'not-an-answer' };
    const { triesLeft, locked } = await deps.securityLock.recordFailure(username, index);
    await deps.audit.record({ type: 'security-answer-failed', accountRef, conversationRef: ref, detail: { question: index + 1, triesLeft } });
    if (locked) {
      // Who set the lock (this conversation and channel user), so staff can tell a lock-out by someone else.
      await deps.audit.record({ type: 'security-path-locked', accountRef, conversationRef: ref, ...(caller.userRef ? { detail: { userRef: caller.userRef } } : {}) });
      return { kind: 'locked' };
    }
    return { kind: 'wrong', triesLeft };
  });
  return verdict;
}
