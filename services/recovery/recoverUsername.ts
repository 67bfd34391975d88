/**
 * Recover a username: email it to the verified account email, or (without one) to the notification email
 * when it, the last name and the date of birth all match one account.
 *
 * The caller tells the patient the same thing whatever happens here: the outcome is for tests and audit
 * only. The username is only ever emailed, never returned.
 */
import type { AccountMatch } from '../directory';
import type { Caller, RecoveryDeps } from './deps';
import { accountLimitKey, withinLimits } from './guards';

export type UsernameRecoveryInput =
  | { via: 'verified-email'; email: string }
  | { via: 'notification-email'; email: string; lastName: string; dateOfBirth: string };

export type UsernameRecoveryOutcome = 'sent' | 'no-match' | 'limited';

export async function recoverUsername(deps: RecoveryDeps, input: UsernameRecoveryInput, caller: Caller): Promise<UsernameRecoveryOutcome> {
  const ref = caller.conversationRef;
  const allowed = await withinLimits(
    deps,
    [
      ['perConversation', ref],
      ['perAccount', accountLimitKey(deps.serverSecret, input.email, 'email')],
    ],
    { conversationRef: ref, flow: 'recover-username' },
  );
  if (!allowed) return 'limited';

  let match: AccountMatch | null;
  let to: string | undefined;
  if (input.via === 'verified-email') {
    match = await deps.directory.findByVerifiedEmail(input.email);
    to = match?.account.verifiedEmail;
  } else {
    match = await deps.directory.findByNotificationEmailLastNameDob(input.email, input.lastName, input.dateOfBirth);
    to = match?.patient.notificationEmail;
  }
  if (!match || !to) {
    await deps.audit.record({ type: 'username-recovery-no-match', conversationRef: ref, detail: { via: input.via } });
    return 'no-match';
  }
  await deps.mailer.send({
    to,
    template: 'username-reminder',
    data: { username: match.account.username },
    idempotencyKey: `username:${ref}:${caller.requestId ?? Date.now()}`,
  });
  await deps.audit.record({
    type: 'username-sent',
    accountRef: deps.audit.accountRef(match.account.username),
    patientId: match.patient.id,
    conversationRef: ref,
    detail: { via: input.via },
  });
  return 'sent';
}
