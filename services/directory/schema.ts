/**
 * The import file format (`accounts:import FILE`), validated with zod.
 *
 * ```json
 * {"patients":[{"id":"P-1001","firstName":"Maria","lastName":"Gonzalez","dateOfBirth":"1978-04-12",
 *   "notificationEmail":"maria@example.com","phone":"(555) 010-2001",
 *   "account":{"username":"mgonzalez78","password":"…","verifiedEmail":"maria@example.com",
 *     "securityQuestions":[{"question":"…","answer":"…"},{"question":"…","answer":"…"}],"status":"active"}}]}
 * ```
 *
 * Problems are reported per record as `patients[2] (id "P-1003"): account.password: …`, never echoing a
 * value (a password or date of birth must not end up in a terminal log).
 */
import { z } from 'zod';
import { checkPasswordPolicy, failedPasswordRules, USERNAME_RULE } from '../passwords/policy';
import { foldLoose, normaliseIdentifier } from '../text/fold';
import { canonicalQuestion } from './securityQuestions';

/** True for a real calendar date `YYYY-MM-DD` between 1900-01-01 and today. */
export function isValidDateOfBirth(value: string, today = new Date()): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return false;
  return y >= 1900 && value <= today.toISOString().slice(0, 10);
}

const name = z.string().trim().min(1, 'is required').max(100, 'is longer than 100 characters');

const SecurityQuestionInput = z.strictObject({
  question: z
    .string()
    .refine((q) => canonicalQuestion(q) !== undefined, 'must be one of the questions in services/directory/securityQuestions.ts')
    .transform((q) => canonicalQuestion(q) ?? q),
  answer: z
    .string()
    .max(200, 'is longer than 200 characters')
    .refine((a) => foldLoose(a).length >= 2, 'must have at least 2 characters besides spaces'),
});

const AccountInput = z.strictObject({
  username: z.string().refine((u) => USERNAME_RULE.check(u), `must be ${USERNAME_RULE.summary}`),
  password: z.string(),
  verifiedEmail: z.email('is not a valid email address').optional(),
  securityQuestions: z
    .tuple([SecurityQuestionInput, SecurityQuestionInput], 'must be a list of exactly two {question, answer}')
    .refine(([a, b]) => a.question.toLowerCase() !== b.question.toLowerCase(), 'the two questions must differ'),
  status: z.enum(['active', 'unenrolled'], 'must be "active" or "unenrolled"').default('active'),
});

const PatientInput = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-"'),
    firstName: name,
    lastName: name,
    dateOfBirth: z.string().refine((d) => isValidDateOfBirth(d), 'must be a real date YYYY-MM-DD, not in the future'),
    notificationEmail: z.email('is not a valid email address').optional(),
    phone: z
      .string()
      .trim()
      .regex(/^[0-9+()\-. ]{3,40}$/, 'must be 3-40 digits, spaces or + ( ) - .')
      .optional(),
    account: AccountInput.optional(),
  })
  .superRefine((p, ctx) => {
    if (!p.account) return;
    const policy = checkPasswordPolicy(p.account.password, { username: p.account.username, lastName: p.lastName });
    if (!policy.ok) {
      ctx.addIssue({
        code: 'custom',
        path: ['account', 'password'],
        message: `does not meet the password policy: ${failedPasswordRules(policy).join('; ')}`,
      });
    }
  });

export const ImportFileSchema = z
  .strictObject({ patients: z.array(PatientInput).min(1, 'must list at least one patient') })
  .superRefine((file, ctx) => {
    const seen = { id: new Map<string, number>(), username: new Map<string, number>(), email: new Map<string, number>() };
    const dup = (kind: keyof typeof seen, key: string, index: number, path: (string | number)[], what: string) => {
      const first = seen[kind].get(key);
      if (first === undefined) seen[kind].set(key, index);
      else ctx.addIssue({ code: 'custom', path: ['patients', index, ...path], message: `${what} is also used by patients[${first}]` });
    };
    file.patients.forEach((p, i) => {
      dup('id', p.id, i, ['id'], 'this id');
      if (p.account) {
        dup('username', normaliseIdentifier(p.account.username), i, ['account', 'username'], 'this username (ignoring case)');
        if (p.account.verifiedEmail) {
          dup('email', normaliseIdentifier(p.account.verifiedEmail), i, ['account', 'verifiedEmail'], 'this verified email');
        }
      }
    });
  });

export type ImportFile = z.input<typeof ImportFileSchema>;
export type ParsedImportFile = z.output<typeof ImportFileSchema>;

/** `patients[2] (id "P-1003"): account.password` — the record and field of a path into the import file. */
export function describeImportPath(input: unknown, path: ReadonlyArray<PropertyKey>): string {
  if (path[0] !== 'patients' || typeof path[1] !== 'number') {
    return path.length ? path.map(String).join('.') : '(file)';
  }
  const index = path[1];
  const raw = (input as { patients?: Array<{ id?: unknown }> } | null)?.patients?.[index]?.id;
  const id = typeof raw === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(raw) ? ` (id "${raw}")` : '';
  const field = path
    .slice(2)
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`))
    .join('');
  return `patients[${index}]${id}${field ? `: ${field}` : ''}`;
}

/** Turns zod issues into one line each, naming record and field. */
export function formatImportIssues(input: unknown, issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    else if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
    return `${describeImportPath(input, issue.path)}: ${message}`;
  });
}
