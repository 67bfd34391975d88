/**
 * Reset with a practice-issued token: the username plus the token staff gave the patient → a one-time
 * link in chat. A wrong pair is one uniform failure; attempts are limited per conversation and per
 * account, and a limited attempt fails the same way without being checked.
 */
import type { Caller, RecoveryDeps } from './deps';
import { accountLimitKey, withinLimits } from './guards';
import { issueChatResetLink, type ChatResetLink } from './chatResetLink';

export type PracticeTokenOutcome = ChatResetLink | { kind: 'failed' };

export async function redeemPracticeToken(
  deps: RecoveryDeps,
  input: { username: string; token: string },
  caller: Caller,
): Promise<PracticeTokenOutcome> {
  const ref = caller.conversationRef;
  const accountRef = deps.audit.accountRef(input.username);
  const allowed = await withinLimits(
    deps,
    [
      ['practiceTokenPerConversation', ref],
      ['perAccount', accountLimitKey(deps.serverSecret, input.username)],
    ],
    { conversationRef: ref, accountRef, flow: 'practice-token' },
  );
  if (!allowed) return { kind: 'failed' };
  if (!(await deps.tokens.redeemPracticeResetToken(input.username, input.token))) {
    await deps.audit.record({ type: 'practice-token-failed', accountRef, conversationRef: ref });
    return { kind: 'failed' };
  }
  await deps.audit.record({ type: 'practice-token-used', accountRef, conversationRef: ref });
  return issueChatResetLink(deps, input.username, 'practice-token', caller);
}
