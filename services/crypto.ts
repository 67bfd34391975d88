/**
 * The few cryptographic building blocks every account service uses, in one place so that each choice
 * (token size, hash, comparison) is made once.
 *
 * - Random tokens come from the OS CSPRNG and carry at least 128 bits.
 * - Secrets typed by people (passwords, security answers) are stored as argon2id hashes: slow on purpose.
 * - Secrets we generate (reset links, practice tokens) are high-entropy, so a fast sha256 at rest is enough;
 *   comparing two digests is done in constant time.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { hash as argonHash, verify as argonVerify, type Algorithm } from '@node-rs/argon2';

/** `Algorithm.Argon2id`; the package ships it as an ambient const enum, which isolatedModules cannot read. */
const ARGON2ID = 2 as Algorithm;

/**
 * A URL-safe random token (base64url, no padding). Refuses fewer than 16 bytes (128 bits), the floor
 * for anything that unlocks an account.
 * @example randomToken() // 'q3J0…' (43 characters for the default 32 bytes)
 */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError('randomToken needs at least 16 bytes (128 bits)');
  return randomBytes(bytes).toString('base64url');
}

/**
 * A random string of `length` characters drawn uniformly from `alphabet` (no modulo bias), for codes a
 * person must read and type, such as practice reset tokens or request references.
 */
export function randomCode(length: number, alphabet: string): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Hex sha256 of UTF-8 text: used to store and look up generated tokens without keeping the token. */
export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Hex HMAC-SHA256: a keyed digest for values that must not be linkable without the server secret. */
export function hmac(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/**
 * Constant-time equality of two hex digests. Different lengths or non-hex input return false
 * (the length of a digest is not a secret).
 */
export function constantTimeEqualHex(a: string, b: string): boolean {
  if (a.length !== b.length || a.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(a) || !/^[0-9a-f]*$/i.test(b)) return false;
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

/** Hashes a password or answer with argon2id (library defaults: 19 MiB, 2 passes, random salt). */
export async function hashSecret(secret: string): Promise<string> {
  return argonHash(secret, { algorithm: ARGON2ID });
}

/**
 * Verifies `secret` against an argon2 hash in constant time. A missing or malformed hash yields false,
 * never an exception, so a corrupt record cannot turn into an error page that reveals something.
 */
export async function verifySecret(hash: string | undefined | null, secret: string): Promise<boolean> {
  if (!hash || !hash.startsWith('$argon2')) return false;
  try {
    return await argonVerify(hash, secret);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends about as long as a real `verifySecret` and returns false. Used when there is no account to check
 * against, so the response time does not reveal whether the account exists.
 */
export async function verifyAgainstDummy(secret: string): Promise<false> {
  dummyHash ??= hashSecret(randomToken(16));
  await verifySecret(await dummyHash, secret);
  return false;
}
