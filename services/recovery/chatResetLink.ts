/**
 * After the patient proved who they are in chat (security answers, practice token): a one-time link to
 * show in chat. An account that is not active gets no link (a new password would not let them in).
 */
import type { ResetVia } from '../tokens';
import type { Caller, RecoveryDeps } from './deps';
import { CHAT_LINK_MINUTES, resetUrl } from './links';

export type ChatResetLink = { kind: 'link'; url: string; minutes: number } | { kind: 'not-active' };

export async function issueChatResetLink(
  deps: RecoveryDeps,
  username: string,
  via: Exclude<ResetVia, 'email'>,
  caller: Caller,
): Promise<ChatResetLink> {
  const match = await deps.directory.findByUsername(username);
  const accountRef = deps.audit.accountRef(username);
  const ref = caller.conversationRef;
  if (match?.account.status !== 'active') {
    await deps.audit.record({ type: 'reset-requested', accountRef, conversationRef: ref, detail: { via, outcome: 'not-active' } });
    return { kind: 'not-active' };
  }
  const { token } = await deps.tokens.issueResetLink(match.account.username, { ttlSeconds: CHAT_LINK_MINUTES * 60, via });
  await deps.audit.record({ type: 'reset-link-issued', accountRef, conversationRef: ref, detail: { via } });
  return { kind: 'link', url: resetUrl(deps.publicBaseUrl, token), minutes: CHAT_LINK_MINUTES };
}
