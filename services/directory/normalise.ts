/**
 * How people's typed identifiers are compared. One definition each, so the import, the lookups and the
 * password policy all agree on what "the same username" or "the same last name" means.
 */

import { foldText } from '../crypto';

/** Usernames are case-insensitive: "JSmith01" and " jsmith01 " name the same account. */
export function normaliseUsername(username: string): string {
  return username.trim().normalize('NFKC').toLowerCase();
}

/** Emails are compared trimmed and lower-cased (providers treat the local part case-insensitively in practice). */
export function normaliseEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

/**
 * Folds a name for comparison: case-, accent-, space- and punctuation-insensitive, so "Álvarez-Ruiz",
 * "alvarez ruiz" and "ALVAREZRUIZ" match, as do "O'Connor" and "OConnor".
 */
export function foldName(name: string): string {
  return foldText(name);
}
