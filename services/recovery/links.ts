/**
 * Reset-link lifetimes and URLs: the one place that says how long a link works, read by the use cases
 * that issue links and by every sentence that tells a patient about them.
 */
import { PRACTICE_TOKEN_TTL_SECONDS } from '../tokens';

/** A link emailed to the verified address. */
export const EMAIL_LINK_MINUTES = 30;
/** A link shown in chat after the patient proved who they are (security answers, practice token). */
export const CHAT_LINK_MINUTES = 10;
/** A practice-issued password reset token. */
export const PRACTICE_TOKEN_DAYS = PRACTICE_TOKEN_TTL_SECONDS / (24 * 3600);

/** The reset page's address for a token. */
export function resetUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/reset?token=${encodeURIComponent(token)}`;
}
