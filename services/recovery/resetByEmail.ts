/**
 * Reset by email: a one-time link to the account's verified email, found by that email or by the
 * username. Only an active account with a verified email gets one, at most RESET_EMAILS_PER_ACCOUNT_PER_HOUR
 * an hour; the caller's reply is the same either way (the outcome is for tests and audit).
 */
import { sha256 } from '../crypto';
import type { Caller, RecoveryDeps } from './deps';
import { accountLimitKey, withinLimits } from './guards';
import { EMAIL_LINK_MINUTES, resetUrl } from './links';

export type ResetEmailOutcome = 'sent' | 'no-match' | 'limited';

/** `login` is a verified email or a username, as the patient typed it. */
export async function emailResetLink(deps: RecoveryDeps, login: string, caller: Caller): Promise<ResetEmailOutcome> {
  const ref = caller.conversationRef;
  if (!(await withinLimits(deps, [['perConversation', ref]], { conversationRef: ref, flow: 'reset-email' }))) return 'limited';
  const { directory } = deps;
  const match = login.includes('@')
    ? ((await directory.findByVerifiedEmail(login)) ?? (await directory.findByUsername(login)))
    : await directory.findByUsername(login);
  const to = match?.account.status === 'active' ? match.account.verifiedEmail : undefined;
  if (!match || !to) {
    await deps.audit.record({ type: 'reset-requested', conversationRef: ref, detail: { via: 'email', outcome: 'no-verified-email-account' } });
    return 'no-match';
  }
  const accountRef = deps.audit.accountRef(match.account.username);
  await deps.audit.record({ type: 'reset-requested', accountRef, conversationRef: ref, detail: { via: 'email' } });
  const limitKey = accountLimitKey(deps.serverSecret, match.account.username);
  if (!(await withinLimits(deps, [['resetEmailsPerAccount', limitKey]], { conversationRef: ref, accountRef, flow: 'reset-email' }))) return 'limited';
  const { token } = await deps.tokens.issueResetLink(match.account.username, { ttlSeconds: EMAIL_LINK_MINUTES * 60, via: 'email' });
  await deps.mailer.send({
    to,
    template: 'reset-link',
    data: { resetUrl: resetUrl(deps.publicBaseUrl, token), minutes: String(EMAIL_LINK_MINUTES) },
    idempotencyKey: `reset-link:${sha256(token)}`,
  });
  await deps.audit.record({ type: 'reset-link-sent', accountRef, conversationRef: ref, detail: { via: 'email' } });
  return 'sent';
}
