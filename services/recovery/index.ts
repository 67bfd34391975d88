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
import { filePracticeRequest, practiceRequestStatus, type FileRequestOutcome } from './practiceRequest';
import type { NewPracticeRequest, RequestStatus } from '../requests';

export * from './deps';
export * from './links';
export { accountLimitKey, withinLimits } from './guards';
export { decoyQuestions } from './securityQuestions';
export type {
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
  securityQuestion(username: string, index: 0 | 1): ReturnType<typeof securityQuestion>;
  checkSecurityAnswer(input: AnswerInput, caller: Caller): Promise<AnswerVerdict>;
  issueChatResetLink(username: string, via: 'questions' | 'practice-token', caller: Caller): Promise<ChatResetLink>;
  redeemPracticeToken(input: { username: string; token: string }, caller: Caller): Promise<PracticeTokenOutcome>;
  checkResetLink(token: string): ReturnType<typeof checkResetLink>;
  completePasswordReset(input: { token: string; password: string; confirm: string }): Promise<PasswordResetOutcome>;
  filePracticeRequest(input: Omit<NewPracticeRequest, 'conversationRef'>, caller: Caller): Promise<FileRequestOutcome>;
  practiceRequestStatus(requestId: string, caller: Caller): Promise<RequestStatus | null | 'limited'>;
}

export function createRecovery(deps: RecoveryDeps): Recovery {
  return {
    recoverUsername: (input, caller) => recoverUsername(deps, input, caller),
    emailResetLink: (login, caller) => emailResetLink(deps, login, caller),
    beginSecurityQuestions: (caller) => beginSecurityQuestions(deps, caller),
    securityQuestion: (username, index) => securityQuestion(deps, username, index),
    checkSecurityAnswer: (input, caller) => checkSecurityAnswer(deps, input, caller),
    issueChatResetLink: (username, via, caller) => issueChatResetLink(deps, username, via, caller),
    redeemPracticeToken: (input, caller) => redeemPracticeToken(deps, input, caller),
    checkResetLink: (token) => checkResetLink(deps, token),
    completePasswordReset: (input) => completePasswordReset(deps, input),
    filePracticeRequest: (input, caller) => filePracticeRequest(deps, input, caller),
    practiceRequestStatus: (requestId, caller) => practiceRequestStatus(deps, requestId, caller),
  };
}
