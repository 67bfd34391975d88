/**
 * The password policy on Unicode input: checked on the NFKC form, no invisible or control characters, and
 * the username / last-name rules on folded forms, so width, case, spaces and zero-width characters cannot
 * hide either inside a password. Passwords are hashed and verified in the same NFKC form.
 */
import { checkPasswordPolicy, normalisePassword } from '../../services/passwords/policy';

const failed = (password: string, ctx = {}) =>
  checkPasswordPolicy(password, ctx)
    .rules.filter((r) => !r.ok)
    .map((r) => r.id);

describe('password policy on Unicode input', () => {
  const ctx = { username: 'mgonzalez78', lastName: 'Gonzalez' };

  test.each([
    ['a zero-width space inside the username', 'Xx!mgon\u200bzalez78'],
    ['full-width letters', 'Xx!ｍｇｏｎｚａｌｅｚ７８'],
    ['inner spaces', 'Xx! mgon zalez 78'],
    ['upper case and punctuation', 'Xx!M.Gonzalez-78'],
  ])('the username hidden by %s is still found', (_how, password) => {
    expect(failed(password, ctx)).toContain('no-username');
  });

  test('the last name hidden by width or a zero-width joiner is still found', () => {
    expect(failed('Ｇｏｎｚａｌｅｚ#2024x', ctx)).toContain('no-last-name');
    expect(failed('Gon\u200dzalez#2024x', ctx)).toContain('no-last-name');
  });

  test.each([
    ['NUL', 'Strong#Pass\u0000word9'],
    ['a tab', 'Strong#Pass\tword9'],
    ['a zero-width space', 'Strong#Pass\u200bword9'],
    ['a right-to-left override', 'Strong#Pass\u202eword9'],
    ['a soft hyphen', 'Strong#Pass\u00adword9'],
  ])('%s is refused as an invisible or control character', (_what, password) => {
    expect(failed(password)).toEqual(['no-hidden']);
  });

  test('full-width and composed forms are the same password as their NFKC form', () => {
    expect(normalisePassword('Ｓｕｎｆｌｏｗｅｒ－Ｔｒａｉｌ－４２！')).toBe('Sunflower-Trail-42!');
    expect(normalisePassword('Cafe\u0301#Noir2024')).toBe('Café#Noir2024');
    expect(checkPasswordPolicy('Ｓｕｎｆｌｏｗｅｒ－Ｔｒａｉｌ－４２！', ctx).ok).toBe(true);
  });

  test('ordinary passwords, including inner spaces between words, still pass', () => {
    expect(checkPasswordPolicy('Quiet River #2024 Blue', ctx).ok).toBe(true);
    expect(checkPasswordPolicy('Sunflower-Trail-42!', ctx).ok).toBe(true);
  });
});
