/** The account services log ids and counts only: no names, dates of birth, emails, usernames or secrets. */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { RedisAuditLog } from '../../services/audit';
import { RedisPortalDirectory } from '../../services/directory';
import { createLogger } from '../../services/logger';
import { RedisRequestQueue } from '../../services/requests';
import { RedisTokenService } from '../../services/tokens';
import { createTestRedis, type TestRedis } from '../helpers/redis';

describe('service logs carry no PHI', () => {
  let t: TestRedis;
  const lines: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );

  beforeAll(() => {
    t = createTestRedis('phi');
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('import, password change, tokens, requests and audit', async () => {
    const dir = new RedisPortalDirectory({ redis: t.redis, keys: t.keys, serverSecret: 'k'.repeat(40), logger });
    const demo = JSON.parse(fs.readFileSync(path.join(__dirname, '../../demo/accounts.json'), 'utf8'));
    await dir.importPatients(demo);
    await dir.setPassword('mgonzalez78', 'Brand-New-Lantern-7');
    await dir.verifySecurityAnswer('mgonzalez78', 0, 'Biscuit');
    const tokens = new RedisTokenService({ redis: t.redis, keys: t.keys, serverSecret: 'k'.repeat(40) });
    const { token } = await tokens.issueResetLink('mgonzalez78', { ttlSeconds: 60, via: 'email' });
    await tokens.consumeResetLink(token);
    const requests = new RedisRequestQueue({ redis: t.redis, keys: t.keys, serverSecret: 'k'.repeat(40), logger });
    const { requestId } = await requests.create({ kind: 'token-renewal', firstName: 'Linh', lastName: 'Nguyen', dateOfBirth: '2001-09-30', contact: { email: 'linh.nguyen@example.com' } });
    await requests.resolve(requestId, { patientId: 'P-1005' });
    const audit = new RedisAuditLog({ redis: t.redis, keys: t.keys, serverSecret: 'k'.repeat(40), logger });
    await audit.record({ type: 'username-sent', accountRef: 'maria.gonzalez@example.com', detail: { email: 'maria.gonzalez@example.com' } });

    const out = lines.join('');
    expect(out).toContain('patients imported');
    expect(out).toContain(requestId);
    for (const phi of ['Maria', 'Gonzalez', 'mgonzalez78', 'Linh', 'Nguyen', '1978-04-12', '2001-09-30', 'example.com', 'Brand-New-Lantern-7', 'Sunflower', 'Biscuit', token]) {
      expect(out).not.toContain(phi);
    }
  });
});
