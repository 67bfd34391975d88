/**
 * Text folding: the one module that says when two pieces of typed text are "the same".
 *
 * Three foldings, each for one job (the matcher in knowledge/ has its own tokeniser for understanding
 * sentences; this module is about comparing values):
 *
 * - `normaliseIdentifier`: usernames, emails and anything else that names an account. NFKC + full case fold,
 *   trimmed, so "JSmith01", " jsmith01 " and full-width "ＪＳｍｉｔｈ０１" are one identifier. Every lookup,
 *   decoy, limit key, lock key and audit ref uses it, so no spelling can get a different answer.
 * - `foldLoose`: names and security answers. Letters and digits only (accents, spaces and punctuation dropped),
 *   so "Álvarez-Ruiz" = "alvarez ruiz" and "Mrs. Delgado" = "mrs delgado".
 * - `foldTyped`: a patient's reply compared with offered choices ("dont" = "don't" = "don’t").
 */

/**
 * NFKC + case fold, trimmed. `toUpperCase().toLowerCase()` folds the few letters plain lower-casing
 * misses (e.g. "ß" → "ss", final sigma), and NFKC runs again because case mapping can denormalise.
 * @example normaliseIdentifier(' ＪＳｍｉｔｈ０１ ') // 'jsmith01'
 */
export function normaliseIdentifier(text: string): string {
  return text.normalize('NFKC').trim().toUpperCase().toLowerCase().normalize('NFKC');
}

/**
 * Lower-case letters and digits only: the folding for names and security answers.
 * @example foldLoose('Mrs. Delgado') // 'mrsdelgado'
 */
export function foldLoose(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * Folds a typed reply for comparing with choices: lower case, no accents, apostrophes dropped (so "dont",
 * "don't" and "don’t" agree), other punctuation as spaces; "?" is kept so callers can tell a question.
 * @example foldTyped("I don’t have an e-mail") // 'i dont have an e mail'
 */
export function foldTyped(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9? ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
