import {
  applyPhrases,
  buildVocabulary,
  compilePhraseRules,
  correctTypo,
  createNormaliser,
  editDistance,
  expandShorthand,
  foldForMatching,
  PHRASE_RULES,
  splitJoined,
  stem,
  tokenize,
} from '../../knowledge/normalise';

describe('foldForMatching and tokenize', () => {
  it('lower-cases, strips accents and punctuation, and joins hyphenated and apostrophe words', () => {
    expect(foldForMatching("Can't log-in w/o my E-mail!!")).toBe('cant login without my email');
    expect(foldForMatching('Réinitialiser  mot de passe')).toBe('reinitialiser mot de passe');
    expect(foldForMatching('I’ve been un-enrolled')).toBe('ive been unenrolled');
    expect(tokenize('  ')).toEqual([]);
    expect(tokenize('Forgot my PW?')).toEqual(['forgot', 'my', 'pw']);
  });

  it('spells out contractions that would fold into other words', () => {
    expect(foldForMatching("on the portal. I'd be the one using it")).toBe('on the portal i would be the one using it'); // not "portal id"
    expect(foldForMatching("I'll try again")).toBe('i will try again'); // not "ill"
    expect(foldForMatching("we're stuck")).toBe('we are stuck');
  });
});

describe('expandShorthand', () => {
  it('spells out SMS shorthand and abbreviations', () => {
    expect(expandShorthand(tokenize('pls help cant get in2 my acct'))).toEqual(['please', 'help', 'cant', 'get', 'into', 'my', 'account']);
    expect(expandShorthand(['u', 'r', 'pw', 'pwd', 'passwd', 'pword', 'usr', 'un', 'idk'])).toEqual([
      'you', 'are', 'password', 'password', 'password', 'password', 'username', 'username', 'i', 'dont', 'know',
    ]);
  });
});

describe('stem', () => {
  it('lets inflections meet', () => {
    expect(stem('blocked')).toBe(stem('blocking'));
    expect(stem('expired')).toBe(stem('expires'));
    expect(stem('logging')).toBe('log');
    expect(stem('enrolled')).toBe('enroll');
    expect(stem('questions')).toBe('question');
  });

  it('leaves short words and meaningful forms alone', () => {
    expect(stem('pass')).toBe('pass');
    expect(stem('changed')).toBe('changed'); // "I changed my email" ≠ "change my email"
    expect(stem('settings')).not.toBe(stem('set'));
    expect(stem('swallowed')).not.toBe(stem('swallow')); // "swallowed pills" is an emergency, "can't swallow pills" is not
  });
});

describe('typo tolerance', () => {
  const vocab = buildVocabulary(['look', 'walk', 'wall'], ['password', 'username', 'lock', 'working', 'token', 'reset'], ['working']);

  it('measures edits, counting a swap of neighbours as one', () => {
    expect(editDistance('pasword', 'password')).toBe(1);
    expect(editDistance('usernmae', 'username')).toBe(1);
    expect(editDistance('abc', 'xyz', 1)).toBe(2); // stops early past the limit
  });

  it('corrects near-misses to KB words only', () => {
    expect(correctTypo('pasword', vocab)).toBe('password');
    expect(correctTypo('usernmae', vocab)).toBe('username');
    expect(correctTypo('tokn', vocab)).toBe('token');
    expect(correctTypo('wrking', vocab)).toBe('working');
  });

  it('never changes known words, short words or words with a different first letter', () => {
    expect(correctTypo('look', vocab)).toBe('look'); // a real word, not "lock"
    expect(correctTypo('walk', vocab)).toBe('walk');
    expect(correctTypo('pw', vocab)).toBe('pw');
    expect(correctTypo('bassword', vocab)).toBe('bassword');
  });

  it('splits run-together words', () => {
    expect(splitJoined('resetpassword', vocab)).toEqual(['reset', 'password']);
    expect(splitJoined('unknownword', vocab)).toEqual(['unknownword']);
  });
});

describe('applyPhrases', () => {
  const rules = compilePhraseRules(PHRASE_RULES);
  const phrases = (text: string) => applyPhrases(tokenize(text).map(stem), rules);

  it('rewrites phrases into concepts, allowing filler words in gaps', () => {
    expect(phrases('cant log in')).toEqual(['brokenx', 'loginx']);
    expect(phrases('i dont have a verified email')).toEqual(['i', 'nomailbox']);
    expect(phrases('sign up')).toEqual(['enrollx']);
    expect(phrases('user name')).toEqual(['username']);
  });

  it('tries specific rules first', () => {
    expect(phrases('forget it')).toEqual(['cancelx']);
    expect(phrases('forget my password')).toEqual(['forgot', 'password']);
  });
});

describe('createNormaliser().normalise', () => {
  const { normalise, words } = createNormaliser(['password', 'username', 'token', 'working', 'account']);

  it.each([
    ['forgot my pasword', ['forgot', 'password']],
    ['I forgot my user name', ['forgot', 'username']],
    ['what is my login id', ['forgot', 'username']],
    ['cant sign in', ['brokenx', 'loginx']],
    ['Can I log on from my iPad?', ['loginx', 'mobilex']],
    ['reset my pw w/o e-mail', ['reset', 'password', 'nomailbox']],
    ['regsitration', ['enrollx']],
    ['my acct is locked', ['account', 'blockedx']],
    ['I was un-enrolled', ['blockedx']],
    ['tokn not wrking', ['tokenx', 'brokenx']],
    ['I know my password but not my username', ['haspassword', 'username']],
    ['the token they gave me isnt doing anything', ['tokenx', 'brokenx']],
    ['I havent been to the doctor in 3 years', ['awayx', 'awayx']],
    ['does it matter if my user name has capitals', ['matter', 'username', 'casex']],
    ['do i have to give an email address to sign up', ['requiredx', 'email', 'enrollx']],
    ['i need to change my username its my old last name', ['changex', 'username', 'expiredx', 'lastnamex']],
    ['I got a new phone', ['newdevicex']],
  ])('%s → %j', (text, expected) => {
    expect(normalise(text)).toEqual(expected);
  });

  it('keeps small talk only when nothing else was said', () => {
    expect(normalise('hello there')).toEqual(['greetx']);
    expect(normalise('hi, I forgot my password')).toEqual(['forgot', 'password']);
    expect(normalise('help')).toEqual(['helpmenux']);
    expect(normalise('help, I cant log in')).toEqual(['brokenx', 'loginx']);
  });

  it('reads other services\' accounts as such, so their credential words do not look like ours', () => {
    expect(normalise('i forgot my wifi password')).toEqual(['forgot', 'othersvcx']);
    expect(normalise('my facebook account is locked')).toEqual(['othersvcx', 'blockedx']);
    expect(normalise('forgot my gmail password')).toEqual(['forgot', 'othersvcx', 'nomailbox']);
    expect(normalise('my gmail doesnt work anymore')).toEqual(['nomailbox']); // the mailbox itself is still ours to talk about
  });

  it('drops dates and bare numbers from a story', () => {
    expect(normalise('I saw Dr Patel on March 3rd')).toEqual(['doctor', 'patel']);
  });

  it('keeps words (with stop words) for emergency patterns', () => {
    expect(words('I want to kill myself')).toEqual(['i', 'want', 'to', 'kill', 'myself']);
  });

  it('returns nothing for empty or punctuation-only text', () => {
    expect(normalise('')).toEqual([]);
    expect(normalise('?!...')).toEqual([]);
  });
});
