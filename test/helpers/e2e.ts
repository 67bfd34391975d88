/**
 * A fresh practice for one end-to-end test file: the real host over HTTP against real Redis (its own key
 * prefix), a real SMTP server in this process, and the demo patients imported anew — so no file depends on
 * what another left behind, and each passes alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buttonsOf, Conversation, startHost, textOf, type TestHost } from './host';
import { startTestSmtp, type ParsedMail, type TestSmtp } from './smtp';
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import type { AppOptions } from '../../bot/app';

export const PUBLIC_BASE = 'https://help.lakeside.test';
export const NOTIFY = 'frontdesk@lakeside.test';

export interface DemoPatient {
  id: string;
  lastName: string;
  dateOfBirth: string;
  notificationEmail?: string;
  account?: { username: string; password: string; verifiedEmail?: string; securityQuestions: Array<{ answer: string }> };
}
export const DEMO = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'demo', 'accounts.json'), 'utf8')) as { patients: DemoPatient[] };

export interface Practice {
  host: TestHost;
  smtp: TestSmtp;
  stop(): Promise<void>;
  /** Mail to `to`, received at or after index `since` of `smtp.messages`. */
  mailTo(to: string, since?: number): (m: ParsedMail) => boolean;
  /** A reset-link mail to `to`. */
  resetMailTo(to: string, since?: number): (m: ParsedMail) => boolean;
  /** The reset link in a mail or chat text, pointed at the test host (links use PUBLIC_BASE_URL). */
  linkIn(text: string): { url: string; token: string };
  submitReset(token: string, password: string, confirm?: string): Promise<{ status: number; html: string }>;
  /** Runs an admin CLI command in-process against the host's own services (mail goes through its outbox). */
  admin(argv: string[]): Promise<{ code: number; lines: string[] }>;
  /** Starts a flow the way a patient does: ask, see the Yes/No offer, accept it. Returns the first question. */
  startFlow(c: Conversation, question: string): Promise<string>;
  /** Resolves once every queued mail has been delivered (or given up); rejects after `timeoutMs` (default 10 s). */
  mailSettled(timeoutMs?: number): Promise<void>;
}

export async function startPractice(name: string, env: Record<string, string> = {}, hostOptions: Pick<AppOptions, 'mailWorker' | 'heldSummaryIntervalMs'> = {}): Promise<Practice> {
  let smtp = await startTestSmtp();
  const host = await startHost(
    name,
    13,
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Lakeside Clinic <no-reply@lakeside.test>',
      PRACTICE_NAME: 'Lakeside Clinic',
      PRACTICE_NOTIFY_EMAIL: NOTIFY,
      PUBLIC_BASE_URL: PUBLIC_BASE,
      SERVER_SECRET: 'test-secret-0123456789-0123456789-abcdef',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_CONVERSATION_PER_MINUTE: '1000',
      RATE_LIMIT_ACCOUNT_PER_HOUR: '1000',
      RATE_LIMIT_IP_PER_MINUTE: '1000',
      ...env,
    },
    { mailer: { retry: { attempts: 20, baseDelayMs: 200, maxDelayMs: 1000 } }, ...hostOptions },
  );
  await host.app.services.directory.importPatients(DEMO);

  const practice: Practice = {
    host,
    get smtp() {
      return smtp;
    },
    set smtp(s: TestSmtp) {
      smtp = s;
    },
    stop: async () => {
      await host.stop();
      await smtp.stop();
    },
    mailTo: (to, since = 0) => (m) =>
      smtp.messages.indexOf(m) >= since && (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a?.text.toLowerCase().includes(to.toLowerCase())),
    resetMailTo: (to, since = 0) => (m) => practice.mailTo(to, since)(m) && /reset\?token=/.test(m.text ?? ''),
    linkIn: (text) => {
      const m = new RegExp(`${PUBLIC_BASE.replace(/\./g, '\\.')}/reset\\?token=([A-Za-z0-9_%-]+)`).exec(text);
      if (!m) throw new Error('no reset link found');
      return { url: `${host.url}/reset?token=${m[1]}`, token: decodeURIComponent(m[1]) };
    },
    submitReset: async (token, password, confirm = password) => {
      const res = await fetch(`${host.url}/reset`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, password, confirm }).toString(),
      });
      return { status: res.status, html: await res.text() };
    },
    admin: async (argv) => {
      const lines: string[] = [];
      const services: AdminServices = { ...host.app.services, sendMail: (m) => host.app.services.mailer.send(m as never) };
      const code = await runAdmin(argv, services, { out: (l) => lines.push(l), err: () => undefined, readStdin: async () => '' });
      return { code, lines };
    },
    startFlow: async (c, question) => {
      const offer = await c.say(question);
      if (buttonsOf(offer).join('|') !== 'Yes|No') throw new Error(`expected a Yes/No offer for "${question}", got: ${textOf(offer)}`);
      return textOf(await c.say('yes'));
    },
    mailSettled: (timeoutMs) => host.app.services.mailer.whenIdle(timeoutMs),
  };
  return practice;
}
