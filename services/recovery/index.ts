/**
 * The recovery use cases: plain functions over typed inputs, with no HTTP and no dialogs, so the chat
 * flows and the reset page are thin adapters over them and each can be tested with Redis alone.
 *
 * `createRecovery(deps)` binds them to one set of services (built once in bot/app.ts).
 */
import type { Caller, RecoveryDeps } from './deps';
import { recoverUsername, type UsernameRecoveryInput, type UsernameRecoveryOutcome } from './recoverUsername';
import { emailResetLink, type ResetEmailOutcome } from './resetByEmail';
import { issueChatResetLink, type ChatResetLink } from './chatResetLink';
import { beginSecurityQuestions, checkSecurityAnswer, securityQuestion, type AnswerInput, type AnswerVerdict } from './securityQuestions';
import { redeemPracticeToken, type PracticeTokenOutcome } from './practiceToken';
import { checkResetLink, completePasswordReset, type PasswordResetOutcome, type ResetLinkProblem } from './completeReset';
import { filePracticeRequest, practiceRequestStatus, sendHeldSummary, type FileRequestOutcome } from './practiceRequest';
import type { NewPracticeRequest, RequestStatus } from '../requests';
import {
  checkEnrollLink,
  checkUsername,
  createAccount,
  inviteToEnroll,
  redeemEnrollmentToken,
  verifyEmail,
  type CreateAccountInput,
  type CreateAccountOutcome,
  type EnrollLinkProblem,
  type EnrollmentTokenOutcome,
  type InviteOutcome,
  type UsernameCheck,
  type VerifyEmailOutcome,
} from './enrollment';

export * from './deps';
export { TurnAbandonedError, TurnScope, attachTurnScope, turnScopeIn } from './turnScope';
export * from './links';
export { accountLimitKey, withinLimits } from './guards';
export { decoyQuestions } from './securityQuestions';
export { ENROLL_INVITE_DAYS, ENROLL_LINK_MINUTES, ENROLL_QUESTIONS, VERIFY_EMAIL_HOURS, enrollUrl, verifyEmailUrl, type CreateAccountProblems } from './enrollment';
export type {
  CreateAccountInput,
  CreateAccountOutcome,
  EnrollLinkProblem,
  EnrollmentTokenOutcome,
  InviteOutcome,
  UsernameCheck,
  VerifyEmailOutcome,
  AnswerInput,
  AnswerVerdict,
  ChatResetLink,
  FileRequestOutcome,
  PasswordResetOutcome,
  PracticeTokenOutcome,
  ResetEmailOutcome,
  ResetLinkProblem,
  UsernameRecoveryInput,
  UsernameRecoveryOutcome,
};

export interface Recovery {
  recoverUsername(input: UsernameRecoveryInput, caller: Caller): Promise<UsernameRecoveryOutcome>;
  emailResetLink(login: string, caller: Caller): Promise<ResetEmailOutcome>;
  beginSecurityQuestions(caller: Caller): Promise<void>;
  securityQuestion(username: string, index: 0 | 1, caller: Caller): ReturnType<typeof securityQuestion>;
  checkSecurityAnswer(input: AnswerInput, caller: Caller): Promise<AnswerVerdict>;
  issueChatResetLink(username: string, via: 'questions' | 'practice-token', caller: Caller): Promise<ChatResetLink>;
  redeemPracticeToken(input: { username: string; token: string }, caller: Caller): Promise<PracticeTokenOutcome>;
  checkResetLink(token: string): ReturnType<typeof checkResetLink>;
  completePasswordReset(input: { token: string; password: string; confirm: string }): Promise<PasswordResetOutcome>;
  filePracticeRequest(input: Omit<NewPracticeRequest, 'conversationRef'>, caller: Caller): Promise<FileRequestOutcome>;
  practiceRequestStatus(requestId: string, caller: Caller): Promise<RequestStatus | null | 'limited'>;
  /** The summary of practice notices held back over STAFF_NOTIFY_PER_HOUR, once an hour has room (the app's timer). */
  sendHeldSummary(): Promise<number>;
  /** Enrollment token + last name + date of birth (`YYYY-MM-DD`) → a one-time create-account link, or one uniform failure. */
  redeemEnrollmentToken(input: { token: string; lastName: string; dateOfBirth: string }, caller: Caller): Promise<EnrollmentTokenOutcome>;
  checkEnrollLink(token: string): Promise<{ ok: true } | { ok: false; problem: EnrollLinkProblem }>;
  /** The create-account page's live "available?" check (limited per client IP). */
  checkUsername(username: string, caller: Caller): Promise<UsernameCheck>;
  createAccount(input: CreateAccountInput): Promise<CreateAccountOutcome>;
  verifyEmail(token: string): Promise<VerifyEmailOutcome>;
  /** Emails a create-account link (7 days) to the patient's notification address; `requestId`: the enrollment request it answers. */
  inviteToEnroll(patientId: string, opts?: { requestId?: string }): Promise<InviteOutcome>;
}

export interface RecoveryOptions {
  /**
   * Floor (ms) of every use case whose work depends on whether an account exists (RECOVERY_MIN_MS). The
   * known-account path does more (mail enqueue, token issue, audit), so without a floor its reply time
   * tells known from unknown accounts; with a floor above the slow path's p99 both take the floor.
   */
  minMs?: number;
}

/** Runs `fn`, then waits until at least `minMs` passed since it started (whether it succeeded or threw). */
async function atLeast<T>(minMs: number, fn: () => Promise<T>): Promise<T> {
  if (minMs <= 0) return fn();
  const until = performance.now() + minMs;
  try {
    return await fn();
  } finally {
    const left = until - performance.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
  }
}

export function createRecovery(deps: RecoveryDeps, options: RecoveryOptions = {}): Recovery {
  // Mail a use case sends during a chat turn (`caller.turn`) is held by the turn's scope and queued only once
  // the turn committed (state saved), so a turn that fails or misses its deadline sends none (see
  // turnScope.ts); `sendNow` still queues at once. Outside a turn (the reset page, the staff console, the admin
  // CLI) every mail is queued at once.
  const depsOf = ({ turn }: Caller): RecoveryDeps => {
    if (!turn) return deps;
    const { mailer } = deps;
    return {
      ...deps,
      mailer: {
        send: async (msg) => turn.deferMail(msg.idempotencyKey, () => mailer.send(msg)),
        sendNow: mailer.sendNow ?? ((msg) => mailer.send(msg)),
      },
    };
  };
  const floor = <T>(caller: Caller, fn: () => Promise<T>) => {
    caller.turn?.padFlush(options.minMs ?? 0); // the turn's deferred mail is queued behind a floor too
    return atLeast(options.minMs ?? 0, fn);
  };
  return {
    recoverUsername: (input, caller) => floor(caller, () => recoverUsername(depsOf(caller), input, caller)),
    emailResetLink: (login, caller) => floor(caller, () => emailResetLink(depsOf(caller), login, caller)),
    beginSecurityQuestions: (caller) => beginSecurityQuestions(depsOf(caller), caller),
    securityQuestion: (username, index, caller) => floor(caller, () => securityQuestion(depsOf(caller), username, index)),
    checkSecurityAnswer: (input, caller) => floor(caller, () => checkSecurityAnswer(depsOf(caller), input, caller)),
    issueChatResetLink: (username, via, caller) => issueChatResetLink(depsOf(caller), username, via, caller),
    redeemPracticeToken: (input, caller) => floor(caller, () => redeemPracticeToken(depsOf(caller), input, caller)),
    checkResetLink: (token) => checkResetLink(deps, token),
    completePasswordReset: (input) => completePasswordReset(deps, input),
    filePracticeRequest: (input, caller) => filePracticeRequest(depsOf(caller), input, caller),
    practiceRequestStatus: (requestId, caller) => practiceRequestStatus(depsOf(caller), requestId, caller),
    sendHeldSummary: () => sendHeldSummary(deps),
    redeemEnrollmentToken: (input, caller) => floor(caller, () => redeemEnrollmentToken(depsOf(caller), input, caller)),
    checkEnrollLink: (token) => checkEnrollLink(deps, token),
    checkUsername: (username, caller) => floor(caller, () => checkUsername(depsOf(caller), username, caller)),
    createAccount: (input) => createAccount(deps, input),
    verifyEmail: (token) => verifyEmail(deps, token),
    inviteToEnroll: (patientId, opts) => inviteToEnroll(deps, patientId, opts),
  };
}
