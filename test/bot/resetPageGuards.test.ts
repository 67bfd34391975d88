/**
 * The reset page's guards over real HTTP: per-client-IP limits (through one trusted proxy hop), security
 * headers on every answer including errors, and assets that cannot be tricked into a 500.
 */
import { startHost, type TestHost } from '../helpers/host';
import { clientIp } from '../../bot/server';
import type { Request } from 'restify';

let host: TestHost;

beforeAll(async () => {
  host = await startHost('reset-guards', 10, { RATE_LIMIT_IP_PER_MINUTE: '3', TRUST_PROXY_HOPS: '1' });
});
afterAll(async () => {
  await host.stop();
});

const get = (path: string, forwardedFor: string) => fetch(`${host.url}${path}`, { headers: { 'x-forwarded-for': forwardedFor } });

it('limits reset-page requests per client IP, each patient counted apart', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i += 1) statuses.push((await get('/reset?token=nope', 'spoofed, 203.0.113.7')).status);
  expect(statuses).toEqual([404, 404, 404, 429]);
  const limited = await get('/reset?token=nope', '203.0.113.7');
  expect(await limited.text()).toMatch(/Too many attempts/);
  expect(limited.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  // Another patient (another address) is not affected.
  expect((await get('/reset?token=nope', '198.51.100.20')).status).toBe(404);
});

it('sends the security headers on error pages and refuses odd asset names with 404', async () => {
  const expected: Array<[string, number]> = [
    ['/reset?token=unknown', 404],
    ['/reset/assets/constructor', 404],
    ['/reset/assets/__proto__', 404],
    ['/reset/assets/reset.js', 200],
  ];
  for (const [path, status] of expected) {
    const res = await get(path, `192.0.2.${Math.floor(Math.random() * 200)}`);
    expect({ path, status: res.status }).toEqual({ path, status });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  }
  expect((await get('/reset/assets/constructor', '192.0.2.250')).status).toBe(404);
});

it('takes the client address from the trusted proxy hop only', () => {
  const req = (xff: string | undefined, peer = '10.0.0.5') => ({ headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress: peer } }) as unknown as Request;
  expect(clientIp(req('1.1.1.1, 2.2.2.2'), 0)).toBe('10.0.0.5');
  expect(clientIp(req('1.1.1.1, 2.2.2.2'), 1)).toBe('2.2.2.2');
  expect(clientIp(req('1.1.1.1, 2.2.2.2'), 2)).toBe('1.1.1.1');
  expect(clientIp(req(undefined), 1)).toBe('10.0.0.5');
});
