/**
 * A real SMTP server for tests (npm `smtp-server`), capturing every message parsed by `mailparser`.
 *
 * No TLS, no authentication required. Stop it and start a new one on the same port to simulate an outage:
 *
 * @example
 *   const smtp = await startTestSmtp();           // any free port
 *   // … configure SMTP_URL = smtp.url, make the bot send a mail …
 *   const mail = await smtp.waitFor((m) => m.subject?.includes('Reset') ?? false, 5000);
 *   await smtp.stop();
 *   const again = await startTestSmtp(smtp.port);  // same port, fresh `messages`
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type { ParsedMail };

export interface TestSmtp {
  port: number;
  /** `smtp://127.0.0.1:<port>`, ready for SMTP_URL. */
  url: string;
  /** Every message received so far, in arrival order. */
  messages: ParsedMail[];
  /** Resolves with the first message (already received or arriving later) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (m: ParsedMail) => boolean, timeoutMs?: number): Promise<ParsedMail>;
  /** Closes the server and its connections; the port is free again when this resolves. */
  stop(): Promise<void>;
}

/** Starts a server on `port` (default: a free port chosen by the OS) on 127.0.0.1. */
export async function startTestSmtp(port = 0): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<(m: ParsedMail) => void>();

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Do not hold the port for open connections when a test stops the server.
    closeTimeout: 100,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          for (const w of [...waiters]) w(mail);
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  // A client disconnecting mid-session is not a test failure.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.server.off('error', onError);
      resolve();
    });
  });
  const actualPort = (server.server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    port: actualPort,
    url: `smtp://127.0.0.1:${actualPort}`,
    messages,
    waitFor(predicate, timeoutMs = 10_000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<ParsedMail>((resolve, reject) => {
        const waiter = (m: ParsedMail) => {
          if (!predicate(m)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms (received ${messages.length})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopped;
    },
  };
}
