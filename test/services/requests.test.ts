import { parseRequestId, RedisRequestQueue, RequestValidationError, type NewPracticeRequest } from '../../services/requests';
import { createTestRedis, type TestRedis } from '../helpers/redis';

const sample = (over: Partial<NewPracticeRequest> = {}): NewPracticeRequest => ({
  kind: 'token-renewal',
  firstName: 'Linh',
  lastName: 'Nguyen',
  dateOfBirth: '2001-09-30',
  contact: { email: 'linh@example.com' },
  conversationRef: 'conv-abc',
  ...over,
});

describe('RedisRequestQueue', () => {
  let t: TestRedis;
  let queue: RedisRequestQueue;

  beforeAll(() => {
    t = createTestRedis('req');
    queue = new RedisRequestQueue({ redis: t.redis, keys: t.keys, serverSecret: 'r'.repeat(40) });
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('parseRequestId accepts what patients type', () => {
    expect(parseRequestId('R-7K3Q9P')).toBe('R-7K3Q9P');
    expect(parseRequestId('r-7k3q9p')).toBe('R-7K3Q9P');
    expect(parseRequestId(' 7K3Q9P ')).toBe('R-7K3Q9P');
    expect(parseRequestId('R 7K3 Q9P')).toBe('R-7K3Q9P');
    expect(parseRequestId('R-7K3Q9')).toBeNull();
    expect(parseRequestId('R-7K3Q0P')).toBeNull(); // 0 is not in the alphabet
    expect(parseRequestId('hello')).toBeNull();
  });

  test('create gives a friendly unique reference and stores the details', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) ids.add((await queue.create(sample({ firstName: `Linh${'a'.repeat(i)}` }))).requestId);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^R-[2-9A-HJKMNP-TV-Z]{6}$/);
    const [first] = [...ids];
    const request = await queue.get(first!.toLowerCase());
    expect(request).toMatchObject({
      requestId: first,
      kind: 'token-renewal',
      status: 'open',
      firstName: 'Linh',
      lastName: 'Nguyen',
      dateOfBirth: '2001-09-30',
      contact: { email: 'linh@example.com' },
      conversationRef: 'conv-abc',
    });
    expect(await queue.status(first!)).toBe('open');
  });

  test('validation names fields, never values', async () => {
    await expect(queue.create(sample({ contact: {} }))).rejects.toBeInstanceOf(RequestValidationError);
    await expect(queue.create(sample({ dateOfBirth: '2001-02-30' }))).rejects.toThrow(/dateOfBirth/);
    await expect(queue.create(sample({ kind: 'other' as never }))).rejects.toThrow(/kind/);
    await expect(queue.create(sample({ contact: { email: 'not-an-email' } }))).rejects.not.toThrow(/not-an-email/);
    expect((await queue.create(sample({ kind: 'reactivation', contact: { phone: '(555) 010-2222' } }))).requestId).toMatch(/^R-/);
  });

  test('list, resolve (once), status and retention', async () => {
    const { requestId } = await queue.create(sample({ kind: 'reset-token' }));
    const open = await queue.list({ status: 'open' });
    expect(open.map((r) => r.requestId)).toContain(requestId);
    const created = open.map((r) => r.createdAt);
    expect([...created].sort()).toEqual(created);

    const [a, b] = await Promise.all([
      queue.resolve(requestId, { patientId: 'P-1005', resolvedBy: 'front desk' }),
      queue.resolve(requestId, { patientId: 'P-1005' }),
    ]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    const winner = a.ok ? a : b;
    expect(winner.ok && winner.request).toMatchObject({ status: 'resolved', patientId: 'P-1005' });
    const loser = a.ok ? b : a;
    expect(loser).toEqual({ ok: false, reason: 'already-resolved' });

    expect(await queue.status(requestId)).toBe('resolved');
    expect((await queue.list({ status: 'resolved' })).map((r) => r.requestId)).toEqual([requestId]);
    expect((await queue.list({ status: 'open' })).map((r) => r.requestId)).not.toContain(requestId);
    const ttl = await t.redis.ttl(t.keys.tagged('req', 'queue', requestId));
    expect(ttl).toBeGreaterThan(89 * 24 * 3600);
    expect(ttl).toBeLessThanOrEqual(90 * 24 * 3600);
  });

  test('unknown references', async () => {
    expect(await queue.get('R-2222222')).toBeNull();
    expect(await queue.get('R-222222')).toBeNull();
    expect(await queue.status('R-222222')).toBeNull();
    expect(await queue.resolve('R-222222', { patientId: 'P-1' })).toEqual({ ok: false, reason: 'not-found' });
  });

  test('expired requests drop out of the list', async () => {
    const { requestId } = await queue.create(sample());
    await t.redis.del(t.keys.tagged('req', 'queue', requestId));
    expect((await queue.list()).map((r) => r.requestId)).not.toContain(requestId);
    expect(await t.redis.zscore(t.keys.tagged('req', 'queue'), requestId)).toBeNull();
  });
});
