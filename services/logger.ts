/**
 * Structured JSON logging (pino) with PHI redaction.
 *
 * Log ids, intents, scores, dialog steps and timings — never message text, names, dates of birth,
 * emails, tokens, answers or passwords. The redact list is a safety net for mistakes, not a licence
 * to log objects that carry PHI.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field names that must never reach a log line, wherever they appear. */
export const REDACTED_FIELDS = [
  'text',
  'password',
  'newPassword',
  'answer',
  'answers',
  'token',
  'email',
  'notificationEmail',
  'verifiedEmail',
  'firstName',
  'lastName',
  'dateOfBirth',
  'dob',
  'username',
  'phone',
  'body',
  'authorization',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const paths = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  const options = {
    level,
    base: { service: 'portal-help-bot' },
    redact: { paths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
