/**
 * Fixed wording the router uses outside the knowledge base (welcome, "I don't know", the top tasks).
 * FAQ answers themselves live in knowledge/faq.json.
 */
import { isPracticeOpen, type Config } from '../services/config';
import type { Choice } from '../bot/render';

export const WELCOME = (practiceName: string): string =>
  `Hi! I'm the ${practiceName} patient portal assistant. I can answer questions about the portal and help you get back into your account. ` +
  `Please don't share medical details here. What can I help you with?`;

export const CANCELLED = "OK, I've stopped that. What can I help you with?";

export const NOT_UNDERSTOOD =
  "Sorry, I don't have an answer for that. I can only help with the patient portal: signing up, usernames, passwords and account access. Could you say it another way, or pick one of these?";

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

/** How to reach the practice, saying whether it is open right now. */
export function contactPracticeText(practice: Config['practice'], now = new Date()): string {
  const open = isPracticeOpen(practice.hours, practice.timeZone, now);
  return open
    ? `A person on the ${practice.name} team can help you. They're open now: please call ${practice.phone} (hours: ${practice.hours.text}).`
    : `A person on the ${practice.name} team can help you. The office is closed right now; please call ${practice.phone} during office hours (${practice.hours.text}).`;
}
