/**
 * The portal's username and password policy (from the practice's FAQ), in one module shared by the reset
 * page, the import and the directory.
 *
 * Every password rule is reported separately, in a fixed order, so the reset page can show a ✗/✓ line per
 * rule as the patient types, and the server can re-check the same list without JavaScript.
 *
 * @example
 *   checkPasswordPolicy('Sunflower-Trail-42!', { username: 'mgonzalez78', lastName: 'Gonzalez' }).ok // true
 *   checkPasswordPolicy('Password1!', {}).rules.find((r) => r.id === 'not-common')?.ok              // false
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { foldLoose, normaliseIdentifier } from '../text/fold';

export type PasswordRuleId =
  | 'length'
  | 'upper'
  | 'lower'
  | 'number'
  | 'special'
  | 'no-edge-space'
  | 'no-hidden'
  | 'not-common'
  | 'no-username'
  | 'no-last-name';

export interface PasswordRuleResult {
  id: PasswordRuleId;
  /** Patient-friendly wording, shown next to ✗/✓. */
  label: string;
  ok: boolean;
}

export interface PasswordPolicyResult {
  ok: boolean;
  rules: PasswordRuleResult[];
}

export interface PasswordContext {
  username?: string;
  lastName?: string;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;

/** The rules in display order, with their labels. */
export const PASSWORD_RULES: ReadonlyArray<{ id: PasswordRuleId; label: string }> = [
  { id: 'length', label: `Between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters long` },
  { id: 'upper', label: 'At least one capital (upper-case) letter' },
  { id: 'lower', label: 'At least one small (lower-case) letter' },
  { id: 'number', label: 'At least one number' },
  { id: 'special', label: 'At least one special character, such as ! ? # @ or -' },
  { id: 'no-edge-space', label: 'No spaces at the very start or end' },
  { id: 'no-hidden', label: 'No invisible or control characters' },
  { id: 'not-common', label: 'Not a commonly used password (like "password1")' },
  { id: 'no-username', label: 'Does not contain your username' },
  { id: 'no-last-name', label: 'Does not contain your last name' },
];

/**
 * The ~49,000 most common passwords from `@zxcvbn-ts/language-common` (already lower-case), loaded once
 * on first use so modules that never check a password do not pay for it.
 */
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Characters people pad a common word with to satisfy rules: digits, punctuation, symbols, spaces. */
const PADDING = /^[\p{N}\p{P}\p{S}\s]+|[\p{N}\p{P}\p{S}\s]+$/gu;

/**
 * True when the password is on the common list, or is a trivial variant of a word on it: the
 * lower-cased core left after stripping leading/trailing digits and symbols ("Password1!" → "password",
 * "!Summer2024" → "summer") is itself common. Cores shorter than 4 letters are not judged.
 */
export function isCommonPassword(password: string): boolean {
  const set = commonPasswords();
  const lower = password.trim().toLowerCase();
  if (set.has(lower)) return true;
  const core = lower.replace(PADDING, '');
  return core.length >= 4 && core !== lower && set.has(core);
}

/**
 * The form a password is checked, hashed and verified in: NFKC, so full-width or composed look-alikes of
 * the same characters are one password ("ＡＢＣ" = "ABC").
 */
export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Control and format characters (NUL, zero-width space, direction marks…): invisible, so never in a password. */
const HIDDEN = /[\p{Cc}\p{Cf}]/u;

/**
 * True when `value` (a username, a last name) appears in the password once both are folded to letters and
 * digits: spaces, punctuation, accents, case and width cannot hide it.
 */
function contains(password: string, value: string | undefined): boolean {
  if (!value) return false;
  const needle = foldLoose(normaliseIdentifier(value));
  if ([...needle].length < 3) return false;
  return foldLoose(normaliseIdentifier(password)).includes(needle);
}

/** Checks every rule (on the NFKC form) and reports each one; `ok` is true only when all pass. */
export function checkPasswordPolicy(raw: string, ctx: PasswordContext = {}): PasswordPolicyResult {
  const password = normalisePassword(raw);
  const length = [...password].length;
  const verdicts: Record<PasswordRuleId, boolean> = {
    length: length >= PASSWORD_MIN_LENGTH && length <= PASSWORD_MAX_LENGTH,
    upper: /\p{Lu}/u.test(password),
    lower: /\p{Ll}/u.test(password),
    number: /\p{N}/u.test(password),
    special: /[^\p{L}\p{N}\s]/u.test(password),
    'no-edge-space': password.length > 0 && password === password.trim(),
    'no-hidden': !HIDDEN.test(password),
    'not-common': password.length > 0 && !isCommonPassword(password),
    'no-username': !contains(password, ctx.username),
    'no-last-name': !contains(password, ctx.lastName),
  };
  const rules = PASSWORD_RULES.map((r) => ({ id: r.id, label: r.label, ok: verdicts[r.id] }));
  return { ok: rules.every((r) => r.ok), rules };
}

/** The patient-friendly labels of the rules a password fails (for error messages). */
export function failedPasswordRules(result: PasswordPolicyResult): string[] {
  return result.rules.filter((r) => !r.ok).map((r) => r.label);
}

const USERNAME_MIN = 6;
const USERNAME_MAX = 50;

/**
 * The username rule: 6–50 characters, no whitespace anywhere; case-insensitive for uniqueness. Its wording is
 * read from here wherever the rule is explained (chat re-asks, import errors).
 * @example USERNAME_RULE.check('jsmith01') // true
 */
export const USERNAME_RULE = {
  minLength: USERNAME_MIN,
  maxLength: USERNAME_MAX,
  /** "6 to 50 characters with no spaces" */
  summary: `${USERNAME_MIN} to ${USERNAME_MAX} characters with no spaces`,
  check(username: string): boolean {
    const length = [...username].length;
    return length >= USERNAME_MIN && length <= USERNAME_MAX && !/\s/u.test(username);
  },
} as const;
