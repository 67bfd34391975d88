import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAdminServices, runAdmin, type AdminIO, type AdminServices, type SendMail } from '../../services/admin/cli';
import { RedisAuditLog } from '../../services/audit';
import { RedisPortalDirectory } from '../../services/directory';
import { RedisSecurityQuestionLock } from '../../services/limits';
import { createLogger } from '../../services/logger';
import { RedisRequestQueue } from '../../services/requests';
import { RedisTokenService } from '../../services/tokens';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const ROOT = path.join(__dirname, '../..');
const DEMO = path.join(ROOT, 'demo/accounts.json');

interface Captured extends AdminIO {
  stdout: string[];
  stderr: string[];
}

function capture(stdin = ''): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(...line.split('\n')),
    err: (line) => stderr.push(...line.split('\n')),
    readStdin: async () => stdin,
  };
}

describe('admin CLI (runAdmin, in-process)', () => {
  let t: TestRedis;
  let services: AdminServices;
  let mails: Parameters<SendMail>[0][];
  let mailFails = false;
  let tmp: string;

  const run = async (argv: string[], stdin = '') => {
    const io = capture(stdin);
    const code = await runAdmin(argv, services, io);
    return { code, out: io.stdout, err: io.stderr, last: io.stdout[io.stdout.length - 1] ?? '' };
  };

  beforeAll(() => {
    t = createTestRedis('cli');
    mails = [];
    const logger = createLogger('silent');
    services = {
      directory: new RedisPortalDirectory({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40), logger }),
      tokens: new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40) }),
      requests: new RedisRequestQueue({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40), logger }),
      audit: new RedisAuditLog({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40), logger }),
      securityLock: new RedisSecurityQuestionLock({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40) }),
      sendMail: async (msg) => {
        if (mailFails) throw new Error('outbox unavailable');
        mails.push(msg);
      },
    };
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-cli-'));
  });
  afterAll(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    await t.cleanup();
  });

  test('help, unknown commands and bad arguments: clear message, exit 2, no stack trace', async () => {
    const help = await run(['help']);
    expect(help.code).toBe(0);
    expect(help.out.join('\n')).toContain('accounts:import FILE');
    expect(help.out.join('\n')).toContain('requests:resolve REQUEST_ID --patient PATIENT_ID');
    expect((await run([])).code).toBe(2);

    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /^Unknown command "frobnicate"\. Run `npm run --silent admin -- help`/],
      [['accounts:import'], /^missing argument\nUsage: .* accounts:import FILE$/],
      [['accounts:import', 'a.json', 'b.json'], /^too many arguments\nUsage: .* accounts:import FILE$/],
      [['enrollment:issue', 'bad id!'], /^PATIENT_ID must be 1-64 letters, digits/],
      [['requests:list', '--status', 'pending'], /^--status must be open or resolved\nUsage: /],
      [['requests:list', '--verbose'], /^unknown option --verbose\nUsage: /],
      [['requests:list', '--json=yes'], /^--json takes no value\nUsage: /],
      [['requests:resolve', 'R-222222'], /^--patient PATIENT_ID is required\nUsage: /],
      [['requests:resolve', 'R-222222', '--patient'], /^--patient needs a value\nUsage: /],
      [['audit:tail', '--count', 'many'], /\nUsage: .* audit:tail \[--count N\] \[--json\]$/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      const err = r.err.join('\n');
      expect({ argv, code: r.code, message: message.test(err) ? 'as expected' : err }).toEqual({ argv, code: 2, message: 'as expected' });
      expect(err).not.toMatch(/\n\s+at /);
    }
    expect((await run(['frobnicate'])).err[0]).toMatch(/Unknown command "frobnicate"/);
    expect((await run(['requests:resolve', 'R-222222'])).err[0]).toMatch(/--patient PATIENT_ID is required/);
  });

  test('accounts:import: demo file imports; a second import is refused whole; unreadable input', async () => {
    const ok = await run(['accounts:import', DEMO]);
    expect(ok).toMatchObject({ code: 0, last: 'Imported 6 patient(s) and 5 account(s).' });
    const again = await run(['accounts:import', DEMO]);
    expect(again.code).toBe(1);
    expect(again.err.join('\n')).toContain('patients[0] (id "P-1001"): id: a patient with this id already exists');
    expect((await run(['accounts:import', path.join(tmp, 'missing.json')])).code).toBe(2);
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"patients": [');
    expect((await run(['accounts:import', bad])).code).toBe(1);
  });

  test('accounts:check-password reads stdin: 0 on match, 1 otherwise', async () => {
    expect((await run(['accounts:check-password', 'mgonzalez78'], 'Sunflower-Trail-42!\n')).code).toBe(0);
    expect((await run(['accounts:check-password', 'MGONZALEZ78'], 'Sunflower-Trail-42!')).code).toBe(0);
    expect((await run(['accounts:check-password', 'mgonzalez78'], 'wrong-Password-1\n')).code).toBe(1);
    expect((await run(['accounts:check-password', 'nobody-here'], 'Sunflower-Trail-42!\n')).code).toBe(1);
    expect((await run(['accounts:check-password', 'mgonzalez78'], '')).code).toBe(2);
  });

  test('tokens:issue-reset prints a redeemable token as the last line and audits by ref', async () => {
    const r = await run(['tokens:issue-reset', 'JamesOC65']);
    expect(r.code).toBe(0);
    expect(r.last).toMatch(/^[2-9A-HJKMNP-TV-Z]{10}$/);
    expect(r.out.join('\n')).not.toMatch(/jamesoc65/i);
    const [event] = await services.audit.tail(1);
    expect(event).toMatchObject({ type: 'practice-token-issued', patientId: 'P-1002', accountRef: services.audit.accountRef('jamesoc65') });
    expect(await services.tokens.redeemPracticeResetToken('jamesoc65', r.last)).toBe(true);
    expect((await run(['tokens:issue-reset', 'nobody-here'])).code).toBe(1);
  });

  test('security:unlock lifts a lock three wrong answers set, audits who did it, and refuses unknown usernames', async () => {
    const lock = services.securityLock;
    for (let i = 0; i < 3; i += 1) await lock.recordFailure('arahman90', 0);
    expect(await lock.isLocked('ARAHMAN90')).toBe(true);
    const r = await run(['security:unlock', 'ARahman90']);
    expect(r.code).toBe(0);
    expect(r.last).toBe('Unlocked: the account of patient P-1003 can reset with security questions again.');
    expect(await lock.isLocked('arahman90')).toBe(false);
    const [event] = await services.audit.tail(1);
    expect(event).toMatchObject({ type: 'security-path-unlocked', patientId: 'P-1003', detail: { by: 'admin-cli', wasLocked: true } });
    expect((await run(['security:unlock', 'arahman90'])).last).toBe('The account of patient P-1003 was not locked; its wrong-answer counts are cleared.');
    const unknown = await run(['security:unlock', 'nobody-here']);
    expect(unknown).toMatchObject({ code: 1, err: ['No account with that username.'] });
  });

  test('enrollment:issue and enrollment:check; a new token revokes the old one', async () => {
    const first = await run(['enrollment:issue', 'P-1005']);
    expect(first.code).toBe(0);
    expect(first.last).toMatch(/^[2-9A-HJKMNP-TV-Z]{12}$/);
    expect((await run(['enrollment:check', first.last])).code).toBe(0);
    const second = await run(['enrollment:issue', 'P-1005']);
    expect((await run(['enrollment:check', first.last])).code).toBe(1);
    expect((await run(['enrollment:check', second.last])).code).toBe(0);
    expect((await run(['enrollment:issue', 'P-9999'])).code).toBe(1);
  });

  test('requests:list, text and JSON', async () => {
    expect((await run(['requests:list'])).last).toBe('No requests.');
    const { requestId } = await services.requests.create({
      kind: 'token-renewal',
      firstName: 'Linh',
      lastName: 'Nguyen',
      dateOfBirth: '2001-09-30',
      contact: { email: 'typed-in-chat@example.com' },
    });
    const text = await run(['requests:list']);
    expect(text.code).toBe(0);
    expect(text.out[0]).toMatch(/^REFERENCE\s+KIND\s+STATUS/);
    expect(text.out.join('\n')).toContain(requestId);
    const json = await run(['requests:list', '--json', '--status', 'open']);
    expect(JSON.parse(json.out.join('\n'))).toEqual([expect.objectContaining({ requestId, kind: 'token-renewal', status: 'open' })]);
    expect((await run(['requests:list', '--status=resolved'])).last).toBe('No resolved requests.');
  });

  test('requests:resolve (renewal) emails a new enrollment token to the email ON FILE and revokes the old one', async () => {
    const old = (await run(['enrollment:issue', 'P-1005'])).last;
    const [request] = await services.requests.list({ status: 'open' });
    const r = await run(['requests:resolve', request!.requestId.toLowerCase(), '--patient', 'P-1005', '--by', 'Front desk']);
    expect(r.code).toBe(0);
    expect(r.last).toMatch(/emailed/);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail).toMatchObject({ to: 'linh.nguyen@example.com', template: 'enrollment-token', idempotencyKey: `request:${request!.requestId}:enrollment-token` });
    expect(await services.tokens.checkEnrollmentToken(mail.data.token!)).toEqual({ patientId: 'P-1005' });
    expect(await services.tokens.checkEnrollmentToken(old)).toBeNull();
    expect(r.out.join('\n')).not.toContain(mail.data.token);
    expect(await services.requests.status(request!.requestId)).toBe('resolved');
    expect((await services.requests.get(request!.requestId))?.resolvedBy).toBe('Front desk');
    const types = (await services.audit.tail(3)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['request-resolved', 'enrollment-token-issued']));

    const again = await run(['requests:resolve', request!.requestId, '--patient', 'P-1005']);
    expect(again.code).toBe(1);
    expect(again.err[0]).toMatch(/already resolved/);
    expect(mails).toHaveLength(1);
  });

  test('requests:resolve refuses unknown requests and patients without changing anything', async () => {
    expect((await run(['requests:resolve', 'R-222222', '--patient', 'P-1005'])).code).toBe(1);
    const { requestId } = await services.requests.create({ kind: 'token-renewal', firstName: 'A', lastName: 'Rahman', dateOfBirth: '1990-07-28', contact: { phone: '555 0100' } });
    const r = await run(['requests:resolve', requestId, '--patient', 'P-9999']);
    expect(r.code).toBe(1);
    expect(await services.requests.status(requestId)).toBe('open');
  });

  test('requests:resolve for a patient with no email on file prints the token for staff to hand over', async () => {
    const [request] = (await services.requests.list({ status: 'open' })).filter((x) => x.lastName === 'Rahman');
    const r = await run(['requests:resolve', request!.requestId, '--patient', 'P-1003']);
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/no email on file/);
    expect(await services.tokens.checkEnrollmentToken(r.last)).toEqual({ patientId: 'P-1003' });
    expect(mails).toHaveLength(1);
  });

  test('requests:resolve warns when the request does not look like the chosen patient', async () => {
    const { requestId } = await services.requests.create({ kind: 'token-renewal', firstName: 'X', lastName: 'Someone', dateOfBirth: '1970-01-01', contact: { phone: '555 0101' } });
    const r = await run(['requests:resolve', requestId, '--patient', 'P-1001']);
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).toMatch(/Warning: the last name or date of birth/);
    expect(r.err.join('\n')).not.toMatch(/Someone|1970/);
    expect(mails.at(-1)).toMatchObject({ to: 'maria.gonzalez@example.com' });
  });

  test('requests:resolve when mail cannot be queued: exit 1, token printed for manual hand-over', async () => {
    const { requestId } = await services.requests.create({ kind: 'token-renewal', firstName: 'Maria', lastName: 'Gonzalez', dateOfBirth: '1978-04-12', contact: { phone: '555 0102' } });
    mailFails = true;
    try {
      const r = await run(['requests:resolve', requestId, '--patient', 'P-1001']);
      expect(r.code).toBe(1);
      expect(r.err.join('\n')).toMatch(/could not be queued/);
      expect(await services.tokens.checkEnrollmentToken(r.last)).toEqual({ patientId: 'P-1001' });
    } finally {
      mailFails = false;
    }
  });

  test('requests:resolve (reactivation) sets the account active; (reset-token) issues a practice token', async () => {
    const react = await services.requests.create({ kind: 'reactivation', firstName: 'Robert', lastName: 'Chen', dateOfBirth: '1952-02-19', contact: { phone: '555 0103' } });
    expect((await services.directory.findByUsername('bobchen52'))?.account.status).toBe('unenrolled');
    expect((await run(['requests:resolve', react.requestId, '--patient', 'P-1004'])).code).toBe(0);
    expect((await services.directory.findByUsername('bobchen52'))?.account.status).toBe('active');

    const reset = await services.requests.create({ kind: 'reset-token', firstName: 'Aisha', lastName: 'Rahman', dateOfBirth: '1990-07-28', contact: { phone: '555 0104' } });
    const r = await run(['requests:resolve', reset.requestId, '--patient', 'P-1003']);
    expect(r.code).toBe(0);
    expect(await services.tokens.redeemPracticeResetToken('arahman90', r.last)).toBe(true);

    const noAccount = await services.requests.create({ kind: 'reset-token', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', contact: { phone: '555 0105' } });
    expect((await run(['requests:resolve', noAccount.requestId, '--patient', 'P-1005'])).code).toBe(1);
    expect(await services.requests.status(noAccount.requestId)).toBe('open');
  });

  test('requests:resolve (enrollment): without the use cases exit 2 and the request stays open; an invitation that cannot be queued: exit 1, told how to re-send', async () => {
    const { requestId } = await services.requests.create({ kind: 'enrollment', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', contact: { phone: '555 0106' } });
    const noUseCases = await run(['requests:resolve', requestId, '--patient', 'P-1005']);
    expect(noUseCases.code).toBe(2);
    expect(await services.requests.status(requestId)).toBe('open');

    // Only the CLI's handling is under test here: the invitation itself (real mail) is tested through the host in test/enroll.
    const io = capture();
    const failing: AdminServices = { ...services, recovery: { inviteToEnroll: async () => Promise.reject(new Error('outbox unavailable')) } };
    expect(await runAdmin(['requests:resolve', requestId, '--patient', 'P-1005'], failing, io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/could not be queued \(outbox unavailable\)\. Send it again with: enrollment:invite P-1005/);
    expect(await services.requests.status(requestId)).toBe('resolved');
  });

  test('audit:tail, text and JSON, carries no PHI', async () => {
    // Enough events of its own, so the test does not depend on what earlier tests recorded.
    for (let i = 0; i < 25; i += 1) await services.audit.record({ type: 'request-resolved', requestId: 'R-7K3Q9P', patientId: 'P-1001' });
    const text = await run(['audit:tail', '--count', '5']);
    expect(text.code).toBe(0);
    expect(text.out).toHaveLength(5);
    const json = await run(['audit:tail', '--json']);
    const events = JSON.parse(json.out.join('\n')) as Array<{ type: string }>;
    expect(events).toHaveLength(20); // the default count (this test recorded 25 events of its own)
    const all = `${text.out.join('\n')}\n${json.out.join('\n')}`;
    expect(all).not.toMatch(/gonzalez|nguyen|rahman|example\.com|1978-04-12/i);
  });

  test('without REDIS_URL the CLI says so and exits 2', async () => {
    const io = capture();
    const code = await runAdmin(['enrollment:check', 'ABC'], () => buildAdminServices({ NODE_ENV: 'test' }), io);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/REDIS_URL is not set/);
    const bad = capture();
    expect(await runAdmin(['enrollment:check', 'ABC'], () => buildAdminServices({ PORT: 'abc' }), bad)).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/PORT/);
  });
});

describe('admin CLI (real process: npm run --silent admin)', () => {
  let t: TestRedis;
  beforeAll(() => {
    t = createTestRedis('clip');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const exec = (args: string[], env: Record<string, string>, stdin?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'services/admin/cli.ts'), ...args],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, timeout: 30000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (stdin !== undefined) child.stdin?.end(stdin);
      else child.stdin?.end();
    });

  test('no REDIS_URL: clear message, exit 2', async () => {
    const r = await exec(['enrollment:check', 'ABC'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL is not set/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('import, issue a token, check a password and resolve a request against real Redis, then exit', async () => {
    const env = { REDIS_URL: t.url, REDIS_KEY_PREFIX: t.prefix, SERVER_SECRET: 'z'.repeat(40) };
    expect((await exec(['accounts:import', DEMO], env)).code).toBe(0);
    const issued = await exec(['tokens:issue-reset', 'salvarez85'], env);
    expect(issued.code).toBe(0);
    expect(issued.stdout.trim().split('\n').pop()).toMatch(/^[2-9A-HJKMNP-TV-Z]{10}$/);
    expect((await exec(['accounts:check-password', 'salvarez85'], env, 'Orchid$Meadow31\n')).code).toBe(0);
    expect((await exec(['accounts:check-password', 'salvarez85'], env, 'Orchid$Meadow32\n')).code).toBe(1);

    const queue = new RedisRequestQueue({ redis: t.redis, keys: t.keys, serverSecret: 'z'.repeat(40) });
    const { requestId } = await queue.create({ kind: 'token-renewal', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', contact: { phone: '555 0100' } });
    const resolved = await exec(['requests:resolve', requestId, '--patient', 'P-1005'], env);
    expect(resolved.stderr).not.toMatch(/"level":(50|60)|failed/);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/emailed/);
    // The mail waits in the bot's outbox (BullMQ, under this test's prefix) for the bot's worker.
    expect(await t.redis.llen(`{${t.prefix}-mail}:outbox:wait`)).toBe(1);
  }, 60000);
});
