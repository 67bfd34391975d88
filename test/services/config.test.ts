import { ConfigError, loadConfig } from '../../services/config';
import { isPracticeOpen, parsePracticeHours } from '../../services/practice/hours';

describe('configuration', () => {
  it('applies defaults for local development', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3978);
    expect(config.redisUrl).toBeUndefined();
    expect(config.stateTtlSeconds).toBe(3600);
    expect(config.practice.hours.rules).toEqual([{ days: [0, 1, 2, 3, 4], openMinute: 480, closeMinute: 1020 }]);
  });

  it('names every bad variable and why, in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', PRACTICE_HOURS: 'weekdays 9-5', PRACTICE_TIMEZONE: 'Mars/Olympus', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'REDIS_URL', 'PRACTICE_HOURS', 'PRACTICE_TIMEZONE', 'LOG_LEVEL']) expect(message).toContain(`${name}:`);
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it('refuses production without an app id or Redis', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/MicrosoftAppId: is required in production[\s\S]*REDIS_URL: is required in production/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        MicrosoftAppId: 'abc',
        MicrosoftAppPassword: 'secret',
        REDIS_URL: 'redis://r:6379',
        SMTP_URL: 'smtp://mail:25',
        SERVER_SECRET: 'x'.repeat(32),
      }),
    ).not.toThrow();
  });

  it('requires a password with an app id, and a tenant for single-tenant apps', () => {
    expect(() => loadConfig({ MicrosoftAppId: 'abc' })).toThrow(/MicrosoftAppPassword/);
    expect(() => loadConfig({ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'p', MicrosoftAppType: 'SingleTenant' })).toThrow(/MicrosoftAppTenantId/);
  });

  it('refuses the public development SERVER_SECRET when authentication is on or the bot is public, naming the variable', () => {
    expect(() => loadConfig({ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'p' })).toThrow(/SERVER_SECRET: is required when authentication is enabled/);
    expect(() => loadConfig({ NODE_ENV: 'test', MicrosoftAppId: 'abc', MicrosoftAppPassword: 'p' })).toThrow(/SERVER_SECRET/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'https://help.example-practice.org' })).toThrow(/SERVER_SECRET: is required when PUBLIC_BASE_URL is not localhost/);
    expect(() => loadConfig({ PUBLIC_BASE_URL: 'http://127.0.0.1.nip.io:3978' })).toThrow(/SERVER_SECRET/);
    // Local use keeps working without one (with the logged warning).
    for (const base of ['http://localhost:3978', 'http://127.0.0.1:4000', 'http://[::1]:3978']) {
      expect(loadConfig({ PUBLIC_BASE_URL: base }).insecureDevSecret).toBe(true);
    }
    const secret = 's'.repeat(32);
    expect(loadConfig({ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'p', PUBLIC_BASE_URL: 'https://bot.example.org', SERVER_SECRET: secret }).insecureDevSecret).toBe(false);
  });

  it('listens on 127.0.0.1 while authentication is disabled, on all interfaces with it, or on HOST', () => {
    expect(loadConfig({}).listenHost).toBe('127.0.0.1');
    expect(loadConfig({ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'p', SERVER_SECRET: 's'.repeat(32) }).listenHost).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).listenHost).toBe('0.0.0.0');
    expect(loadConfig({ DEV_CONNECTOR_PORTS: '4499, 5000' }).devConnectorPorts).toEqual([4499, 5000]);
    expect(() => loadConfig({ DEV_CONNECTOR_PORTS: '4499,redis' })).toThrow(/DEV_CONNECTOR_PORTS/);
  });

  it('parses opening hours and tells whether the practice is open', () => {
    const hours = parsePracticeHours('Mon-Fri 08:00-17:00; Sat 09:00-12:00');
    if (typeof hours === 'string') throw new Error(hours);
    // 2026-11-27 is a Friday. 15:00 UTC = 09:00 in Chicago (CST, UTC-6).
    expect(isPracticeOpen(hours, 'America/Chicago', new Date('2026-11-27T15:00:00Z'))).toBe(true);
    expect(isPracticeOpen(hours, 'America/Chicago', new Date('2026-11-27T12:00:00Z'))).toBe(false);
    expect(isPracticeOpen(hours, 'America/Chicago', new Date('2026-11-29T16:00:00Z'))).toBe(false); // Sunday
    expect(parsePracticeHours('Fri-Mon 08:00-17:00')).toMatch(/backwards/);
    expect(parsePracticeHours('Mon 17:00-08:00')).toMatch(/after opening/);
    const always = parsePracticeHours('Mon-Sun 00:00-23:59');
    if (typeof always === 'string') throw new Error(always);
    expect(isPracticeOpen(always, 'UTC', new Date('2026-11-29T23:59:30Z'))).toBe(true);
  });
});
