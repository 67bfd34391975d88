/**
 * Fixed wording outside the knowledge base: the router's (welcome, "I don't know", the top tasks) and the
 * account flows' uniform replies, which read the same whether or not an account exists. Lifetimes come
 * from the rules that set them. FAQ answers themselves live in knowledge/faq.json.
 */
import type { Config } from '../services/config';
import { isPracticeOpen } from '../services/practice/hours';
import { EMAIL_LINK_MINUTES, ENROLL_INVITE_DAYS, PRACTICE_TOKEN_DAYS } from '../services/recovery';
import type { RequestKind } from '../services/requests';
import type { Choice } from './input';

export type PracticeInfo = Config['practice'];

export const WELCOME = (practiceName: string): string =>
  `Hi! I'm the ${practiceName} patient portal assistant. I can answer questions about the portal and help you get back into your account. ` +
  `Please don't share medical details here. What can I help you with?`;

/** Said once, before the help, when a message shows frustration. */
export const FRUSTRATION_ACK = "I'm sorry this has been frustrating. Let's get it sorted out.";

export const CANCELLED = "OK, I've stopped that. What can I help you with?";

export const NOT_UNDERSTOOD =
  "Sorry, I don't have an answer for that. I can only help with the patient portal: signing up, usernames, passwords and account access. Could you say it another way, or pick one of these?";

/** A portal question the KB knows it does not answer (knowledge/faq.json `uncoveredPortal`): said before the practice's contact. */
export const UNCOVERED = "I'm sorry, I don't have that answer. The practice can help with it.";

/** Offered after UNCOVERED and the practice's contact. */
export const UNCOVERED_OFFER = 'Would you like to talk to a person from the practice?';

/** How an SMS patient asks for the full answer after a short SMS form. */
export const SMS_MORE_HINT = 'Reply MORE for details.';

export const NOT_UNDERSTOOD_AGAIN =
  "I'm sorry, I still don't know how to help with that. Would you like to talk to a person from the practice?";

/** The top tasks offered on welcome, greeting, help and after a miss. */
export function topTaskChoices(): Array<Choice & { entryId: string }> {
  return [
    { label: 'Recover my username', value: 'Recover my username', entryId: 'recover-username' },
    { label: 'Reset my password', value: 'Reset my password', entryId: 'reset-password' },
    { label: "My enrollment token doesn't work", value: "My enrollment token doesn't work", entryId: 'enroll-token-not-working' },
    { label: 'Talk to a person', value: 'Talk to a person', entryId: 'handoff' },
  ];
}

/** The KB's emergency answer (911 / 988), with a fixed fallback should the entry ever be missing. */
export function emergencyAnswer(faq: { entry(id: string): { answer: string } | undefined }): string {
  return faq.entry('emergency')?.answer ?? 'If this is an emergency, call 911 now. For a mental health crisis, call or text 988.';
}

/** Said after the emergency answer when a one-word name or security answer only looked like an emergency word. */
export const EMERGENCY_KEPT_ANSWER = "If you typed that as your answer to my question, I've taken it, and we can carry on.";

/** What the emergency answer adds when it stopped a flow. */
export const EMERGENCY_STOPPED_FLOW = "I've stopped what we were doing. When you're safe, you can start again at any time.";

/** How to reach the practice, saying whether it is open right now. */
export function contactPracticeText(practice: PracticeInfo, now = new Date()): string {
  const open = isPracticeOpen(practice.hours, practice.timeZone, now);
  return open
    ? `A person on the ${practice.name} team can help you. They're open now: please call ${practice.phone} (hours: ${practice.hours.text}).`
    : `A person on the ${practice.name} team can help you. The office is closed right now; please call ${practice.phone} during office hours (${practice.hours.text}).`;
}

/** Replies of the account flows that must not differ whether or not an account exists. */
export const UNIFORM = {
  usernameSent:
    "Thanks. If that address is on an account, we've sent the username to it. Please check your inbox (and your spam folder) in the next few minutes.",
  resetLinkSent: `Thanks. If that matches an account with a verified email, we've emailed a link to reset your password. The link works once and expires in ${EMAIL_LINK_MINUTES} minutes.`,
  practiceTokenFailed: `Sorry, that username and token don't match a valid reset token. Tokens work once and expire after ${PRACTICE_TOKEN_DAYS} days. Please check the token and try again, or ask the practice for a new one.`,
};

/**
 * A practice request, per kind (dialogs/practiceRequestDialog.ts): what the bot offers to ask for, and what
 * happens once it is filed. The same words whether or not the details match a patient (the bot never checks).
 */
export const REQUEST_WORDING: Record<RequestKind, { intro: string; filed: string }> = {
  'token-renewal': {
    intro: 'I can ask the practice to send you a new enrollment token.',
    filed: 'The practice will send you a new enrollment token. Once it is issued, your old token stops working automatically.',
  },
  reactivation: {
    intro: 'I can ask the practice to reactivate your portal account.',
    filed: 'The practice will review your account and let you know once it is active again.',
  },
  'reset-token': {
    intro: 'I can ask the practice for a password reset token.',
    filed: 'The practice will contact you with a password reset token. When you have it, tell me "I have my password reset token".',
  },
  enrollment: {
    intro: 'I can ask the practice to enroll you in the patient portal, no token needed.',
    filed: `Once the practice has checked your details, they will email an invitation to the address on your patient record. Its link lets you create your portal account and works for ${ENROLL_INVITE_DAYS} days. If they have no email for you, they will contact you.`,
  },
};
