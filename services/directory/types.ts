/**
 * The practice's patient and portal-account records, and the `PortalDirectory` interface the dialogs,
 * reset page and admin CLI use. Redis is the built-in store (`RedisPortalDirectory`); a practice could put
 * its own portal's API behind the same interface.
 *
 * Password and answer hashes never leave the directory: lookups return `Account` (no hashes), and secrets
 * are checked with `verifyPassword` / `verifySecurityAnswer`.
 */
import type { ImportFile } from './schema';

export type AccountStatus = 'active' | 'unenrolled';

export interface Patient {
  id: string;
  firstName: string;
  lastName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** Where the practice sends notices; not necessarily verified. */
  notificationEmail?: string;
  phone?: string;
}

/** A portal account as callers see it — never with its password or answer hashes. */
export interface Account {
  /** As the patient chose it (lookups are case-insensitive). */
  username: string;
  patientId: string;
  /** A verified account email: the address self-service username recovery and reset links go to. */
  verifiedEmail?: string;
  status: AccountStatus;
}

export interface AccountMatch {
  patient: Patient;
  account: Account;
}

/** A new account, as the create-account page submits it. */
export interface NewAccount {
  patientId: string;
  username: string;
  password: string;
  securityQuestions: [{ question: string; answer: string }, { question: string; answer: string }];
}

/** The two security questions of an account, in order. */
export type SecurityQuestions = [string, string];

export interface PortalDirectory {
  /**
   * Imports patients (and their optional accounts) all-or-nothing: every record is validated — shape,
   * password policy, and uniqueness of ids, usernames and verified emails against each other and against
   * existing data — before anything is written in one MULTI. Passwords and answers are stored as hashes.
   * @throws ImportError listing every problem by record (index and id) and field.
   */
  importPatients(input: ImportFile | unknown /* parsed JSON, validated here */): Promise<{ patients: number; accounts: number }>;
  /** True when no patient has been imported yet (the host imports the demo file then). */
  isEmpty(): Promise<boolean>;
  getPatient(patientId: string): Promise<Patient | null>;
  /** The account of a patient, if the patient has one. */
  getAccountForPatient(patientId: string): Promise<Account | null>;
  /** Case-insensitive. Returns unenrolled accounts too: the caller decides what they may do. */
  findByUsername(username: string): Promise<AccountMatch | null>;
  findByVerifiedEmail(email: string): Promise<AccountMatch | null>;
  /**
   * The one account whose patient has this notification email, last name (case-, space-, accent- and
   * punctuation-insensitive) and date of birth (`YYYY-MM-DD`); null when none or more than one match.
   */
  findByNotificationEmailLastNameDob(email: string, lastName: string, dateOfBirth: string): Promise<AccountMatch | null>;
  /** Constant-time (argon2); takes as long for an unknown username. */
  verifyPassword(username: string, password: string): Promise<boolean>;
  /**
   * Stores a new password hash.
   * @throws AccountNotFoundError, PasswordPolicyError (the caller should have checked the policy already).
   */
  setPassword(username: string, newPassword: string): Promise<void>;
  getSecurityQuestions(username: string): Promise<SecurityQuestions | null>;
  /** Compares the normalised answer (trimmed, case- and space-insensitive) in constant time. */
  verifySecurityAnswer(username: string, index: 0 | 1, answer: string): Promise<boolean>;
  /**
   * Creates the patient's portal account (argon2id password and answer hashes, status active). The caller
   * checked the username rule, password policy and questions; the directory guarantees uniqueness.
   * `username-taken`: another account has it (case-insensitively); `has-account`: the patient already has one.
   */
  createAccount(input: NewAccount): Promise<'created' | 'username-taken' | 'has-account' | 'no-patient'>;
  /** Makes `email` the account's verified email; `taken` when another account already has it verified. */
  setVerifiedEmail(username: string, email: string): Promise<'set' | 'taken' | 'no-account'>;
  /** Returns false when there is no such account. */
  setStatus(username: string, status: AccountStatus): Promise<boolean>;
}

/** Raised by `importPatients`; nothing was written. `problems` name the record and field of each fault. */
export class ImportError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Import rejected, nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ImportError';
  }
}

export class AccountNotFoundError extends Error {
  constructor() {
    super('No account with that username');
    this.name = 'AccountNotFoundError';
  }
}

export class PasswordPolicyError extends Error {
  constructor(public readonly failedRules: string[]) {
    super(`The password does not meet the policy: ${failedRules.join('; ')}`);
    this.name = 'PasswordPolicyError';
  }
}
