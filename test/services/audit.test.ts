import { accountRefFor, AUDIT_TYPES, RedisAuditLog } from '../../services/audit';
import { createLogger } from '../../services/logger';
import { createTestRedis, type TestRedis } from '../helpers/redis';

describe('RedisAuditLog', () => {
  let t: TestRedis;
  let audit: RedisAuditLog;
  const secret = 'x'.repeat(40);

  beforeAll(() => {
    t = createTestRedis('audit');
    audit = new RedisAuditLog({ redis: t.redis, keys: t.keys, serverSecret: secret, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('accountRef is opaque, stable, case-insensitive and secret-dependent', () => {
    const ref = audit.accountRef('MGonzalez78');
    expect(ref).toMatch(/^[0-9a-f]{16}$/);
    expect(ref).not.toContain('gonzalez');
    expect(audit.accountRef('mgonzalez78')).toBe(ref);
    expect(accountRefFor('y'.repeat(40), 'mgonzalez78')).not.toBe(ref);
  });

  test('records events in order and tails the newest, oldest first', async () => {
    expect(await audit.tail()).toEqual([]);
    const accountRef = audit.accountRef('someone1');
    await audit.record({ type: 'reset-requested', accountRef, conversationRef: 'conv-1', detail: { via: 'email' } });
    await audit.record({ type: 'reset-link-sent', accountRef, conversationRef: 'conv-1', detail: { minutes: 30, limited: false } });
    await audit.record({ type: 'request-resolved', requestId: 'R-7K3Q9P', patientId: 'P-1001' });
    const all = await audit.tail(10);
    expect(all.map((e) => e.type)).toEqual(['reset-requested', 'reset-link-sent', 'request-resolved']);
    expect(all[1]).toMatchObject({ type: 'reset-link-sent', accountRef, conversationRef: 'conv-1', detail: { minutes: 30, limited: false } });
    expect(all[2]).toMatchObject({ requestId: 'R-7K3Q9P', patientId: 'P-1001' });
    expect(all[0]!.id).toMatch(/^\d+-\d+$/);
    expect(Date.parse(all[0]!.at)).not.toBeNaN();
    expect((await audit.tail(2)).map((e) => e.type)).toEqual(['reset-link-sent', 'request-resolved']);
  });

  test('is a capped Redis stream written with XADD', async () => {
    const key = t.keys.plain('audit');
    expect(await t.redis.type(key)).toBe('stream');
    expect(await t.redis.xlen(key)).toBe(3);
  });

  test('drops PHI-named detail fields and refs that are not ids', async () => {
    await audit.record({
      type: 'username-sent',
      accountRef: 'maria.gonzalez@example.com is not an id',
      detail: { email: 'maria@example.com', username: 'mgonzalez78', token: 'abc', channel: 'webchat' },
    });
    const [last] = await audit.tail(1);
    expect(last).toMatchObject({ type: 'username-sent', detail: { channel: 'webchat' } });
    expect(last!.accountRef).toBeUndefined();
    expect(JSON.stringify(last)).not.toMatch(/maria|mgonzalez|abc/);
  });

  test('conversation ids with unusual characters are kept as a digest', async () => {
    await audit.record({ type: 'rate-limited', conversationRef: '19:meeting_abc@thread.v2|x' });
    const [last] = await audit.tail(1);
    expect(last!.conversationRef).toMatch(/^h-[0-9a-f]{24}$/);
  });

  test('rejects unknown event types', async () => {
    await expect(audit.record({ type: 'bogus' as never })).rejects.toThrow(/unknown audit event type/);
    expect(AUDIT_TYPES).toContain('security-path-locked');
  });
});
