/** `admin staff:add` / `staff:disable` (services/admin/cli.ts) with real Redis: password from stdin, sign-in, disable. */
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import { StaffDirectory } from '../../services/staff';
import { createTestRedis, type TestRedis } from '../helpers/redis';

let t: TestRedis;
let staff: StaffDirectory;
const recorded: string[] = [];

beforeAll(() => {
  t = createTestRedis('staffcli');
  staff = new StaffDirectory({ redis: t.redis, keys: t.keys, serverSecret: 's'.repeat(40) });
});
afterAll(async () => t.cleanup());

function run(argv: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const services = { staff, audit: { record: async (e: { type: string }) => (recorded.push(e.type), '1') } } as unknown as AdminServices;
  return runAdmin(argv, services, { out: (l) => void out.push(l), err: (l) => void err.push(l), readStdin: async () => stdin }).then((code) => ({ code, out, err }));
}

it('adds an account from stdin (argon2id), signs in, disables it', async () => {
  const added = await run(['staff:add', 'dana.k', '--role', 'agent', '--name', 'Dana'], 'a-long-staff-password\n');
  expect(added.code).toBe(0);
  expect(added.out.join('\n')).toMatch(/talking with Dana/);
  expect(JSON.stringify(await t.redis.keys(`${t.prefix}:*`))).not.toContain('dana');
  const ok = await staff.signIn('dana.k', 'a-long-staff-password', '127.0.0.1');
  expect(ok.ok).toBe(true);
  expect((await run(['staff:disable', 'dana.k'])).code).toBe(0);
  expect(await staff.session(ok.ok ? ok.token : '')).toBeNull();
  expect((await staff.signIn('dana.k', 'a-long-staff-password', '127.0.0.1')).ok).toBe(false);
  expect(recorded).toEqual(['staff-added', 'staff-disabled']);
});

it('refuses a bad role, a short password and an unknown account', async () => {
  expect((await run(['staff:add', 'sam', '--role', 'boss'], 'a-long-staff-password')).code).toBe(2);
  expect((await run(['staff:add', 'sam', '--role', 'agent'], 'short')).code).toBe(1);
  expect((await run(['staff:disable', 'nobody'])).code).toBe(1);
});
