/**
 * `PortalDirectory` on Redis — the built-in store.
 *
 * Keys (all through `Keys`):
 * - `pb:{pat:<id>}` hash — the patient; field `account` holds the normalised username, if any;
 * - `pb:patients` set — every patient id (for `isEmpty`);
 * - `pb:{acct:<accountKeyId(username)>}` hash — the account: username, patientId, passwordHash, verifiedEmail,
 *   q0/a0/q1/a1 (question text and argon2id hash of the normalised answer), status;
 * - `pb:email:<identifierKeyId('email', email)>` → normalised username — verified email index (one account
 *   per verified email);
 * - `pb:nemail:<identifierKeyId('email', email)>` set of patient ids — notification email index (a family
 *   may share one).
 *
 * Key names never hold typed text: whatever a person typed (a username, which may really be a mistyped
 * password, or an email) becomes a key only as an HMAC-SHA-256 keyed with SERVER_SECRET of its normalised
 * form (`identifierKeyId`). A plain sha256 of a name or an address can be reversed from a dictionary; the
 * keyed hash cannot without the secret. The bot and the admin CLI agree because both read SERVER_SECRET.
 */
import type { Logger } from '../logger';
import { execWrites, type KeyedWrite, type Keys, type RedisClient } from '../redis';
import { hashSecret, hmac, randomToken, verifyAgainstDummy, verifySecret } from '../crypto';
import { checkPasswordPolicy, failedPasswordRules, normalisePassword } from '../passwords/policy';
import { foldLoose, normaliseIdentifier } from '../text/fold';
import { describeImportPath, formatImportIssues, ImportFileSchema, type ParsedImportFile } from './schema';
import {
  AccountNotFoundError,
  ImportError,
  PasswordPolicyError,
  type Account,
  type AccountMatch,
  type AccountStatus,
  type NewAccount,
  type Patient,
  type PortalDirectory,
  type SecurityQuestions,
} from './types';

export interface RedisPortalDirectoryOptions {
  redis: RedisClient;
  keys: Keys;
  /** SERVER_SECRET: keys the HMACs that stand for usernames and emails in key names. */
  serverSecret: string;
  logger?: Logger;
}

/**
 * The id that stands for a typed identifier (`kind` 'acct' for usernames, 'email' for addresses) in Redis
 * key names: 32 hex of HMAC-SHA-256(secret, kind + normalised value), so every spelling the directory
 * treats as one (case, width, spaces at the ends) gets one key, and the key reveals nothing without the
 * secret. Shared by every service that keys data by account (directory, tokens, security-questions lock).
 * @example accountKeyId(secret, ' ＪＳｍｉｔｈ０１') === accountKeyId(secret, 'jsmith01')
 */
export function identifierKeyId(secret: string, kind: 'acct' | 'email', value: string): string {
  if (!secret) throw new TypeError('serverSecret is required');
  return hmac(secret, `key:${kind}:${normaliseIdentifier(value)}`).slice(0, 32);
}

/** `identifierKeyId` for a username: the `{acct:<id>}` hash tag of every key of one account. */
export function accountKeyId(secret: string, username: string): string {
  return identifierKeyId(secret, 'acct', username);
}

/** Deletes the lock only if we still hold it. */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Writes the account hash only if no account has this key yet (ARGV: field, value, …). */
const HSET_IF_ABSENT = `if redis.call('exists', KEYS[1]) == 1 then return 0 end
for i = 1, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** Deletes KEYS[1] if it holds ARGV[1]. */
const DELETE_IF_VALUE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

/** Sets fields only on an existing hash, so a concurrent delete is not undone by a late write. */
const HSET_IF_EXISTS = `if redis.call('exists', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

export class RedisPortalDirectory implements PortalDirectory {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly logger?: Logger;
  private readonly secret: string;

  constructor({ redis, keys, serverSecret, logger }: RedisPortalDirectoryOptions) {
    if (!serverSecret) throw new TypeError('RedisPortalDirectory: serverSecret is required');
    this.redis = redis;
    this.keys = keys;
    this.secret = serverSecret;
    this.logger = logger;
  }

  private patientKey(id: string): string {
    return this.keys.tagged('pat', id);
  }
  private accountKey(username: string): string {
    return this.keys.tagged('acct', accountKeyId(this.secret, username));
  }
  private emailKey(email: string): string {
    return this.keys.plain('email', identifierKeyId(this.secret, 'email', email));
  }
  private notificationEmailKey(email: string): string {
    return this.keys.plain('nemail', identifierKeyId(this.secret, 'email', email));
  }

  async importPatients(input: unknown): Promise<{ patients: number; accounts: number }> {
    const parsed = ImportFileSchema.safeParse(input);
    if (!parsed.success) throw new ImportError(formatImportIssues(input, parsed.error.issues));
    const file = parsed.data;

    // One import at a time: the existence checks below and the MULTI must not interleave with another import.
    const lockKey = this.keys.plain('lock', 'import');
    const lockValue = randomToken(16);
    if ((await this.redis.set(lockKey, lockValue, 'EX', 300, 'NX')) !== 'OK') {
      throw new ImportError(['another import is running; try again in a few minutes']);
    }
    try {
      await this.checkAgainstExisting(input, file);
      const hashed = await this.hashSecrets(file);
      // One transaction (on a Redis Cluster one per hash tag: see execWrites), after the checks above.
      const writes: KeyedWrite[] = [];
      let accounts = 0;
      file.patients.forEach((p, i) => {
        const patient: Record<string, string> = {
          id: p.id,
          firstName: p.firstName,
          lastName: p.lastName,
          dateOfBirth: p.dateOfBirth,
          createdAt: new Date().toISOString(),
        };
        if (p.notificationEmail) patient.notificationEmail = p.notificationEmail;
        if (p.phone) patient.phone = p.phone;
        if (p.account) patient.account = normaliseIdentifier(p.account.username);
        writes.push(['hset', this.patientKey(p.id), ...Object.entries(patient).flat()]);
        writes.push(['sadd', this.keys.plain('patients'), p.id]);
        if (p.notificationEmail) writes.push(['sadd', this.notificationEmailKey(p.notificationEmail), p.id]);
        const a = p.account;
        const h = hashed[i];
        if (a && h) {
          accounts += 1;
          const account: Record<string, string> = {
            username: a.username,
            patientId: p.id,
            passwordHash: h.password,
            q0: a.securityQuestions[0].question,
            a0: h.answers[0],
            q1: a.securityQuestions[1].question,
            a1: h.answers[1],
            status: a.status,
            createdAt: new Date().toISOString(),
          };
          if (a.verifiedEmail) {
            account.verifiedEmail = a.verifiedEmail;
            writes.push(['set', this.emailKey(a.verifiedEmail), normaliseIdentifier(a.username)]);
          }
          writes.push(['hset', this.accountKey(a.username), ...Object.entries(account).flat()]);
        }
      });
      await execWrites(this.redis, writes).catch((err: Error) => {
        throw new Error(`import ${err.message}`);
      });
      this.logger?.info({ patients: file.patients.length, accounts }, 'patients imported');
      return { patients: file.patients.length, accounts };
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, lockKey, lockValue);
    }
  }

  /** Ids, usernames and verified emails must not exist yet; every clash is reported, none written. */
  private async checkAgainstExisting(input: unknown, file: ParsedImportFile): Promise<void> {
    const checks: Array<{ key: string; problem: string }> = [];
    file.patients.forEach((p, i) => {
      checks.push({ key: this.patientKey(p.id), problem: `${describeImportPath(input, ['patients', i, 'id'])}: a patient with this id already exists` });
      if (p.account) {
        checks.push({
          key: this.accountKey(p.account.username),
          problem: `${describeImportPath(input, ['patients', i, 'account', 'username'])}: an account with this username (ignoring case) already exists`,
        });
        if (p.account.verifiedEmail) {
          checks.push({
            key: this.emailKey(p.account.verifiedEmail),
            problem: `${describeImportPath(input, ['patients', i, 'account', 'verifiedEmail'])}: another account already has this verified email`,
          });
        }
      }
    });
    // One EXISTS per key (keys of many slots: no pipeline on a cluster); ioredis sends them back to back.
    const results = await Promise.all(checks.map((c) => this.redis.exists(c.key)));
    const problems = checks.filter((_, i) => Number(results[i] ?? 0) > 0).map((c) => c.problem);
    if (problems.length) throw new ImportError(problems);
  }

  /** argon2id hashes of every password and normalised answer, a few at a time (each takes ~20 MiB). */
  private async hashSecrets(file: ParsedImportFile): Promise<Array<{ password: string; answers: [string, string] } | undefined>> {
    const out: Array<{ password: string; answers: [string, string] } | undefined> = new Array(file.patients.length);
    const todo = file.patients.map((p, i) => ({ p, i })).filter(({ p }) => p.account);
    const worker = async () => {
      for (let next = todo.shift(); next; next = todo.shift()) {
        const a = next.p.account!;
        const [password, a0, a1] = await Promise.all([
          hashSecret(normalisePassword(a.password)),
          hashSecret(foldLoose(a.securityQuestions[0].answer)),
          hashSecret(foldLoose(a.securityQuestions[1].answer)),
        ]);
        out[next.i] = { password, answers: [a0, a1] };
      }
    };
    await Promise.all([worker(), worker()]);
    return out;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.redis.scard(this.keys.plain('patients'))) === 0;
  }

  async getPatient(patientId: string): Promise<Patient | null> {
    const h = await this.redis.hgetall(this.patientKey(patientId));
    return toPatient(h);
  }

  async getAccountForPatient(patientId: string): Promise<Account | null> {
    const username = await this.redis.hget(this.patientKey(patientId), 'account');
    if (!username) return null;
    return toAccount(await this.redis.hgetall(this.accountKey(username)));
  }

  async findByUsername(username: string): Promise<AccountMatch | null> {
    if (!username.trim()) return null;
    const account = toAccount(await this.redis.hgetall(this.accountKey(username)));
    if (!account) return null;
    const patient = await this.getPatient(account.patientId);
    return patient ? { patient, account } : null;
  }

  async findByVerifiedEmail(email: string): Promise<AccountMatch | null> {
    if (!email.trim()) return null;
    const username = await this.redis.get(this.emailKey(email));
    if (!username) return null;
    const match = await this.findByUsername(username);
    // Guards against a stale index entry: the account must still carry this address.
    if (!match?.account.verifiedEmail || normaliseIdentifier(match.account.verifiedEmail) !== normaliseIdentifier(email)) return null;
    return match;
  }

  async findByNotificationEmailLastNameDob(email: string, lastName: string, dateOfBirth: string): Promise<AccountMatch | null> {
    const wantName = foldLoose(lastName);
    if (!email.trim() || !wantName) return null;
    const ids = await this.redis.smembers(this.notificationEmailKey(email));
    const patients = await Promise.all(ids.map((id) => this.getPatient(id)));
    const matches = patients.filter(
      (p): p is Patient =>
        !!p &&
        !!p.notificationEmail &&
        normaliseIdentifier(p.notificationEmail) === normaliseIdentifier(email) &&
        foldLoose(p.lastName) === wantName &&
        p.dateOfBirth === dateOfBirth.trim(),
    );
    if (matches.length !== 1) return null;
    const patient = matches[0]!;
    const account = await this.getAccountForPatient(patient.id);
    return account ? { patient, account } : null;
  }

  async verifyPassword(username: string, password: string): Promise<boolean> {
    const hash = username.trim() ? await this.redis.hget(this.accountKey(username), 'passwordHash') : null;
    if (!hash) return verifyAgainstDummy(normalisePassword(password));
    return verifySecret(hash, normalisePassword(password));
  }

  async setPassword(username: string, newPassword: string): Promise<void> {
    const match = await this.findByUsername(username);
    if (!match) throw new AccountNotFoundError();
    const policy = checkPasswordPolicy(newPassword, { username: match.account.username, lastName: match.patient.lastName });
    if (!policy.ok) throw new PasswordPolicyError(failedPasswordRules(policy));
    const passwordHash = await hashSecret(normalisePassword(newPassword));
    const updated = await this.redis.eval(
      HSET_IF_EXISTS,
      1,
      this.accountKey(username),
      'passwordHash',
      passwordHash,
      'passwordChangedAt',
      new Date().toISOString(),
    );
    if (Number(updated) !== 1) throw new AccountNotFoundError();
    this.logger?.info({ patientId: match.patient.id }, 'password hash replaced');
  }

  async getSecurityQuestions(username: string): Promise<SecurityQuestions | null> {
    if (!username.trim()) return null;
    const [q0, q1] = await this.redis.hmget(this.accountKey(username), 'q0', 'q1');
    return q0 && q1 ? [q0, q1] : null;
  }

  async verifySecurityAnswer(username: string, index: 0 | 1, answer: string): Promise<boolean> {
    const normalised = foldLoose(answer);
    if (index !== 0 && index !== 1) return false;
    const hash = username.trim() ? await this.redis.hget(this.accountKey(username), index === 0 ? 'a0' : 'a1') : null;
    if (!hash) return verifyAgainstDummy(normalised);
    return verifySecret(hash, normalised);
  }

  async createAccount(input: NewAccount): Promise<'created' | 'username-taken' | 'has-account' | 'no-patient'> {
    const patient = await this.getPatient(input.patientId);
    if (!patient) return 'no-patient';
    if (await this.redis.hget(this.patientKey(patient.id), 'account')) return 'has-account';
    const policy = checkPasswordPolicy(input.password, { username: input.username, lastName: patient.lastName });
    if (!policy.ok) throw new PasswordPolicyError(failedPasswordRules(policy));
    const [passwordHash, a0, a1] = await Promise.all([
      hashSecret(normalisePassword(input.password)),
      hashSecret(foldLoose(input.securityQuestions[0].answer)),
      hashSecret(foldLoose(input.securityQuestions[1].answer)),
    ]);
    const now = new Date().toISOString();
    const fields = {
      username: input.username,
      patientId: patient.id,
      passwordHash,
      q0: input.securityQuestions[0].question,
      a0,
      q1: input.securityQuestions[1].question,
      a1,
      status: 'active',
      createdAt: now,
      passwordChangedAt: now,
    };
    const accountKey = this.accountKey(input.username);
    // Two steps on two hash slots (Cluster-safe): claim the username, then the patient; undo the first if the second lost a race.
    if (Number(await this.redis.eval(HSET_IF_ABSENT, 1, accountKey, ...Object.entries(fields).flat())) !== 1) return 'username-taken';
    if (Number(await this.redis.hsetnx(this.patientKey(patient.id), 'account', normaliseIdentifier(input.username))) !== 1) {
      await this.redis.del(accountKey);
      return 'has-account';
    }
    this.logger?.info({ patientId: patient.id }, 'account created');
    return 'created';
  }

  async setVerifiedEmail(username: string, email: string): Promise<'set' | 'taken' | 'no-account'> {
    const match = await this.findByUsername(username);
    if (!match) return 'no-account';
    const user = normaliseIdentifier(match.account.username);
    const key = this.emailKey(email);
    const claimed = await this.redis.set(key, user, 'NX');
    if (claimed !== 'OK' && (await this.redis.get(key)) !== user) {
      // A stale index entry (its account no longer carries the address) may be taken over.
      if (await this.findByVerifiedEmail(email)) return 'taken';
      await this.redis.set(key, user);
    }
    const previous = match.account.verifiedEmail;
    if (previous && normaliseIdentifier(previous) !== normaliseIdentifier(email)) await this.redis.eval(DELETE_IF_VALUE, 1, this.emailKey(previous), user);
    await this.redis.eval(HSET_IF_EXISTS, 1, this.accountKey(user), 'verifiedEmail', email.trim(), 'emailVerifiedAt', new Date().toISOString());
    return 'set';
  }

  async setStatus(username: string, status: AccountStatus): Promise<boolean> {
    if (status !== 'active' && status !== 'unenrolled') throw new TypeError('status must be "active" or "unenrolled"');
    if (!username.trim()) return false;
    const updated = await this.redis.eval(HSET_IF_EXISTS, 1, this.accountKey(username), 'status', status, 'statusChangedAt', new Date().toISOString());
    return Number(updated) === 1;
  }
}

function toPatient(h: Record<string, string>): Patient | null {
  if (!h.id || !h.lastName || !h.dateOfBirth) return null;
  const patient: Patient = { id: h.id, firstName: h.firstName ?? '', lastName: h.lastName, dateOfBirth: h.dateOfBirth };
  if (h.notificationEmail) patient.notificationEmail = h.notificationEmail;
  if (h.phone) patient.phone = h.phone;
  return patient;
}

function toAccount(h: Record<string, string>): Account | null {
  if (!h.username || !h.patientId) return null;
  const account: Account = {
    username: h.username,
    patientId: h.patientId,
    status: h.status === 'unenrolled' ? 'unenrolled' : 'active',
  };
  if (h.verifiedEmail) account.verifiedEmail = h.verifiedEmail;
  return account;
}
