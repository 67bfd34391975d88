import {
  constantTimeEqualHex,
  hashSecret,
  hmac,
  randomCode,
  randomToken,
  sha256,
  verifyAgainstDummy,
  verifySecret,
} from '../../services/crypto';
import { foldLoose } from '../../services/text/fold';

describe('crypto', () => {
  test('randomToken is base64url with at least 128 bits and refuses less', () => {
    const t = randomToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomToken()).not.toBe(t);
    expect(() => randomToken(8)).toThrow(RangeError);
  });

  test('randomCode draws only from the alphabet', () => {
    const code = randomCode(200, 'AB2');
    expect(code).toHaveLength(200);
    expect(code).toMatch(/^[AB2]+$/);
  });

  test('sha256 and hmac are hex digests', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hmac('secret', 'abc')).toMatch(/^[0-9a-f]{64}$/);
    expect(hmac('secret', 'abc')).not.toBe(hmac('other', 'abc'));
  });

  test('constantTimeEqualHex compares digests and rejects odd input', () => {
    const a = sha256('x');
    expect(constantTimeEqualHex(a, sha256('x'))).toBe(true);
    expect(constantTimeEqualHex(a, sha256('y'))).toBe(false);
    expect(constantTimeEqualHex(a, a.slice(0, 62))).toBe(false);
    expect(constantTimeEqualHex('zz', 'zz')).toBe(false);
    expect(constantTimeEqualHex('', '')).toBe(true);
  });

  test('foldLoose trims, lower-cases and ignores spaces', () => {
    expect(foldLoose('  San   Antonio ')).toBe('sanantonio');
    expect(foldLoose('SANANTONIO')).toBe('sanantonio');
    expect(foldLoose('San\tAntonio\n')).toBe('sanantonio');
    expect(foldLoose('Mrs. Delgado')).toBe(foldLoose('mrs delgado'));
    expect(foldLoose('Biscuit.')).toBe('biscuit');
    expect(foldLoose('Bogotá')).toBe('bogota');
  });

  test('argon2id hash verifies, and malformed hashes are false, not errors', async () => {
    const h = await hashSecret('Correct-Horse-9');
    expect(h.startsWith('$argon2id$')).toBe(true);
    await expect(verifySecret(h, 'Correct-Horse-9')).resolves.toBe(true);
    await expect(verifySecret(h, 'correct-horse-9')).resolves.toBe(false);
    await expect(verifySecret('$argon2id$garbage', 'x')).resolves.toBe(false);
    await expect(verifySecret('not a hash', 'x')).resolves.toBe(false);
    await expect(verifySecret(undefined, 'x')).resolves.toBe(false);
    await expect(verifyAgainstDummy('x')).resolves.toBe(false);
  });
});
