/**
 * Where mail physically goes: an SMTP server (`SMTP_URL`), or — outside production, with no `SMTP_URL` —
 * `.eml` files in the outbox folder, so a developer can open what a patient would have received.
 *
 * Transports only deliver; retries, backoff and "never twice" live in the outbox (`outbox.ts`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { RenderedMail } from './templates';

export interface Envelope extends RenderedMail {
  to: string;
  /** Stable per request, so the Message-ID is too (a receiving server can spot a duplicate). */
  jobId: string;
}

export interface DeliveryResult {
  /** Set by the file transport: where the `.eml` was written. */
  file?: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'file';
  deliver(mail: Envelope): Promise<DeliveryResult>;
  close(): void;
}

/**
 * A delivery that will fail the same way however often it is retried (the SMTP server rejected the
 * message or recipient with a 5xx reply). The outbox gives up on it at once.
 */
export class PermanentMailError extends Error {
  constructor(
    message: string,
    public readonly responseCode?: number,
  ) {
    super(message);
    this.name = 'PermanentMailError';
  }
}

/**
 * A failed delivery reduced to what is safe to log and to keep in Redis: SMTP replies can quote the
 * recipient ("550 <ann@example.com>: unknown user"), so the original message is dropped.
 */
export class MailDeliveryError extends Error {
  constructor(
    public readonly code: string | undefined,
    public readonly responseCode: number | undefined,
  ) {
    super(`mail delivery failed (${[code, responseCode].filter((v) => v !== undefined).join(' ') || 'unknown error'})`);
    this.name = 'MailDeliveryError';
  }
}

/** Turns a nodemailer error into a retryable `MailDeliveryError` or a final `PermanentMailError`. */
export function classifyDeliveryError(err: unknown): MailDeliveryError | PermanentMailError {
  const e = (err ?? {}) as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600) {
    return new PermanentMailError(`SMTP server refused the message (${responseCode})`, responseCode);
  }
  return new MailDeliveryError(code, responseCode);
}

/** `Portal Help <no-reply@clinic.org>` → `clinic.org` (for Message-IDs). */
function domainOf(from: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m ? m[1] : 'localhost';
}

function messageFields(from: string, mail: Envelope) {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.jobId}@${domainOf(from)}>`,
    // Tells autoresponders (out-of-office, vacation) not to answer.
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}

/** nodemailer over `smtpUrl`. One connection per message: nothing stale to recover after an outage. */
export function createSmtpTransport(smtpUrl: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    // Fail fast on a dead server; the outbox retries with backoff.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    kind: 'smtp',
    async deliver(mail) {
      try {
        await transporter.sendMail(messageFields(from, mail));
      } catch (err) {
        throw classifyDeliveryError(err);
      }
      return {};
    },
    close: () => transporter.close(),
  };
}

/**
 * Writes each message as `<outboxDir>/<time>-<jobId>.eml` (mode 0600: it holds links and tokens).
 * Development only — config refuses to start production without `SMTP_URL`.
 */
export function createFileTransport(outboxDir: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const dir = path.resolve(outboxDir);
  return {
    kind: 'file',
    async deliver(mail) {
      const info = await transporter.sendMail(messageFields(from, mail));
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.jobId}.eml`);
      try {
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
      } catch (err) {
        throw classifyDeliveryError(err); // a full disk or a permissions slip: worth retrying
      }
      return { file };
    },
    close: () => transporter.close(),
  };
}
