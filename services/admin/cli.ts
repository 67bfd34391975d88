/**
 * The admin CLI for practice staff and operators: `npm run --silent admin -- <command>`.
 *
 * `runAdmin(argv, deps, io)` does the work and returns the exit code, so tests call it in-process with
 * their own services and a captured io; `main()` is the thin wrapper that builds the real services from
 * configuration. Exit codes: 0 done / yes, 1 refused / no / failed, 2 usage or configuration error.
 * Errors are one clear line — never a stack trace. Tokens are printed once, as the last stdout line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import type { AuditEvent, AuditLog } from '../audit';
import { createAccountServices } from '../accountServices';
import { ConfigError, loadConfig, readEnvFile, type Config } from '../config';
import { ImportError, type AccountMatch, type PortalDirectory } from '../directory';
import { foldLoose } from '../text/fold';
import { createLogger } from '../logger';
import type { MailMessage } from '../mail';
import { createRedis, Keys } from '../redis';
import { parseRequestId, type PracticeRequest, type RequestQueue } from '../requests';
import type { TokenService } from '../tokens';
import type { SecurityQuestionLock } from '../limits';
import { PRACTICE_TOKEN_DAYS, type InviteOutcome, type Recovery } from '../recovery';
import { MISS_RETENTION_DAYS, RedisMissLog, type MissLog } from '../insights/misses';
import { STAFF_ROLES, StaffDirectory, type StaffRole } from '../staff';

/** What the CLI needs to send mail; the mailer's `send` fits (`services/mail`). */
export type SendMail = (msg: { to: string; template: string; data: Record<string, string>; idempotencyKey: string }) => Promise<void>;

export interface AdminServices {
  directory: PortalDirectory;
  tokens: TokenService;
  requests: RequestQueue;
  audit: AuditLog;
  securityLock: SecurityQuestionLock;
  /** Unanswered-question counts (`kb:misses`). */
  misses?: MissLog;
  /** Staff console accounts (`staff:add`, `staff:disable`). */
  staff?: StaffDirectory;
  sendMail: SendMail;
  /** The use cases (`enrollment:invite`). */
  recovery?: Pick<Recovery, 'inviteToEnroll'>;
  /** Releases connections; called once the command is done. */
  close?: () => Promise<void>;
}

/** The services, or a factory for them (so `help` and usage errors never need Redis). */
export type AdminDeps = AdminServices | (() => Promise<AdminServices>);

export interface AdminIO {
  out(line: string): void;
  err(line: string): void;
  /** All of stdin (for `accounts:check-password`). */
  readStdin(): Promise<string>;
}

/** A problem the operator fixes by changing the command or the environment: exit 2. */
export class AdminUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminUsageError';
  }
}

interface Parsed {
  args: string[];
  flags: Record<string, string | boolean>;
}

interface Command {
  usage: string;
  summary: string;
  /** Flags the command accepts: boolean switches or flags taking a value. */
  flags: Record<string, 'boolean' | 'string'>;
  schema: z.ZodType<{ args: string[]; flags: Record<string, unknown> }>;
  run(input: { args: string[]; flags: Record<string, unknown> }, services: AdminServices, io: AdminIO): Promise<number>;
}

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} is required`);
const patientId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'PATIENT_ID must be 1-64 letters, digits, "_", "." or "-"');

/** The account a USERNAME argument names, or null after saying there is none (the command then exits 1). */
async function findAccount(s: AdminServices, io: AdminIO, username: string): Promise<AccountMatch | null> {
  const match = await s.directory.findByUsername(username);
  if (!match) io.err('No account with that username.');
  return match;
}

const COMMANDS: Record<string, Command> = {
  'staff:add': {
    usage: 'staff:add USERNAME --role agent|supervisor [--name FIRST_NAME]   (password on stdin)',
    summary: 'Add a staff console account (or set a new password and role); the password (at least 12 characters) is read from stdin and stored as an argon2id hash.',
    flags: { role: 'string', name: 'string' },
    schema: z.object({
      args: z.tuple([nonEmpty('USERNAME')]),
      flags: z.object({ role: z.enum(STAFF_ROLES, '--role must be agent or supervisor'), name: z.string().trim().min(1).max(60).optional() }),
    }),
    async run({ args, flags }, s, io) {
      if (!s.staff) throw new AdminUsageError('staff:add needs the staff directory (REDIS_URL)');
      const password = (await io.readStdin()).replace(/\r?\n$/, '');
      const account = await s.staff.add(args[0]!, password, flags.role as StaffRole, flags.name as string | undefined);
      await s.audit.record({ type: 'staff-added', detail: { staffId: account.username, role: account.role } });
      io.out(`Staff account ${account.username} (${account.role}) is ready; patients are told they are talking with ${account.displayName}.`);
      return 0;
    },
  },

  'staff:disable': {
    usage: 'staff:disable USERNAME',
    summary: 'Disable a staff console account; its sessions end at their next request.',
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('USERNAME')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      if (!s.staff) throw new AdminUsageError('staff:disable needs the staff directory (REDIS_URL)');
      if (!(await s.staff.disable(args[0]!))) {
        io.err(`No staff account ${args[0]}.`);
        return 1;
      }
      await s.audit.record({ type: 'staff-disabled', detail: { staffId: args[0]! } });
      io.out(`Staff account ${args[0]} is disabled.`);
      return 0;
    },
  },

  'accounts:import': {
    usage: 'accounts:import FILE',
    summary: 'Import patients and accounts from a JSON file (all-or-nothing; passwords and answers are hashed).',
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('FILE')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      const file = args[0]!;
      let text: string;
      try {
        text = await fs.readFile(path.resolve(file), 'utf8');
      } catch (err) {
        throw new AdminUsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch (err) {
        // The parser's message quotes part of the file (a password, perhaps): report only where it broke.
        const at = /position (\d+)/.exec((err as Error).message)?.[1];
        io.err(`${file} is not valid JSON${at ? ` (near character ${at})` : ''}.`);
        return 1;
      }
      try {
        const { patients, accounts } = await s.directory.importPatients(input);
        io.out(`Imported ${patients} patient(s) and ${accounts} account(s).`);
        return 0;
      } catch (err) {
        if (err instanceof ImportError) {
          io.err(err.message);
          return 1;
        }
        throw err;
      }
    },
  },

  'accounts:check-password': {
    usage: 'accounts:check-password USERNAME   (password on stdin)',
    summary: 'Exit 0 if the password on stdin matches the account, 1 if not.',
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('USERNAME')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      // Only the line ending a pipe or `echo` adds is removed; other whitespace is part of the password.
      const password = (await io.readStdin()).replace(/\r?\n$/, '');
      if (!password) {
        io.err('no password on stdin (pipe it in, e.g. `printf %s "$PW" | npm run --silent admin -- accounts:check-password USERNAME`)');
        return 2;
      }
      const ok = await s.directory.verifyPassword(args[0]!, password);
      io.out(ok ? 'match' : 'no match');
      return ok ? 0 : 1;
    },
  },

  'tokens:issue-reset': {
    usage: 'tokens:issue-reset USERNAME',
    summary: `Issue a practice password-reset token (valid ${PRACTICE_TOKEN_DAYS} days; replaces any earlier one). Printed once, last line.`,
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('USERNAME')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      const match = await findAccount(s, io, args[0]!);
      if (!match) return 1;
      const token = await s.tokens.issuePracticeResetToken(match.account.username);
      await s.audit.record({
        type: 'practice-token-issued',
        accountRef: s.audit.accountRef(match.account.username),
        patientId: match.patient.id,
        detail: { by: 'admin-cli' },
      });
      io.out(`Password-reset token for the account of patient ${match.patient.id} (valid ${PRACTICE_TOKEN_DAYS} days, single use; any earlier token no longer works):`);
      io.out(token);
      return 0;
    },
  },

  'security:unlock': {
    usage: 'security:unlock USERNAME',
    summary: 'Lift the 24-hour lock on resetting with security questions (after verifying the patient), and clear the wrong-answer counts.',
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('USERNAME')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      const match = await findAccount(s, io, args[0]!);
      if (!match) return 1;
      const wasLocked = await s.securityLock.isLocked(match.account.username);
      await s.securityLock.unlock(match.account.username);
      await s.audit.record({
        type: 'security-path-unlocked',
        accountRef: s.audit.accountRef(match.account.username),
        patientId: match.patient.id,
        detail: { by: 'admin-cli', wasLocked },
      });
      io.out(
        wasLocked
          ? `Unlocked: the account of patient ${match.patient.id} can reset with security questions again.`
          : `The account of patient ${match.patient.id} was not locked; its wrong-answer counts are cleared.`,
      );
      return 0;
    },
  },

  'security:status': {
    usage: 'security:status USERNAME [--json]',
    summary:
      'Whether resetting with security questions is locked for an account, the wrong answers counted per question, when the lock lapses, and which conversation set it; audited.',
    flags: { json: 'boolean' },
    schema: z.object({ args: z.tuple([nonEmpty('USERNAME')]), flags: z.object({ json: z.boolean().optional() }) }),
    async run({ args, flags }, s, io) {
      const match = await findAccount(s, io, args[0]!);
      if (!match) return 1;
      const accountRef = s.audit.accountRef(match.account.username);
      const status = await s.securityLock.status(match.account.username);
      // The newest lock event of this account: the conversation (and channel user) whose third wrong answer set it.
      const lockedBy = status.locked
        ? (await s.audit.tail(10_000)).filter((e) => e.type === 'security-path-locked' && e.accountRef === accountRef).at(-1)
        : undefined;
      await s.audit.record({ type: 'security-status-viewed', accountRef, patientId: match.patient.id, detail: { by: 'admin-cli', locked: status.locked } });
      const report = {
        patientId: match.patient.id,
        locked: status.locked,
        lockExpiresAt: status.lockExpiresAt ?? null,
        wrongAnswers: { question1: status.failures[0], question2: status.failures[1] },
        lockedAt: lockedBy?.at ?? null,
        lockedByConversation: lockedBy?.conversationRef ?? null,
        lockedByUser: typeof lockedBy?.detail?.userRef === 'string' ? lockedBy.detail.userRef : null,
      };
      if (flags.json) {
        io.out(JSON.stringify(report));
        return 0;
      }
      io.out(
        status.locked
          ? `Locked: resetting with security questions is paused for the account of patient ${match.patient.id} until ${report.lockExpiresAt ?? 'unknown'}.`
          : `Not locked: the account of patient ${match.patient.id} can reset with security questions.`,
      );
      io.out(`Wrong answers counted: question 1: ${status.failures[0]}, question 2: ${status.failures[1]} (3 on one question locks it).`);
      if (status.locked) {
        io.out(
          report.lockedByConversation
            ? `Set at ${report.lockedAt} by conversation ${report.lockedByConversation}${report.lockedByUser ? ` (user ${report.lockedByUser})` : ''}; "audit:tail" shows its other events.`
            : 'The event that set it is no longer in the audit trail.',
        );
        io.out('After verifying the patient, lift it with: security:unlock USERNAME');
      }
      return 0;
    },
  },

  'enrollment:issue': {
    usage: 'enrollment:issue PATIENT_ID',
    summary: "Issue an enrollment token for a patient (revokes the patient's earlier one). Printed once, last line.",
    flags: {},
    schema: z.object({ args: z.tuple([patientId]), flags: z.object({}) }),
    async run({ args }, s, io) {
      const patient = await s.directory.getPatient(args[0]!);
      if (!patient) {
        io.err(`No patient with id ${args[0]}.`);
        return 1;
      }
      const token = await s.tokens.issueEnrollmentToken(patient.id);
      await s.audit.record({ type: 'enrollment-token-issued', patientId: patient.id, detail: { by: 'admin-cli' } });
      io.out(`Enrollment token for patient ${patient.id} (any earlier token no longer works):`);
      io.out(token);
      return 0;
    },
  },

  'enrollment:invite': {
    usage: 'enrollment:invite PATIENT_ID',
    summary: "Email the patient's notification address a one-time link (7 days) to the create-account page (revokes an earlier link).",
    flags: {},
    schema: z.object({ args: z.tuple([patientId]), flags: z.object({}) }),
    async run({ args }, s, io) {
      if (!s.recovery) {
        io.err('enrollment:invite needs the recovery use cases (not available here).');
        return 2;
      }
      return reportInvite(await s.recovery.inviteToEnroll(args[0]!), args[0]!, io);
    },
  },

  'enrollment:check': {
    usage: 'enrollment:check TOKEN',
    summary: 'Exit 0 if the enrollment token is valid, 1 if not.',
    flags: {},
    schema: z.object({ args: z.tuple([nonEmpty('TOKEN')]), flags: z.object({}) }),
    async run({ args }, s, io) {
      const found = await s.tokens.checkEnrollmentToken(args[0]!);
      io.out(found ? `valid (patient ${found.patientId})` : 'not valid (unknown, expired or replaced by a newer token)');
      return found ? 0 : 1;
    },
  },

  'requests:list': {
    usage: 'requests:list [--status open|resolved] [--json]',
    summary: 'List patient requests (token renewal, reactivation, reset token, enrollment), oldest first.',
    flags: { json: 'boolean', status: 'string' },
    schema: z.object({
      args: z.tuple([]),
      flags: z.object({ json: z.boolean().optional(), status: z.enum(['open', 'resolved'], '--status must be open or resolved').optional() }),
    }),
    async run({ flags }, s, io) {
      const status = flags.status as 'open' | 'resolved' | undefined;
      const list = await s.requests.list(status ? { status } : {});
      if (flags.json) {
        io.out(JSON.stringify(list, null, 2));
        return 0;
      }
      if (!list.length) {
        io.out(status ? `No ${status} requests.` : 'No requests.');
        return 0;
      }
      io.out(formatTable(list));
      return 0;
    },
  },

  'requests:resolve': {
    usage: 'requests:resolve REQUEST_ID --patient PATIENT_ID [--by STAFF_NAME]',
    summary:
      'Resolve a request for the given patient. Token renewal: issue a new enrollment token (the old one stops working) and email it to the email on file. Reset token: issue a practice reset token. Reactivation: set the account active. Enrollment: email the invitation of enrollment:invite (no email on file: an enrollment token to hand over).',
    flags: { patient: 'string', by: 'string' },
    schema: z.object({
      args: z.tuple([nonEmpty('REQUEST_ID')]),
      flags: z.object({ patient: patientId.optional(), by: z.string().trim().min(1).max(100).optional() }).refine((f) => !!f.patient, '--patient PATIENT_ID is required'),
    }),
    async run({ args, flags }, s, io) {
      return resolveRequest(args[0]!, flags.patient as string, flags.by as string | undefined, s, io);
    },
  },

  'kb:misses': {
    usage: 'kb:misses [--days N] [--json]',
    summary: `Questions the bot could not answer or was unsure about, counted per KB id ("none" = nothing matched), over the last N days (default ${MISS_RETENTION_DAYS}); with LOG_UNANSWERED=redacted also their redacted text.`,
    flags: { json: 'boolean', days: 'string' },
    schema: z.object({
      args: z.tuple([]),
      flags: z.object({
        json: z.boolean().optional(),
        days: z.coerce.number().int('--days must be a whole number').min(1).max(MISS_RETENTION_DAYS).optional(),
      }),
    }),
    async run({ flags }, s, io) {
      if (!s.misses) throw new AdminUsageError('kb:misses needs the miss log (REDIS_URL)');
      const report = await s.misses.report((flags.days as number | undefined) ?? MISS_RETENTION_DAYS);
      if (flags.json) {
        io.out(JSON.stringify(report, null, 2));
        return 0;
      }
      if (!report.counts.length) io.out(`No unanswered questions in the last ${report.days} day(s).`);
      for (const { kbId, count } of report.counts) io.out(`${String(count).padStart(6)}  ${kbId}`);
      if (report.texts.length) {
        io.out('');
        io.out('Redacted questions (newest first):');
        for (const t of report.texts) io.out(`${t.at}  ${t.kbId}  ${t.text}`);
      }
      return 0;
    },
  },

  'audit:tail': {
    usage: 'audit:tail [--count N] [--json]',
    summary: 'Show the latest audit events (default 20), oldest first.',
    flags: { json: 'boolean', count: 'string' },
    schema: z.object({
      args: z.tuple([]),
      flags: z.object({ json: z.boolean().optional(), count: z.coerce.number().int('--count must be a whole number').min(1).max(10000).optional() }),
    }),
    async run({ flags }, s, io) {
      const events = await s.audit.tail((flags.count as number | undefined) ?? 20);
      if (flags.json) io.out(JSON.stringify(events, null, 2));
      else if (!events.length) io.out('No audit events.');
      else for (const e of events) io.out(formatAuditEvent(e));
      return 0;
    },
  },
};

async function resolveRequest(requestId: string, patientId: string, by: string | undefined, s: AdminServices, io: AdminIO): Promise<number> {
  const ref = parseRequestId(requestId);
  const request = ref ? await s.requests.get(ref) : null;
  if (!ref || !request) {
    io.err(`No request ${requestId}.`);
    return 1;
  }
  if (request.status !== 'open') {
    io.err(`Request ${ref} is already resolved${request.patientId ? ` (patient ${request.patientId})` : ''}; nothing done.`);
    return 1;
  }
  const patient = await s.directory.getPatient(patientId);
  if (!patient) {
    io.err(`No patient with id ${patientId}; nothing done.`);
    return 1;
  }
  const account = await s.directory.getAccountForPatient(patient.id);
  if (request.kind === 'enrollment') {
    if (!s.recovery) throw new AdminUsageError('Resolving an enrollment request needs the recovery use cases (not available here).');
    if (account) {
      io.err(`Patient ${patient.id} already has a portal account, so there is nothing to enroll (a password reset or reactivation may be what they need); nothing done.`);
      return 1;
    }
  } else if (request.kind !== 'token-renewal' && !account) {
    io.err(`Patient ${patient.id} has no portal account, so a ${request.kind} request cannot be resolved for them; nothing done.`);
    return 1;
  }
  if (foldLoose(request.lastName) !== foldLoose(patient.lastName) || request.dateOfBirth !== patient.dateOfBirth) {
    io.err(`Warning: the last name or date of birth in ${ref} differs from patient ${patient.id}'s record. Check you chose the right patient.`);
  }

  // Claim the request first: of two staff resolving at once, only one issues a token.
  const resolved = await s.requests.resolve(ref, { patientId: patient.id, ...(by ? { resolvedBy: by } : {}) });
  if (!resolved.ok) {
    io.err(`Request ${ref} was ${resolved.reason === 'already-resolved' ? 'resolved by someone else just now' : 'not found'}; nothing done.`);
    return 1;
  }
  await s.audit.record({ type: 'request-resolved', requestId: ref, patientId: patient.id, detail: { kind: request.kind } });

  if (request.kind === 'reactivation') {
    await s.directory.setStatus(account!.username, 'active');
    io.out(`Resolved ${ref}: the portal account of patient ${patient.id} is active again.`);
    return 0;
  }

  if (request.kind === 'reset-token') {
    const token = await s.tokens.issuePracticeResetToken(account!.username);
    await s.audit.record({ type: 'practice-token-issued', accountRef: s.audit.accountRef(account!.username), patientId: patient.id, requestId: ref });
    io.out(`Resolved ${ref}. Give patient ${patient.id} this password-reset token by phone or in person (valid ${PRACTICE_TOKEN_DAYS} days, single use):`);
    io.out(token);
    return 0;
  }

  if (request.kind === 'enrollment') return resolveEnrollment(ref, patient.id, s, io);

  // token-renewal
  const token = await s.tokens.issueEnrollmentToken(patient.id);
  await s.audit.record({ type: 'enrollment-token-issued', patientId: patient.id, requestId: ref });
  const to = patient.notificationEmail ?? account?.verifiedEmail;
  if (!to) {
    io.out(`Resolved ${ref}. Patient ${patient.id} has no email on file: give them this enrollment token by phone or in person (the old one no longer works):`);
    io.out(token);
    return 0;
  }
  try {
    await s.sendMail({ to, template: 'enrollment-token', data: { token }, idempotencyKey: `request:${ref}:enrollment-token` });
  } catch (err) {
    io.err(`Resolved ${ref}, but the email could not be queued (${(err as Error).message}).`);
    io.out(`Give patient ${patient.id} this enrollment token by phone or in person instead (the old one no longer works):`);
    io.out(token);
    return 1;
  }
  io.out(`Resolved ${ref}: a new enrollment token was emailed to patient ${patient.id}'s email on file; the old token no longer works.`);
  return 0;
}

/**
 * An approved enrollment request: the invitation `enrollment:invite` sends (one implementation, in
 * services/recovery), audited with the request's reference. A patient with no notification email on file gets
 * an enrollment token for staff to hand over instead, as a token renewal does.
 */
async function resolveEnrollment(ref: string, patientId: string, s: AdminServices, io: AdminIO): Promise<number> {
  let outcome: InviteOutcome;
  try {
    outcome = await s.recovery!.inviteToEnroll(patientId, { requestId: ref });
  } catch (err) {
    io.err(`Resolved ${ref}, but the invitation could not be queued (${describeError(err)}). Send it again with: enrollment:invite ${patientId}`);
    return 1;
  }
  if (outcome.kind === 'no-email') {
    const token = await s.tokens.issueEnrollmentToken(patientId);
    await s.audit.record({ type: 'enrollment-token-issued', patientId, requestId: ref });
    io.out(`Resolved ${ref}. Patient ${patientId} has no notification email on file: give them this enrollment token by phone or in person:`);
    io.out(token);
    return 0;
  }
  io.out(`Resolved ${ref}.`);
  return reportInvite(outcome, patientId, io);
}

/** What an invitation did, for staff (`enrollment:invite`, an approved enrollment request); the exit code. */
function reportInvite(outcome: InviteOutcome, patientId: string, io: AdminIO): number {
  switch (outcome.kind) {
    case 'sent':
      io.out(`Invitation emailed to patient ${patientId}'s notification email on file (link valid ${outcome.days} days, works once).`);
      return 0;
    case 'has-account':
      io.err(`Patient ${patientId} already has a portal account.`);
      return 1;
    case 'no-email':
      io.err(`Patient ${patientId} has no notification email on file: issue an enrollment token instead (enrollment:issue).`);
      return 1;
    default:
      io.err(`No patient with id ${patientId}.`);
      return 1;
  }
}

function formatTable(list: PracticeRequest[]): string {
  const rows = [
    ['REFERENCE', 'KIND', 'STATUS', 'CREATED', 'NAME', 'BIRTH DATE', 'CONTACT', 'PATIENT'],
    ...list.map((r) => [
      r.requestId,
      r.kind,
      r.status,
      r.createdAt.slice(0, 16).replace('T', ' '),
      `${r.firstName} ${r.lastName}`,
      r.dateOfBirth,
      [r.contact.email, r.contact.phone].filter(Boolean).join(', '),
      r.patientId ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

function formatAuditEvent(e: AuditEvent): string {
  const parts = [e.at, e.type];
  if (e.accountRef) parts.push(`account=${e.accountRef}`);
  if (e.patientId) parts.push(`patient=${e.patientId}`);
  if (e.requestId) parts.push(`request=${e.requestId}`);
  if (e.conversationRef) parts.push(`conversation=${e.conversationRef}`);
  for (const [k, v] of Object.entries(e.detail ?? {})) parts.push(`${k}=${String(v)}`);
  return parts.join('  ');
}

function helpText(): string {
  const lines = ['Usage: npm run --silent admin -- <command>', '', 'Commands:'];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  lines.push('  help', '      Show this help.', '', 'Exit codes: 0 done / yes, 1 refused / no / failed, 2 usage or configuration error.');
  return lines.join('\n');
}

/** Splits `argv` into positional args and `--flag [value]` / `--flag=value` per the command's flag table. */
function parseArgv(argv: string[], spec: Command['flags']): Parsed {
  const args: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw new AdminUsageError(`unknown option --${name}`);
    if (name in flags) throw new AdminUsageError(`--${name} given twice`);
    if (kind === 'boolean') {
      if (eq !== -1) throw new AdminUsageError(`--${name} takes no value`);
      flags[name] = true;
    } else if (eq !== -1) {
      flags[name] = a.slice(eq + 1);
    } else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new AdminUsageError(`--${name} needs a value`);
      flags[name] = value;
      i += 1;
    }
  }
  return { args, flags };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      if (i.path[0] === 'args' && i.code === 'too_big') return 'too many arguments';
      if (i.path[0] === 'args' && i.code === 'too_small') return 'missing argument';
      return i.message;
    })
    .join('; ');
}

/** One line for an unexpected error; Redis connection failures say what to check. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/max retries per request|ECONNREFUSED|ENOTFOUND|Connection is closed|ETIMEDOUT/i.test(message)) {
    return `cannot reach Redis at REDIS_URL (${message}). Check that Redis is running and REDIS_URL is right.`;
  }
  return message;
}

/** Runs one admin command and returns its exit code. Never throws. */
export async function runAdmin(argv: string[], deps: AdminDeps, io: AdminIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(helpText());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`Unknown command "${name}". Run \`npm run --silent admin -- help\` for the list.`);
    return 2;
  }
  let input: { args: string[]; flags: Record<string, unknown> };
  try {
    const parsed = command.schema.safeParse(parseArgv(rest, command.flags));
    if (!parsed.success) throw new AdminUsageError(describeIssues(parsed.error));
    input = parsed.data;
  } catch (err) {
    io.err(`${(err as Error).message}\nUsage: npm run --silent admin -- ${command.usage}`);
    return 2;
  }

  let services: AdminServices | undefined;
  try {
    services = typeof deps === 'function' ? await deps() : deps;
    return await command.run(input, services, io);
  } catch (err) {
    io.err(err instanceof AdminUsageError ? err.message : `${name} failed: ${describeError(err)}`);
    return err instanceof AdminUsageError ? 2 : 1;
  } finally {
    if (typeof deps === 'function') await services?.close?.().catch(() => undefined);
  }
}

/** Real stdin/stdout/stderr. */
export function processIO(): AdminIO {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin: async () => {
      if (process.stdin.isTTY) process.stderr.write('Password (input is shown; end with Enter, then Ctrl-D): ');
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * Builds the real services from configuration (REDIS_URL required: the CLI must change the same store the
 * bot reads). Mail goes through the bot's outbox (`services/mail`), created only when a command sends.
 */
export async function buildAdminServices(
  env: Record<string, string | undefined> = { ...readEnvFile(), ...process.env },
): Promise<AdminServices> {
  const fullEnv = env;
  let config: Config;
  try {
    config = loadConfig(fullEnv);
  } catch (err) {
    if (err instanceof ConfigError) throw new AdminUsageError(err.message);
    throw err;
  }
  if (!config.redis) {
    throw new AdminUsageError(
      "REDIS_URL is not set. The admin CLI changes the same store the bot uses, so it needs REDIS_URL (e.g. redis://127.0.0.1:6379), REDIS_SENTINELS with REDIS_SENTINEL_NAME, or REDIS_CLUSTER_NODES; it cannot use the bot's in-process stand-in.",
    );
  }
  // Logs go to stderr so a token stays the last line of stdout.
  const logger = createLogger(config.logLevel, pino.destination(2));
  const { redis } = createRedis({ target: config.redis, logger });
  const services = createAccountServices({ config, redis, embedded: false, logger });
  return {
    ...services,
    misses: new RedisMissLog(redis, new Keys(config.keyPrefix), config.logUnanswered),
    staff: new StaffDirectory({ redis, keys: new Keys(config.keyPrefix), serverSecret: config.serverSecret }),
    // The mailer validates the template name and data itself; the worker in the bot host delivers.
    sendMail: (msg) => services.mailer.send(msg as MailMessage),
    close: async () => {
      await services.mailer.close().catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };
}

/** `npm run --silent admin -- <command>` */
export async function main(argv = process.argv.slice(2)): Promise<number> {
  return runAdmin(argv, () => buildAdminServices(), processIO());
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`admin failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
