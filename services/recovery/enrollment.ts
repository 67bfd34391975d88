/**
 * Enrollment (issue 12): redeem a practice-issued enrollment token in chat (token + last name + date of
 * birth → a one-time create-account link), create the account on the page the link opens, verify the optional
 * email, and invite a patient by email to the same page.
 *
 * A wrong token, last name or date of birth — or a patient who already has an account — is one uniform
 * failure; attempts are limited per conversation and per typed token, and a limited attempt fails the same
 * way without being checked. The create-account page reveals nothing about other patients' usernames
 * beyond "not available".
 */
import { sha256 } from '../crypto';
import { SECURITY_QUESTION_POOL, canonicalQuestion } from '../directory';
import { USERNAME_RULE, checkPasswordPolicy, type PasswordPolicyResult } from '../passwords';
import { isContactEmail } from '../requests/request-queue';
import { foldLoose } from '../text/fold';
import { normaliseTypedToken, type ResetLinkState } from '../tokens';
import type { Caller, RecoveryDeps } from './deps';
import { accountLimitKey, callerLimitKey, withinLimits } from './guards';

/** A create-account link shown in chat after token + last name + date of birth. */
export const ENROLL_LINK_MINUTES = 15;
/** A create-account link emailed as an invitation. */
export const ENROLL_INVITE_DAYS = 7;
/** An email-verification link. */
export const VERIFY_EMAIL_HOURS = 48;

export type EnrollLinkProblem = Exclude<ResetLinkState, 'valid'>;

/** The create-account page's address for a link token. */
export function enrollUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/enroll?token=${encodeURIComponent(token)}`;
}
/** The email-verification page's address for a token. */
export function verifyEmailUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/enroll/verify?token=${encodeURIComponent(token)}`;
}

export type EnrollmentTokenOutcome = { kind: 'link'; url: string; minutes: number } | { kind: 'failed' };

export async function redeemEnrollmentToken(
  deps: RecoveryDeps,
  input: { token: string; lastName: string; dateOfBirth: string },
  caller: Caller,
): Promise<EnrollmentTokenOutcome> {
  const ref = caller.conversationRef;
  const typed = normaliseTypedToken(input.token ?? '');
  const allowed = await withinLimits(
    deps,
    [
      ['enrollTokenPerConversation', ref],
      ['enrollTokenPerToken', accountLimitKey(deps.serverSecret, `enroll-token:${typed}`)],
    ],
    { conversationRef: ref, flow: 'enroll-token' },
  );
  if (!allowed) return { kind: 'failed' };
  const found = typed ? await deps.tokens.checkEnrollmentToken(typed) : null;
  const patient = found ? await deps.directory.getPatient(found.patientId) : null;
  const matches =
    !!patient && foldLoose(patient.lastName) === foldLoose(input.lastName ?? '') && patient.dateOfBirth === (input.dateOfBirth ?? '').trim();
  const hasAccount = matches && !!(await deps.directory.getAccountForPatient(patient.id));
  if (!patient || !matches || hasAccount) {
    await deps.audit.record({ type: 'enrollment-token-failed', conversationRef: ref, patientId: matches ? patient?.id : undefined, detail: { hasAccount } });
    return { kind: 'failed' };
  }
  const { token } = await deps.tokens.issueEnrollLink(patient.id, { ttlSeconds: ENROLL_LINK_MINUTES * 60 });
  await deps.audit.record({ type: 'enrollment-token-used', conversationRef: ref, patientId: patient.id });
  await deps.audit.record({ type: 'enroll-link-issued', conversationRef: ref, patientId: patient.id, detail: { via: 'chat' } });
  return { kind: 'link', url: enrollUrl(deps.publicBaseUrl, token), minutes: ENROLL_LINK_MINUTES };
}

/** Whether a create-account link can be used now; a link that cannot is audited. */
export async function checkEnrollLink(deps: RecoveryDeps, token: string): Promise<{ ok: true } | { ok: false; problem: EnrollLinkProblem }> {
  const info = token ? await deps.tokens.inspectEnrollLink(token) : { state: 'unknown' as const, patientId: undefined };
  if (info.state === 'valid' && info.patientId && !(await deps.directory.getAccountForPatient(info.patientId))) return { ok: true };
  const problem: EnrollLinkProblem = info.state === 'valid' ? 'used' : info.state;
  await deps.audit.record({ type: 'enroll-link-invalid', patientId: info.patientId, detail: { state: problem } });
  return { ok: false, problem };
}

export type UsernameCheck = 'ok' | 'invalid' | 'not-available' | 'limited';

/** The page's live check: 'not-available' is all it says about a taken username. Limited per client IP. */
export async function checkUsername(deps: RecoveryDeps, username: string, caller: Caller): Promise<UsernameCheck> {
  const ip = caller.clientIp ?? 'unknown';
  const allowed = await withinLimits(deps, [['enrollUsernameCheckPerIp', callerLimitKey(deps.serverSecret, 'ip', ip)]], { conversationRef: caller.conversationRef, flow: 'enroll-username' });
  if (!allowed) return 'limited';
  const name = (username ?? '').trim();
  if (!USERNAME_RULE.check(name)) return 'invalid';
  return (await deps.directory.findByUsername(name)) ? 'not-available' : 'ok';
}

export interface CreateAccountInput {
  link: string;
  username: string;
  password: string;
  confirm: string;
  questions: Array<{ question: string; answer: string }>;
  email?: string;
}

/** Per-field problems, so the page can re-show the form with every other field kept (never the password). */
export interface CreateAccountProblems {
  username?: 'invalid' | 'not-available';
  password?: PasswordPolicyResult;
  confirm?: 'mismatch';
  questions?: 'choose-two-different' | 'answer-missing';
  email?: 'invalid';
}

export type CreateAccountOutcome =
  | { kind: 'link-problem'; problem: EnrollLinkProblem }
  | { kind: 'rejected'; problems: CreateAccountProblems }
  /** Created; `verificationSent` when a verification link was emailed to the given address. */
  | { kind: 'created'; username: string; verificationSent: boolean };

export async function createAccount(deps: RecoveryDeps, input: CreateAccountInput): Promise<CreateAccountOutcome> {
  const { tokens, directory, audit } = deps;
  const info = await tokens.inspectEnrollLink(input.link ?? '');
  const linkProblem = async (problem: EnrollLinkProblem): Promise<CreateAccountOutcome> => {
    await audit.record({ type: 'enroll-link-invalid', patientId: info.patientId, detail: { state: problem } });
    return { kind: 'link-problem', problem };
  };
  if (info.state !== 'valid' || !info.patientId) return linkProblem(info.state === 'valid' ? 'unknown' : info.state);
  const patient = await directory.getPatient(info.patientId);
  if (!patient) return linkProblem('unknown');
  if (await directory.getAccountForPatient(patient.id)) return linkProblem('used');

  const problems: CreateAccountProblems = {};
  const username = (input.username ?? '').trim();
  if (!USERNAME_RULE.check(username)) problems.username = 'invalid';
  else if (await directory.findByUsername(username)) problems.username = 'not-available';
  const policy = checkPasswordPolicy(input.password ?? '', { username, lastName: patient.lastName });
  if (!policy.ok) problems.password = policy;
  if (!input.password || input.password !== input.confirm) problems.confirm = 'mismatch';
  const questions = (input.questions ?? []).slice(0, 2).map((q) => ({ question: canonicalQuestion(q.question ?? '') ?? '', answer: (q.answer ?? '').trim() }));
  if (questions.length !== 2 || questions.some((q) => !q.question) || questions[0]!.question === questions[1]!.question) problems.questions = 'choose-two-different';
  else if (questions.some((q) => !foldLoose(q.answer))) problems.questions = 'answer-missing';
  const email = (input.email ?? '').trim();
  if (email && !isContactEmail(email)) problems.email = 'invalid';
  if (Object.keys(problems).length > 0) return { kind: 'rejected', problems };

  const created = await directory.createAccount({
    patientId: patient.id,
    username,
    password: input.password,
    securityQuestions: [questions[0]!, questions[1]!],
  });
  if (created === 'username-taken') return { kind: 'rejected', problems: { username: 'not-available' } };
  if (created !== 'created') return linkProblem('used');

  // The account exists: what follows must not turn the patient's success into an error.
  let verificationSent = false;
  try {
    await tokens.consumeEnrollLink(input.link);
    await tokens.revokeEnrollmentToken(patient.id);
    await audit.record({ type: 'account-created', accountRef: audit.accountRef(username), patientId: patient.id });
    if (email) {
      const { token } = await tokens.issueEmailVerification(username, email, { ttlSeconds: VERIFY_EMAIL_HOURS * 3600 });
      await deps.mailer.send({
        to: email,
        template: 'verify-email',
        data: { verifyUrl: verifyEmailUrl(deps.publicBaseUrl, token), hours: String(VERIFY_EMAIL_HOURS) },
        idempotencyKey: `verify-email:${sha256(token)}`,
      });
      await audit.record({ type: 'email-verification-sent', accountRef: audit.accountRef(username), patientId: patient.id });
      verificationSent = true;
    }
  } catch (err) {
    deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'after account creation: follow-up failed');
  }
  return { kind: 'created', username, verificationSent };
}

export type VerifyEmailOutcome = 'verified' | 'invalid' | 'taken';

/** Uses an email-verification link once: the address becomes the account's verified email. */
export async function verifyEmail(deps: RecoveryDeps, token: string): Promise<VerifyEmailOutcome> {
  const taken = await deps.tokens.consumeEmailVerification(token ?? '');
  if (!taken) return 'invalid';
  const result = await deps.directory.setVerifiedEmail(taken.username, taken.email);
  if (result !== 'set') return result === 'taken' ? 'taken' : 'invalid';
  await deps.audit.record({ type: 'email-verified', accountRef: deps.audit.accountRef(taken.username) });
  return 'verified';
}

export type InviteOutcome = { kind: 'sent'; days: number } | { kind: 'no-email' | 'has-account' | 'unknown-patient' };

/**
 * Emails the patient's notification address a one-time create-account link (7 days). The one way to invite:
 * `enrollment:invite` and resolving an `enrollment` request (`requests:resolve`, the staff console) both call it;
 * `requestId` names the request it answers in the audit event.
 */
export async function inviteToEnroll(deps: RecoveryDeps, patientId: string, opts: { requestId?: string } = {}): Promise<InviteOutcome> {
  const patient = await deps.directory.getPatient(patientId);
  if (!patient) return { kind: 'unknown-patient' };
  if (await deps.directory.getAccountForPatient(patient.id)) return { kind: 'has-account' };
  if (!patient.notificationEmail) return { kind: 'no-email' };
  const { token } = await deps.tokens.issueEnrollLink(patient.id, { ttlSeconds: ENROLL_INVITE_DAYS * 24 * 3600 });
  await deps.mailer.send({
    to: patient.notificationEmail,
    template: 'enroll-invitation',
    data: { enrollUrl: enrollUrl(deps.publicBaseUrl, token), days: String(ENROLL_INVITE_DAYS) },
    idempotencyKey: `enroll-invitation:${sha256(token)}`,
  });
  await deps.audit.record({ type: 'enrollment-invited', patientId: patient.id, ...(opts.requestId ? { requestId: opts.requestId } : {}) });
  return { kind: 'sent', days: ENROLL_INVITE_DAYS };
}

/** The questions the page offers (the pool: decoys are drawn from it, so accounts must use it). */
export const ENROLL_QUESTIONS: readonly string[] = SECURITY_QUESTION_POOL;
