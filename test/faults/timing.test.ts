/**
 * Timing must not tell known from unknown accounts: the final reply of username recovery by verified
 * email and of a reset by username takes the recovery floor (RECOVERY_MIN_MS) whether or not the
 * account exists. ≥ 30 interleaved tries each, through the real host; both medians are printed.
 */
import { Conversation } from '../helpers/host';
import { DEMO, startPractice, type Practice } from '../helpers/e2e';

const FLOOR_MS = 200; // above the slow path's spread here, below the 250 ms production default
const TRIES = 30;
const maria = DEMO.patients.find((p) => p.id === 'P-1001')!;
let practice: Practice;

beforeAll(async () => {
  // The mail worker is off: delivery happens after the reply, off the reply path, and in this one process it would
  // only add CPU noise to the next try; what is measured is the reply path, queueing included.
  practice = await startPractice('timing', { RECOVERY_MIN_MS: String(FLOOR_MS), RESET_EMAILS_PER_ACCOUNT_PER_HOUR: '100', LOG_LEVEL: 'warn' }, { mailWorker: false });
});
afterAll(async () => {
  await practice.stop();
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};

async function finalReplyMs(question: string, answer: string): Promise<number> {
  const c = new Conversation(practice.host);
  await practice.startFlow(c, question);
  const started = performance.now();
  await c.say(answer);
  return performance.now() - started;
}

async function compare(name: string, question: string, known: string, unknown: () => string) {
  const times = { known: [] as number[], unknown: [] as number[] };
  for (let i = 0; i < TRIES; i += 1) {
    // Interleaved, alternating which goes first.
    const order: Array<'known' | 'unknown'> = i % 2 ? ['known', 'unknown'] : ['unknown', 'known'];
    for (const kind of order) times[kind].push(await finalReplyMs(question, kind === 'known' ? known : unknown()));
  }
  const [k, u] = [median(times.known), median(times.unknown)];
  console.log(`${name}: median known ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms (floor ${FLOOR_MS} ms, ${TRIES} tries each)`);
  expect(Math.abs(k - u) / Math.min(k, u)).toBeLessThan(0.1);
  expect(Math.min(k, u)).toBeGreaterThanOrEqual(FLOOR_MS);
}

it('username recovery by verified email: known and unknown medians within 10 %', async () => {
  let n = 0;
  await compare('username recovery by email', 'I forgot my username', maria.account!.verifiedEmail!, () => `nobody${(n += 1)}@example.com`);
}, 120_000);

it('reset by username: known and unknown medians within 10 %', async () => {
  let n = 0;
  await compare('reset by username', 'I forgot my password', maria.account!.username, () => `nobody${(n += 1)}x`);
}, 120_000);
