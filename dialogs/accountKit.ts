/**
 * What the account dialogs share: their service dependencies, the flows they can hand over to, the
 * uniform wording (identical whether or not an account exists) and small helpers.
 */
import type { TurnContext } from 'botbuilder';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';
import type { PortalDirectory } from '../services/directory';
import type { TokenService } from '../services/tokens';
import type { Mailer } from '../services/mail';
import type { AuditLog } from '../services/audit';
import type { LimitName, Limits, SecurityQuestionLock } from '../services/limits';
import type { RequestQueue } from '../services/requests';
import type { Sealer } from '../services/state/sealer';
import type { TurnLock } from '../services/state/turnLock';
import { hmac, sha256 } from '../services/crypto';
import { SECURITY_QUESTION_POOL } from '../services/directory';
import { matchChoice, type Choice } from '../bot/render';
import { ask, say } from './prompts';

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
  /** True when text the patient typed at a question is really a new question the FAQ can answer. */
  isNewQuestion(text: string): boolean;
  /** A per-account lock: one security-answer check at a time per account, whichever instance runs it. */
  accountLock: Pick<TurnLock, 'withLock'>;
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

/**
 * What a flow dialog returns: another flow to start, or `reroute` to treat this turn's message as a new
 * question. (The message itself is never carried in dialog state: it is re-read from the activity.)
 */
export interface FlowResult {
  next?: FlowName;
  /** Options for the next flow (e.g. the reason shown by contact-practice, a request reference). */
  nextOptions?: Record<string, string>;
  reroute?: boolean;
}

/** What a menu option leads to: another flow, the end of this one, or trying this one again. */
export type Outcome = FlowName | 'done' | 'retry';
/** A menu as shown: the same list is rendered and matched, so a typed number always means what it showed. */
export type Menu = Array<[Choice, Outcome]>;

export function askMenu(step: WaterfallStepContext, text: string, menu: Menu): Promise<DialogTurnResult> {
  return ask(step, { text, choices: menu.map(([c]) => c) });
}

/**
 * Ends a flow dialog with what the patient chose from `menu`: the option's flow, `done`, or (`retry`)
 * whatever `retry` does. Anything else typed is routed as a new question.
 */
export async function followChoice(
  step: WaterfallStepContext,
  menu: Menu,
  retry?: () => Promise<DialogTurnResult>,
): Promise<DialogTurnResult> {
  const chosen = matchChoice(typeof step.result === 'string' ? step.result : '', menu.map(([c]) => c));
  const outcome = menu.find(([c]) => c === chosen)?.[1];
  if (outcome === 'retry' && retry) return retry();
  if (outcome === 'done') {
    await say(step.context, 'OK. Is there anything else I can help you with?');
    return step.endDialog({} satisfies FlowResult);
  }
  if (outcome && outcome !== 'retry') return step.endDialog({ next: outcome } satisfies FlowResult);
  return step.endDialog({ reroute: true } satisfies FlowResult);
}

/**
 * When an answer could not be read even after re-asking: a patient who changed the subject gets that
 * question routed; otherwise, the practice's contact details with the reason.
 */
export async function unreadable(step: WaterfallStepContext, deps: Pick<AccountDeps, 'isNewQuestion'>, reason: string): Promise<DialogTurnResult> {
  if (deps.isNewQuestion(step.context.activity.text ?? '')) return step.endDialog({ reroute: true } satisfies FlowResult);
  return step.endDialog({ next: 'contact-practice', nextOptions: { reason } } satisfies FlowResult);
}

/**
 * Consumes each named limit in turn; false (and an audit event) as soon as one is exhausted. A limited
 * request gets the same reply as any other — the caller just does not act on it.
 */
export async function withinLimits(
  deps: Pick<AccountDeps, 'limits' | 'audit'>,
  checks: Array<[LimitName, string]>,
  event: { conversationRef: string; accountRef?: string; flow: string },
): Promise<boolean> {
  for (const [name, key] of checks) {
    if (!(await deps.limits.consume(name, key))) {
      await deps.audit.record({ type: 'rate-limited', conversationRef: event.conversationRef, accountRef: event.accountRef, detail: { flow: event.flow, limit: name } });
      return false;
    }
  }
  return true;
}

/**
 * After the patient proved who they are in chat (security answers, practice token): a one-time link,
 * shown in chat. An unenrolled account gets no link but the way back in (a reactivation request).
 */
export async function showChatResetLink(
  deps: AccountDeps,
  step: WaterfallStepContext,
  username: string,
  via: 'questions' | 'practice-token',
): Promise<DialogTurnResult> {
  const match = await deps.directory.findByUsername(username);
  const accountRef = deps.audit.accountRef(username);
  const ref = conversationRef(step.context);
  if (match?.account.status !== 'active') {
    await deps.audit.record({ type: 'reset-requested', accountRef, conversationRef: ref, detail: { via, outcome: 'not-active' } });
    await say(step.context, 'Thank you. Your portal account is not active at the moment, so a new password would not let you sign in yet.');
    return step.endDialog({ next: 'reactivate' } satisfies FlowResult);
  }
  const { token } = await deps.tokens.issueResetLink(match.account.username, { ttlSeconds: CHAT_LINK_MINUTES * 60, via });
  await deps.audit.record({ type: 'reset-link-issued', accountRef, conversationRef: ref, detail: { via } });
  await say(
    step.context,
    `Thank you, that's right. Here is your one-time link to choose a new password. It works once, for the next ${CHAT_LINK_MINUTES} minutes:\n${resetUrl(deps.publicBaseUrl, token)}`,
  );
  return step.endDialog({} satisfies FlowResult);
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
  dontRemember: choice("I don't remember", ["i don't know", 'no idea', "can't remember", 'forgot', 'not sure']),
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
