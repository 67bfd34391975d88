/**
 * `npm start` without REDIS_URL runs on the in-process stand-in (ioredis-mock). The account services use
 * Lua scripts, SET … GET, streams and rate-limiter-flexible's script: this proves they all work there too.
 */
import fs from 'node:fs';
import path from 'node:path';
import RedisMock from 'ioredis-mock';
import { RedisAuditLog } from '../../services/audit';
import { RedisPortalDirectory } from '../../services/directory';
import { createLimits, RedisSecurityQuestionLock } from '../../services/limits';
import { Keys, type RedisClient } from '../../services/redis';
import { RedisRequestQueue } from '../../services/requests';
import { RedisTokenService } from '../../services/tokens';

describe('account services on the embedded Redis stand-in', () => {
  const redis = new RedisMock() as unknown as RedisClient;
  const keys = new Keys('pb');
  afterAll(() => redis.disconnect());

  test('directory: demo import, lookups, password change, status', async () => {
    const dir = new RedisPortalDirectory({ redis, keys, serverSecret: 'x'.repeat(32) });
    expect(await dir.isEmpty()).toBe(true);
    const demo = JSON.parse(fs.readFileSync(path.join(__dirname, '../../demo/accounts.json'), 'utf8'));
    expect(await dir.importPatients(demo)).toEqual({ patients: 6, accounts: 5 });
    expect(await dir.isEmpty()).toBe(false);
    expect(await dir.verifyPassword('mgonzalez78', 'Sunflower-Trail-42!')).toBe(true);
    await dir.setPassword('MGonzalez78', 'Brand-New-Lantern-7');
    expect(await dir.verifyPassword('mgonzalez78', 'Brand-New-Lantern-7')).toBe(true);
    expect(await dir.setStatus('bobchen52', 'active')).toBe(true);
    expect((await dir.findByNotificationEmailLastNameDob('jim.oconnor@example.net', "O'Connor", '1965-11-03'))?.patient.id).toBe('P-1002');
    expect((await dir.findByVerifiedEmail('sofia.alvarez@example.org'))?.account.username).toBe('salvarez85');
    expect(await dir.verifySecurityAnswer('arahman90', 1, 'things fall apart')).toBe(true);
  });

  test('tokens: revoke older, consume once, practice and enrollment tokens', async () => {
    const tokens = new RedisTokenService({ redis, keys, serverSecret: 'x'.repeat(32) });
    const a = await tokens.issueResetLink('mgonzalez78', { ttlSeconds: 60, via: 'email' });
    const b = await tokens.issueResetLink('mgonzalez78', { ttlSeconds: 60, via: 'email' });
    expect((await tokens.inspectResetLink(a.token)).state).toBe('revoked');
    expect(await tokens.consumeResetLink(b.token)).toEqual({ username: 'mgonzalez78' });
    expect(await tokens.consumeResetLink(b.token)).toBeNull();
    const p = await tokens.issuePracticeResetToken('jamesoc65');
    expect(await tokens.redeemPracticeResetToken('jamesoc65', p)).toBe(true);
    expect(await tokens.redeemPracticeResetToken('jamesoc65', p)).toBe(false);
    const e1 = await tokens.issueEnrollmentToken('P-1005');
    const e2 = await tokens.issueEnrollmentToken('P-1005');
    expect(await tokens.checkEnrollmentToken(e1)).toBeNull();
    expect(await tokens.checkEnrollmentToken(e2)).toEqual({ patientId: 'P-1005' });
  });

  test('audit, requests, limits and the security-question lock', async () => {
    const audit = new RedisAuditLog({ redis, keys, serverSecret: 'x'.repeat(32) });
    await audit.record({ type: 'reset-link-sent', accountRef: audit.accountRef('someone'), detail: { minutes: 30 } });
    expect((await audit.tail(5)).map((e) => e.type)).toEqual(['reset-link-sent']);

    const requests = new RedisRequestQueue({ redis, keys, serverSecret: 'x'.repeat(32) });
    const { requestId } = await requests.create({ kind: 'reactivation', firstName: 'Robert', lastName: 'Chen', dateOfBirth: '1952-02-19', contact: { phone: '555 0100' } });
    expect(await requests.status(requestId)).toBe('open');
    expect((await requests.resolve(requestId, { patientId: 'P-1004' })).ok).toBe(true);
    expect((await requests.resolve(requestId, { patientId: 'P-1004' })).ok).toBe(false);

    const limits = createLimits(redis, keys, { conversationPerMinute: 2, ipPerMinute: 2, accountPerHour: 2, resetEmailsPerAccountPerHour: 2 });
    expect([await limits.consume('perIp', 'a'), await limits.consume('perIp', 'a'), await limits.consume('perIp', 'a')]).toEqual([true, true, false]);

    const lock = new RedisSecurityQuestionLock({ redis, keys, serverSecret: 'x'.repeat(32) });
    await lock.recordFailure('u-123456', 0);
    await lock.recordFailure('u-123456', 0);
    expect(await lock.recordFailure('u-123456', 0)).toEqual({ triesLeft: 0, locked: true });
    expect(await lock.isLocked('u-123456')).toBe(true);
  });
});
