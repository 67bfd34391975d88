/**
 * Hostile input for the property-based (fast-check) fuzz tests: what patients, broken channels and attackers
 * send — huge text, control characters, emoji and ZWJ sequences, mixed scripts and bidi overrides, HTML and
 * script, template and path syntax, odd dates and numbers — mixed with plain random Unicode.
 */
import fc from 'fast-check';

/** Strings chosen by hand because random generation rarely hits them. */
export const NASTY = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(document.cookie)>',
  '"><svg/onload=alert(1)>',
  '[click me](javascript:alert(1))',
  '{{constructor.constructor("return process")()}}',
  '${process.exit(1)}',
  '{{requestResponseTime}} {{practicePhone}}',
  "'; DROP TABLE patients; --",
  '../../../../etc/passwd',
  '%s%s%s%n%x',
  '__proto__',
  'constructor',
  '{"__proto__":{"admin":true}}',
  '\u202etxt.exe',
  '\u200b\u200c\u200d\ufeff',
  'Z̴̡̛̗a̶̢͔l̷̨͙g̵̣͝o̸̧͠',
  'ｍｙ　ｔｏｋｅｎ　ｉｓｎ＇ｔ　ｗｏｒｋｉｎｇ',
  'Раssword rеsеt', // Cyrillic look-alikes
  'نسيت كلمة المرور',
  'שכחתי סיסמה',
  '忘记密码了 パスワード',
  '👩‍👩‍👧‍👦🏳️‍🌈🇺🇸 🙂🙃',
  '\u0000\u0001\u0002\u001b[31mred\u001b[0m\u007f',
  '\r\n\r\n\t\t',
  '\ud800\udc00\ud83d',
  '99/99/9999',
  '00/00/0000',
  '02/30/2020',
  '1e309',
  '-0',
  'NaN',
  'null',
  'undefined',
  'R-000000',
  'STOP',
  'cancel',
  'a'.repeat(5000),
  'help '.repeat(900),
  ' ',
  '',
];

const controlChar = fc.integer({ min: 0, max: 31 }).map((n) => String.fromCharCode(n));
const emoji = fc.constantFrom('😀', '👩‍⚕️', '🏥', '💊', '❤️', '🇲🇽', '👍🏽', '🧑‍🤝‍🧑', '\u{1F9D1}\u{200D}\u{1F4BB}');
const scripts = fc.constantFrom('password', 'contraseña', 'пароль', 'كلمة', 'סיסמה', '密码', 'パスワード', '비밀번호', 'mật khẩu', 'पासवर्ड', 'token', 'username');

/** A hostile or random text of at most `max` characters (the host refuses more than 5000). */
export function hostileText(max = 5000): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
      { weight: 1, arbitrary: fc.string({ unit: controlChar, maxLength: 40 }) },
      { weight: 1, arbitrary: fc.array(fc.oneof(emoji, scripts, fc.constantFrom(' ', '\n', '<b>', '</b>', '&amp;', '\u202e')), { maxLength: 30 }).map((a) => a.join('')) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', 'é', '🙂', 'я', '<'), fc.integer({ min: 1000, max: 5000 })).map(([c, n]) => c.repeat(Math.floor(n / c.length))) },
    )
    .map((s) => s.slice(0, max));
}

/** JSON nested `depth` levels deep (arrays or objects). */
export function deepJson(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i += 1) v = i % 2 ? [v] : { v };
  return v;
}

/** A value of the wrong type for any activity field. */
export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.integer({ min: 50, max: 2000 }).map(deepJson),
);
