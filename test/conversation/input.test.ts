/** Reading answers the way patients give them: yes/no in many forms, values inside sentences, dates as people write them. */
import { readAnswer, readDateOfBirth, recogniseYesNo } from '../../dialogs/input';

describe('yes and no', () => {
  test.each(['yes', 'y', 'ya', 'yep', 'yeah go ahead', 'sure thing', 'ok do it', 'yes and hurry up', 'yes please help me with that', 'Yes!', 'sure, why not', 'go ahead please'])(
    '%j continues',
    (text) => expect(recogniseYesNo(text)).toBe('yes'),
  );
  test.each(['no', 'nah', 'not now', 'no thanks', 'no thank you', 'nope, not right now', 'maybe later'])('%j declines', (text) => expect(recogniseYesNo(text)).toBe('no'));
  test.each(['no I dont have an email', 'ok so how do I enroll?', 'yes but I dont have an email', 'what is a token', 'I forgot my password'])(
    '%j says more than yes or no, so it is routed whole',
    (text) => expect(recogniseYesNo(text)).toBeUndefined(),
  );
});

describe('values inside sentences', () => {
  test.each<[Parameters<typeof readAnswer>[0], string, string | null]>([
    ['email', 'my email is Jo.Smith@Example.com.', 'jo.smith@example.com'],
    ['email', 'I get the reminders at jim.oconnor@example.net', 'jim.oconnor@example.net'],
    ['email', 'either jo@example.com or bob@example.com', null],
    ['contact', 'you can call me at 555 867 5309', '555 867 5309'],
    ['contact', 'email me at a.b@example.org please', 'a.b@example.org'],
    ['contact', 'born 02/19/1952', null],
    ['username', 'his username is bobchen52', 'bobchen52'],
    ['username', 'bobchen52', 'bobchen52'],
    ['username', 'how do I enroll in the portal', null],
    ['login', 'my username is bobchen52', 'bobchen52'],
    ['name', "it's Chen", 'Chen'],
    ['name', 'my last name is Álvarez-Ruiz', 'Álvarez-Ruiz'],
    ['name', 'Isaac', 'Isaac'],
    ['name', 'how do I reset my password', null],
    ['token', 'the token is abcde fghjk', 'abcde fghjk'],
  ])('%s in %j → %j', (expect_, text, value) => {
    expect(readAnswer(expect_, text)).toBe(value);
  });
});

describe('dates of birth as people write them', () => {
  test.each(['2/19/1952', '02-19-1952', '02.19.1952', 'Feb 19 1952', 'February 19, 1952', '19 February 1952', 'I was born on feb 19th, 1952', '1952-02-19'])(
    '%j is 1952-02-19',
    (text) => expect(readDateOfBirth(text)).toEqual({ iso: '1952-02-19' }),
  );
  test('a two-digit year is reported, never guessed', () => {
    expect(readDateOfBirth('2/19/52')).toEqual({ twoDigitYear: true });
    expect(readDateOfBirth('Feb 19 52')).toEqual({ twoDigitYear: true });
    expect(readAnswer('dob', '2/19/52')).toBeNull();
  });
  test('impossible and future dates are refused', () => {
    expect(readDateOfBirth('13/45/1965')).toBeNull();
    expect(readDateOfBirth('02/30/1990')).toBeNull();
    expect(readDateOfBirth('01/01/2999')).toBeNull();
  });
});
