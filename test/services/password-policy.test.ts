import { checkPasswordPolicy, isCommonPassword, PASSWORD_RULES, USERNAME_RULE, type PasswordRuleId } from '../../services/passwords/policy';

const failed = (password: string, ctx = {}) =>
  checkPasswordPolicy(password, ctx)
    .rules.filter((r) => !r.ok)
    .map((r) => r.id);

describe('password policy', () => {
  test('a good password passes every rule, reported one by one in a fixed order', () => {
    const result = checkPasswordPolicy('Sunflower-Trail-42!', { username: 'mgonzalez78', lastName: 'Gonzalez' });
    expect(result.ok).toBe(true);
    expect(result.rules.map((r) => r.id)).toEqual(PASSWORD_RULES.map((r) => r.id));
    expect(result.rules).toHaveLength(10);
    expect(result.rules.map((r) => r.label)).toEqual(PASSWORD_RULES.map((r) => r.label));
    for (const r of result.rules) expect(r.label).toMatch(/^[A-Z].{10,}[^.]$/); // a short phrase for the checklist
  });

  test.each<[string, PasswordRuleId]>([
    ['Ab1!xyz', 'length'],
    [`Ab1!${'x'.repeat(197)}`, 'length'],
    ['lower-case-only-9', 'upper'],
    ['UPPER-CASE-ONLY-9', 'lower'],
    ['No-Numbers-Here!', 'number'],
    ['NoSpecials12345x', 'special'],
    [' Leading-Space-1', 'no-edge-space'],
    ['Trailing-Space-1 ', 'no-edge-space'],
  ])('%j fails %s', (password, rule) => {
    expect(failed(password)).toContain(rule);
  });

  test('exactly 8 and exactly 200 characters are fine', () => {
    expect(failed('Ab1!wxyz')).not.toContain('length');
    expect(failed(`Ab1!${'x'.repeat(196)}`)).not.toContain('length');
  });

  test('spaces inside are allowed', () => {
    expect(checkPasswordPolicy('Quiet River #2024 Blue').ok).toBe(true);
  });

  test('common passwords and trivial variants are refused, case-insensitively', () => {
    for (const p of ['password', 'Password1', 'PASSWORD1', 'Password1!', 'P@ssw0rd', '!Summer2024', 'Qwerty123!', 'Welcome1!', 'iloveyou']) {
      expect(isCommonPassword(p)).toBe(true);
    }
    expect(failed('Password1!')).toEqual(['not-common']);
    expect(isCommonPassword('Sunflower-Trail-42!')).toBe(false);
    expect(isCommonPassword('Quiet#River2024')).toBe(false);
  });

  test('must not contain the username (3+ chars, case-insensitive)', () => {
    expect(failed('xxMGonzalez78-Aa!', { username: 'mgonzalez78' })).toContain('no-username');
    expect(failed('Zz9!abXYabcd', { username: 'ab' })).not.toContain('no-username');
    expect(failed('Sunflower-Trail-42!', {})).not.toContain('no-username');
  });

  test('must not contain the last name (3+ chars, case-, accent- and punctuation-insensitive)', () => {
    expect(failed('Gonzalez-Rules-7', { lastName: 'González' })).toContain('no-last-name');
    expect(failed('My-Alvarezruiz-7', { lastName: 'Álvarez-Ruiz' })).toContain('no-last-name');
    expect(failed('Oconnor#Family9', { lastName: "O'Connor" })).toContain('no-last-name');
    expect(failed('Wuhoo-Family-9', { lastName: 'Wu' })).not.toContain('no-last-name');
  });

  test('empty password fails without throwing', () => {
    const r = checkPasswordPolicy('');
    expect(r.ok).toBe(false);
    expect(r.rules.find((x) => x.id === 'not-common')?.ok).toBe(false);
  });

  test('USERNAME_RULE: 6-50 characters, no whitespace', () => {
    expect(USERNAME_RULE.check('abcdef')).toBe(true);
    expect(USERNAME_RULE.check('a.b-c_d@e!')).toBe(true);
    expect(USERNAME_RULE.check('abcde')).toBe(false);
    expect(USERNAME_RULE.check('a'.repeat(50))).toBe(true);
    expect(USERNAME_RULE.check('a'.repeat(51))).toBe(false);
    expect(USERNAME_RULE.check('abc def')).toBe(false);
    expect(USERNAME_RULE.check('abcdef\t')).toBe(false);
  });
});
