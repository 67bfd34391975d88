/**
 * Seals values a dialog must keep between turns (an email typed two steps ago, a last name) so that
 * conversation state in Redis never holds them in the clear. AES-256-GCM with a key derived from
 * SERVER_SECRET, so every bot instance can open what another sealed; tampering makes `open` return null.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plain: string): string;
  /** The sealed text, or null when it was not sealed with this secret or was altered. */
  open(sealed: unknown): string | null;
}

export function createSealer(serverSecret: string): Sealer {
  const key = createHash('sha256').update(`dialog-state-seal:${serverSecret}`).digest();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },
    open(sealed) {
      if (typeof sealed !== 'string') return null;
      try {
        const raw = Buffer.from(sealed, 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}
