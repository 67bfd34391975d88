import fs from 'node:fs';
import path from 'node:path';
import { AccountNotFoundError, ImportError, PasswordPolicyError, RedisPortalDirectory, type ImportFile } from '../../services/directory';
import { Keys } from '../../services/redis';
import { createTestRedis, deletePrefix, uniquePrefix, type TestRedis } from '../helpers/redis';
import { accountKeyId } from '../../services/directory/redis-directory';

const SECRET = 'directory-test-secret-0123456789-abcdef';

const q = (a: string, b: string) =>
  [
    { question: 'What was the name of your first pet?', answer: a },
    { question: 'In what city were you born?', answer: b },
  ] as [{ question: string; answer: string }, { question: string; answer: string }];

function sampleFile(): ImportFile {
  return {
    patients: [
      {
        id: 'P-1',
        firstName: 'Maria',
        lastName: 'González',
        dateOfBirth: '1978-04-12',
        notificationEmail: 'Family@Example.com',
        account: {
          username: 'MGonzalez78',
          password: 'Sunflower-Trail-42!',
          verifiedEmail: 'Maria.G@Example.com',
          securityQuestions: q('Biscuit', 'San Antonio'),
        },
      },
      {
        id: 'P-2',
        firstName: 'Luis',
        lastName: 'Gonzalez',
        dateOfBirth: '1980-01-01',
        notificationEmail: 'family@example.com',
        account: { username: 'lgonzalez80', password: 'Copper&Kettle19', securityQuestions: q('Rex', 'Austin'), status: 'unenrolled' },
      },
      { id: 'P-3', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', notificationEmail: 'linh@example.com' },
    ],
  };
}

async function importError(p: Promise<unknown>): Promise<ImportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    return err as ImportError;
  }
  throw new Error('expected an ImportError');
}

describe('RedisPortalDirectory', () => {
  let t: TestRedis;
  let dir: RedisPortalDirectory;

  beforeAll(async () => {
    t = createTestRedis('dir');
    dir = new RedisPortalDirectory({ redis: t.redis, keys: t.keys, serverSecret: SECRET });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('starts empty; a bad file names record and field and writes nothing', async () => {
    expect(await dir.isEmpty()).toBe(true);
    const file = sampleFile();
    file.patients[1]!.account!.password = 'Password1!';
    file.patients[2]!.dateOfBirth = '2001-02-30';
    const err = await importError(dir.importPatients(file));
    expect(err.problems).toEqual([
      expect.stringMatching(/^patients\[1\] \(id "P-2"\): account\.password: .*commonly used/),
      expect.stringMatching(/^patients\[2\] \(id "P-3"\): dateOfBirth: /),
    ]);
    expect(err.message).not.toContain('Password1!');
    expect(await dir.isEmpty()).toBe(true);
    expect(await t.redis.keys(`${t.prefix}:*`)).toEqual([]);
  });

  test('missing fields, unknown fields and wrong shapes are reported per record', async () => {
    const err = await importError(
      dir.importPatients({
        patients: [{ id: 'P-9', firstName: 'A', dateOfBirth: '1990-01-01', nickname: 'x', account: { username: 'short', password: 'x', securityQuestions: [] } }],
      }),
    );
    const text = err.problems.join('\n');
    expect(text).toContain('patients[0] (id "P-9"): lastName: is required');
    expect(text).toContain('patients[0] (id "P-9"): unknown field(s) "nickname"');
    expect(text).toContain('patients[0] (id "P-9"): account.username: must be 6 to 50 characters');
    expect(text).toContain('patients[0] (id "P-9"): account.securityQuestions');
    await expect(dir.importPatients('not an object')).rejects.toBeInstanceOf(ImportError);
    expect(await dir.isEmpty()).toBe(true);
  });

  test('duplicate usernames inside the file are caught case-insensitively', async () => {
    const file = sampleFile();
    file.patients[1]!.account!.username = 'mgonzalez78';
    const err = await importError(dir.importPatients(file));
    expect(err.problems).toEqual(['patients[1] (id "P-2"): account.username: this username (ignoring case) is also used by patients[0]']);
  });

  test('duplicate ids and verified emails inside the file are caught', async () => {
    const file = sampleFile();
    file.patients[2]!.id = 'P-1';
    file.patients[1]!.account!.verifiedEmail = 'maria.g@example.com';
    const err = await importError(dir.importPatients(file));
    expect(err.problems.join('\n')).toMatch(/patients\[2\] \(id "P-1"\): id: this id is also used by patients\[0\]/);
    expect(err.problems.join('\n')).toMatch(/patients\[1\] \(id "P-2"\): account\.verifiedEmail: this verified email is also used by patients\[0\]/);
  });

  test('a good file imports patients and accounts, storing only hashes', async () => {
    await expect(dir.importPatients(sampleFile())).resolves.toEqual({ patients: 3, accounts: 2 });
    expect(await dir.isEmpty()).toBe(false);
    const all: string[] = [];
    for (const key of await t.redis.keys(`${t.prefix}:*`)) {
      const type = await t.redis.type(key);
      if (type === 'hash') all.push(...Object.values(await t.redis.hgetall(key)));
      if (type === 'string') all.push((await t.redis.get(key)) ?? '');
    }
    const blob = all.join('\n');
    expect(blob).not.toContain('Sunflower-Trail-42!');
    expect(blob).not.toContain('Copper&Kettle19');
    expect(blob.toLowerCase()).not.toContain('biscuit');
    expect(blob.toLowerCase()).not.toContain('antonio');
    expect(blob).toContain('$argon2id$');
  });

  test('a second import clashing with existing data is refused whole, naming each clash', async () => {
    const err = await importError(
      dir.importPatients({
        patients: [
          { id: 'P-4', firstName: 'New', lastName: 'Person', dateOfBirth: '1999-09-09' },
          { id: 'P-1', firstName: 'Maria', lastName: 'Gonzalez', dateOfBirth: '1978-04-12' },
          {
            id: 'P-5',
            firstName: 'Other',
            lastName: 'Person',
            dateOfBirth: '1999-09-09',
            account: { username: 'mGONZALEZ78', password: 'Orchid$Meadow31', verifiedEmail: 'MARIA.G@example.com', securityQuestions: q('ab', 'cd') },
          },
        ],
      }),
    );
    expect(err.problems).toEqual([
      'patients[1] (id "P-1"): id: a patient with this id already exists',
      'patients[2] (id "P-5"): account.username: an account with this username (ignoring case) already exists',
      'patients[2] (id "P-5"): account.verifiedEmail: another account already has this verified email',
    ]);
    expect(await dir.getPatient('P-4')).toBeNull();
  });

  test('getPatient and getAccountForPatient', async () => {
    expect(await dir.getPatient('P-3')).toEqual({ id: 'P-3', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', notificationEmail: 'linh@example.com' });
    expect(await dir.getAccountForPatient('P-3')).toBeNull();
    expect(await dir.getAccountForPatient('P-1')).toEqual({ username: 'MGonzalez78', patientId: 'P-1', verifiedEmail: 'Maria.G@Example.com', status: 'active' });
    expect(await dir.getPatient('nope')).toBeNull();
  });

  test('findByUsername is case-insensitive and never returns hashes', async () => {
    const match = await dir.findByUsername('  mgonzalez78 ');
    expect(match?.patient.id).toBe('P-1');
    expect(match?.account.username).toBe('MGonzalez78');
    expect(JSON.stringify(match)).not.toContain('argon2');
    expect((await dir.findByUsername('LGONZALEZ80'))?.account.status).toBe('unenrolled');
    expect(await dir.findByUsername('nobody-here')).toBeNull();
    expect(await dir.findByUsername('')).toBeNull();
  });

  test('findByVerifiedEmail is case-insensitive; notification emails are not verified emails', async () => {
    expect((await dir.findByVerifiedEmail(' MARIA.g@example.COM '))?.patient.id).toBe('P-1');
    expect(await dir.findByVerifiedEmail('family@example.com')).toBeNull();
    expect(await dir.findByVerifiedEmail('unknown@example.com')).toBeNull();
  });

  test('findByNotificationEmailLastNameDob needs exactly one match with an account', async () => {
    // Two patients share the family address; last name and DOB pick one. Accents, case and spaces are ignored.
    expect((await dir.findByNotificationEmailLastNameDob('FAMILY@example.com', ' gonzalez ', '1978-04-12'))?.patient.id).toBe('P-1');
    expect((await dir.findByNotificationEmailLastNameDob('family@example.com', 'GONZÁLEZ', '1980-01-01'))?.account.username).toBe('lgonzalez80');
    expect(await dir.findByNotificationEmailLastNameDob('family@example.com', 'Gonzalez', '1978-04-13')).toBeNull();
    expect(await dir.findByNotificationEmailLastNameDob('family@example.com', 'Smith', '1978-04-12')).toBeNull();
    expect(await dir.findByNotificationEmailLastNameDob('maria.g@example.com', 'Gonzalez', '1978-04-12')).toBeNull();
    // A patient without an account has no username to recover.
    expect(await dir.findByNotificationEmailLastNameDob('linh@example.com', 'Nguyen', '2001-09-30')).toBeNull();
  });

  test('two patients matching all three details are ambiguous: no match', async () => {
    const t2 = createTestRedis('dir2');
    const d2 = new RedisPortalDirectory({ redis: t2.redis, keys: t2.keys, serverSecret: SECRET });
    try {
      const twin = (id: string, username: string) => ({
        id,
        firstName: id,
        lastName: 'Twin',
        dateOfBirth: '2010-06-01',
        notificationEmail: 'parents@example.com',
        account: { username, password: 'Orchid$Meadow31', securityQuestions: q('aa', 'bb') },
      });
      await d2.importPatients({ patients: [twin('T-1', 'twinone10'), twin('T-2', 'twintwo10')] });
      expect(await d2.findByNotificationEmailLastNameDob('parents@example.com', 'Twin', '2010-06-01')).toBeNull();
    } finally {
      await t2.cleanup();
    }
  });

  test('verifyPassword and setPassword', async () => {
    expect(await dir.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(true);
    expect(await dir.verifyPassword('MGONZALEZ78', 'sunflower-trail-42!')).toBe(false);
    expect(await dir.verifyPassword('nobody-here', 'Sunflower-Trail-42!')).toBe(false);
    await dir.setPassword('mgonzalez78', 'Brand-New-Lantern-7');
    expect(await dir.verifyPassword('mgonzalez78', 'Brand-New-Lantern-7')).toBe(true);
    expect(await dir.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(false);
  });

  test('setPassword enforces the policy (including the last name) and needs an account', async () => {
    await expect(dir.setPassword('mgonzalez78', 'Password1!')).rejects.toBeInstanceOf(PasswordPolicyError);
    await expect(dir.setPassword('mgonzalez78', 'Gonzalez-Rocks-1')).rejects.toThrow(/last name/);
    await expect(dir.setPassword('nobody-here', 'Brand-New-Lantern-7')).rejects.toBeInstanceOf(AccountNotFoundError);
    expect(await dir.verifyPassword('mgonzalez78', 'Brand-New-Lantern-7')).toBe(true);
  });

  test('security questions and normalised answers', async () => {
    expect(await dir.getSecurityQuestions('MGonzalez78')).toEqual(['What was the name of your first pet?', 'In what city were you born?']);
    expect(await dir.getSecurityQuestions('nobody-here')).toBeNull();
    expect(await dir.verifySecurityAnswer('mgonzalez78', 0, '  BISCUIT ')).toBe(true);
    expect(await dir.verifySecurityAnswer('mgonzalez78', 1, 'sanantonio')).toBe(true);
    expect(await dir.verifySecurityAnswer('mgonzalez78', 1, 'San   Antonio')).toBe(true);
    expect(await dir.verifySecurityAnswer('mgonzalez78', 0, 'San Antonio')).toBe(false);
    expect(await dir.verifySecurityAnswer('mgonzalez78', 1, 'Austin')).toBe(false);
    expect(await dir.verifySecurityAnswer('nobody-here', 0, 'Biscuit')).toBe(false);
  });

  test('setStatus', async () => {
    expect(await dir.setStatus('LGonzalez80', 'active')).toBe(true);
    expect((await dir.findByUsername('lgonzalez80'))?.account.status).toBe('active');
    expect(await dir.setStatus('nobody-here', 'active')).toBe(false);
    expect(await t.redis.exists(t.keys.tagged('acct', accountKeyId(SECRET, 'nobody-here')))).toBe(0);
  });

  test('the demo fixture is valid and imports', async () => {
    const prefix = uniquePrefix('demo');
    const d = new RedisPortalDirectory({ redis: t.redis, keys: new Keys(prefix), serverSecret: SECRET });
    try {
      const file = JSON.parse(fs.readFileSync(path.join(__dirname, '../../demo/accounts.json'), 'utf8'));
      await expect(d.importPatients(file)).resolves.toEqual({ patients: 6, accounts: 5 });
      expect(await d.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(true);
      expect((await d.findByUsername('jamesoc65'))?.account.verifiedEmail).toBeUndefined();
      expect((await d.findByNotificationEmailLastNameDob('jim.oconnor@example.net', 'oconnor', '1965-11-03'))?.account.username).toBe('JamesOC65');
      expect((await d.findByNotificationEmailLastNameDob('alvarez.family@example.com', 'alvarez ruiz', '1985-05-05'))?.patient.id).toBe('P-1006');
      expect((await d.findByVerifiedEmail('robert.chen@example.org'))?.account.status).toBe('unenrolled');
      expect(await d.getAccountForPatient('P-1005')).toBeNull();
    } finally {
      await deletePrefix(t.redis, prefix);
    }
  });
});
