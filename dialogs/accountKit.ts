/**
 * What the account dialogs share: their service dependencies, the flows they can hand over to, the
 * uniform wording (identical whether or not an account exists) and small helpers.
 */
import type { TurnContext } from 'botbuilder';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { PortalDirectory } from '../services/directory';
import type { TokenService } from '../services/tokens';
import type { Mailer } from '../services/mail';
import type { AuditLog } from '../services/audit';
import type { Limits, SecurityQuestionLock } from '../services/limits';
import type { RequestQueue } from '../services/requests';
import type { Sealer } from '../services/state/sealer';
import { hmac, sha256 } from '../services/crypto';
import type { Choice } from '../bot/render';

export interface AccountDeps {
  directory: PortalDirectory;
  tokens: TokenService;
  mailer: Pick<Mailer, 'send'>;
  audit: AuditLog;
  limits: Limits;
  securityLock: SecurityQuestionLock;
  requests: RequestQueue;
  sealer: Sealer;
  logger: Logger;
  publicBaseUrl: string;
  practice: Config['practice'];
  serverSecret: string;
  practiceNotifyEmail: string | undefined;
}

/** Every flow a dialog can hand the conversation to when it ends. */
export type FlowName =
  | 'recover-username'
  | 'reset-password'
  | 'reset-by-questions'
  | 'reset-by-token'
  | 'renew-token'
  | 'request-reset-token'
  | 'reactivate'
  | 'request-status'
  | 'contact-practice'
  | 'handoff';

/** What an action dialog returns: another flow to start, or text to route as a new question. */
export interface FlowResult {
  next?: FlowName;
  /** Options for the next flow (e.g. the reason shown by contact-practice, a request reference). */
  nextOptions?: Record<string, string>;
  reroute?: string;
}

/** Lifetimes of reset links, by how the patient proved who they are. */
export const EMAIL_LINK_MINUTES = 30;
export const CHAT_LINK_MINUTES = 10;

/** An opaque, stable reference to this conversation for audit events and limits (never the raw id). */
export function conversationRef(context: TurnContext): string {
  return sha256(`${context.activity.channelId}/${context.activity.conversation.id}`).slice(0, 16);
}

export function resetUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/reset?token=${encodeURIComponent(token)}`;
}

/** A neutral key for limits on an account (or on a username that may not exist). */
export function accountLimitKey(secret: string, username: string): string {
  return hmac(secret, `limit:${username.trim().toLowerCase()}`).slice(0, 24);
}

/**
 * Questions used as decoys for usernames that do not exist, so the security-question path looks the same
 * either way. Practices should draw real accounts' questions from this list too.
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
];

/** Two distinct pool questions chosen from the username with a keyed hash: the same every time. */
export function decoyQuestions(secret: string, username: string): [string, string] {
  const digest = hmac(secret, `decoy:${username.trim().toLowerCase()}`);
  const n = SECURITY_QUESTION_POOL.length;
  const first = parseInt(digest.slice(0, 8), 16) % n;
  const second = (first + 1 + (parseInt(digest.slice(8, 16), 16) % (n - 1))) % n;
  return [SECURITY_QUESTION_POOL[first], SECURITY_QUESTION_POOL[second]];
}

export const choice = (label: string, synonyms: string[] = []): Choice => ({ label, value: label, synonyms });

export const CHOICES = {
  noVerifiedEmail: choice("I don't have a verified email", ['no verified email', 'not verified', 'no', 'none', "i don't know"]),
  noEmailAtAll: choice("I don't have any email", ['no email', 'none', 'no', "i don't have one"]),
  noEmailReset: choice("I don't have an email", ['no email', 'no', 'none']),
  haveToken: choice('I have a reset token', ['token', 'i have my password reset token', 'reset token']),
  securityQuestions: choice('Answer my security questions', ['security questions', 'questions']),
  requestToken: choice('Ask the practice for a reset token', ['ask for a token', 'request a token', 'need a token']),
  forgotUsername: choice("I don't know my username", ['forgot username', "don't know"]),
  person: choice('Talk to a person', ['person', 'human', 'agent', 'staff']),
  tryAgain: choice('Try again', ['again', 'retry']),
  noThanks: choice('No thanks', ['no', 'nope', 'done', "that's all"]),
};

export const UNIFORM = {
  usernameSent:
    "Thanks. If that address is on an account, we've sent the username to it. Please check your inbox (and your spam folder) in the next few minutes.",
  resetLinkSent: `Thanks. If that matches an account with a verified email, we've emailed a link to reset your password. The link works once and expires in ${EMAIL_LINK_MINUTES} minutes.`,
  practiceTokenFailed:
    "Sorry, that username and token don't match a valid reset token. Tokens work once and expire after 7 days. Please check the token and try again, or ask the practice for a new one.",
};
