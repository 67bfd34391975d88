/**
 * kb:ask — shows what the matcher decides for one message, as JSON.
 *
 *   npm run kb:ask -- "i forgot my pasword"
 *   npm run kb:ask -- --explain "cant get in2 my acct"     (adds tokens and every entry's scores)
 *
 * For trying wording changes in knowledge/faq.json quickly. Exits 2 with a usage message when no text is given.
 */
import { z } from 'zod';
import { loadDefaultMatcher } from './load';

const USAGE = 'usage: npm run kb:ask -- [--explain] "patient message"';

const ArgsSchema = z
  .array(z.string())
  .transform((args) => ({ explain: args.includes('--explain'), text: args.filter((a) => a !== '--explain').join(' ').trim() }))
  .pipe(z.object({ explain: z.boolean(), text: z.string().min(1, 'no message text given').max(2000, 'message is longer than 2000 characters') }));

/** Runs the CLI; returns the process exit code. */
export function main(argv: readonly string[]): number {
  const args = ArgsSchema.safeParse([...argv]);
  if (!args.success) {
    process.stderr.write(`${args.error.issues[0]?.message ?? 'bad arguments'}\n${USAGE}\n`);
    return 2;
  }
  const matcher = loadDefaultMatcher();
  const decision = matcher.decide(args.data.text);
  const output = args.data.explain ? { decision, explanation: matcher.explain(args.data.text) } : decision;
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
