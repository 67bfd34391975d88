/**
 * With authentication on (MicrosoftAppId set), unauthenticated requests are answered 401 without a
 * stack trace, and logged as at most one JSON line per reason per interval (not one multi-line trace each).
 */
import { Conversation, startHost, type TestHost } from '../helpers/host';

let host: TestHost;
const printed: string[] = [];
const spies: jest.SpyInstance[] = [];

beforeAll(async () => {
  host = await startHost('auth', 10, { MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'not-used', SERVER_SECRET: 'auth-test-secret-0123456789-0123456789' });
  for (const method of ['error', 'warn', 'log', 'info'] as const) {
    spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' '))));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    spies.push(
      jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
        printed.push(String(chunk));
        return write(chunk, ...rest);
      }) as never),
    );
  }
});
afterAll(async () => {
  for (const s of spies) s.mockRestore();
  await host.stop();
});

it('answers 20 unauthenticated requests 401 with no stack trace and at most a couple of JSON log lines', async () => {
  const c = new Conversation(host);
  const logsBefore = host.logs.length;
  for (let i = 0; i < 20; i += 1) {
    const res = await c.post({ ...c.activity({ type: 'message', text: 'hi' }), deliveryMode: 'normal', serviceUrl: 'https://smba.trafficmanager.net/amer/' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized' });
  }
  const lines = host.logs.slice(logsBefore).filter((l) => l.includes('auth-failed'));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines.length).toBeLessThanOrEqual(2);
  for (const line of lines) expect(JSON.parse(line)).toMatchObject({ event: 'auth-failed', status: 401 });
  const everything = [...printed, ...host.logs.slice(logsBefore)].join('\n');
  expect(everything).not.toMatch(/\n\s+at /); // no stack frames anywhere
  expect(everything).not.toMatch(/AuthenticationError: /);
});
