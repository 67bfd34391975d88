/**
 * The reset page's work, apart from HTTP: what state a link is in, and completing a password change —
 * check the link and the policy, consume the link (of two simultaneous submits exactly one wins), set the
 * new hash, revoke the account's other links, audit, and email a "your password was changed" notice to the
 * addresses on file (never to one typed in chat).
 */
import { sha256 } from '../crypto';
import { checkPasswordPolicy, type PasswordPolicyResult } from '../passwords';
import type { ResetLinkState } from '../tokens';
import type { RecoveryDeps } from './deps';

export type ResetLinkProblem = Exclude<ResetLinkState, 'valid'>;

/** Audits a link that did not work, by account ref when the link named one. */
async function auditLinkProblem(deps: RecoveryDeps, state: ResetLinkProblem, username?: string): Promise<void> {
  await deps.audit.record({
    type: state === 'expired' ? 'reset-link-expired' : 'reset-link-invalid',
    accountRef: username ? deps.audit.accountRef(username) : undefined,
    detail: { state },
  });
}

/** Whether a link can be used now; a link that cannot is audited. */
export async function checkResetLink(deps: RecoveryDeps, token: string): Promise<{ ok: true } | { ok: false; problem: ResetLinkProblem }> {
  const info = token ? await deps.tokens.inspectResetLink(token) : { state: 'unknown' as const, username: undefined };
  if (info.state === 'valid') return { ok: true };
  await auditLinkProblem(deps, info.state, info.username);
  return { ok: false, problem: info.state };
}

export type PasswordResetOutcome =
  | { kind: 'link-problem'; problem: ResetLinkProblem }
  /** The new password fails a rule or the two fields differ: nothing changed. */
  | { kind: 'rejected'; policy: PasswordPolicyResult; matches: boolean }
  /** Changed; `notified` when a notice was queued to at least one address on file. */
  | { kind: 'changed'; notified: boolean };

export async function completePasswordReset(
  deps: RecoveryDeps,
  input: { token: string; password: string; confirm: string },
  now: () => Date = () => new Date(),
): Promise<PasswordResetOutcome> {
  const { tokens, directory, audit } = deps;
  const info = await tokens.inspectResetLink(input.token);
  const problem = async (state: ResetLinkProblem): Promise<PasswordResetOutcome> => {
    await auditLinkProblem(deps, state, info.username);
    return { kind: 'link-problem', problem: state };
  };
  if (info.state !== 'valid' || !info.username) return problem(info.state === 'valid' ? 'unknown' : info.state);
  const match = await directory.findByUsername(info.username);
  if (!match) return problem('unknown');

  const policy = checkPasswordPolicy(input.password, { username: match.account.username, lastName: match.patient.lastName });
  const matches = input.password === input.confirm && input.password.length > 0;
  if (!policy.ok || !matches) return { kind: 'rejected', policy, matches };

  const consumed = await tokens.consumeResetLink(input.token);
  if (!consumed) return problem('used');
  await directory.setPassword(consumed.username, input.password);

  const addresses = [...new Set([match.account.verifiedEmail, match.patient.notificationEmail].filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase()))];
  // The password has changed: what follows must not turn the patient's success into an error.
  try {
    await tokens.revokeResetLinks(consumed.username);
    const accountRef = audit.accountRef(consumed.username);
    await audit.record({ type: 'reset-link-used', accountRef, detail: { via: info.via ?? 'email' } });
    await audit.record({ type: 'password-changed', accountRef, patientId: match.patient.id });
    const time = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: deps.practiceTimeZone }).format(now());
    for (const to of addresses) {
      await deps.mailer.send({ to, template: 'password-changed', data: { time }, idempotencyKey: `password-changed:${sha256(`${input.token}:${to}`)}` });
    }
  } catch (err) {
    deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'after password change: follow-up failed');
  }
  return { kind: 'changed', notified: addresses.length > 0 };
}
