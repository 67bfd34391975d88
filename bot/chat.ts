/**
 * `npm run chat -- [--channel sms|msteams|webchat] [--url http://localhost:3978]`
 *
 * A terminal chat with the running bot over HTTP. It posts activities with
 * `deliveryMode: "expectReplies"`, so no Azure Bot Service or Direct Line is needed, and shows each
 * reply the way the chosen channel would (buttons, a Teams card, numbered SMS text). On web chat and
 * Teams, typing a button's number presses it; on SMS the number itself is sent, as a phone would.
 */
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { z } from 'zod';

const Args = z.object({
  channel: z.enum(['sms', 'msteams', 'webchat']).default('webchat'),
  url: z.string().url().default('http://localhost:3978'),
});

interface Button {
  title: string;
  value: string;
}
interface Reply {
  text?: string;
  suggestedActions?: { actions?: Array<{ title?: string; value?: unknown }> };
  attachments?: Array<{ contentType?: string; content?: { text?: string; buttons?: Array<{ title?: string; value?: unknown }> } }>;
}

function parseArgs(argv: string[]): z.infer<typeof Args> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const m = /^--(channel|url)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`Unknown argument "${argv[i]}". Usage: npm run chat -- [--channel sms|msteams|webchat] [--url URL]`);
    raw[m[1]] = m[2] ?? argv[++i] ?? '';
  }
  const parsed = Args.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.data;
}

/** Prints one reply as the channel would show it; returns its buttons. */
function show(reply: Reply): Button[] {
  const buttons: Button[] = [];
  const push = (b: { title?: string; value?: unknown }) => buttons.push({ title: b.title ?? String(b.value), value: String(b.value ?? b.title) });
  if (reply.text) console.log(`bot> ${reply.text.replace(/\n/g, '\n     ')}`);
  for (const a of reply.attachments ?? []) {
    if (a.content?.text) console.log(`bot> [card] ${a.content.text.replace(/\n/g, '\n     ')}`);
    (a.content?.buttons ?? []).forEach(push);
  }
  (reply.suggestedActions?.actions ?? []).forEach(push);
  return buttons;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const conversationId = `chat-${randomUUID()}`;
  const endpoint = `${args.url.replace(/\/$/, '')}/api/messages`;
  const base = {
    channelId: args.channel === 'webchat' ? 'webchat' : args.channel,
    serviceUrl: 'http://localhost/chat-cli',
    conversation: { id: conversationId },
    from: { id: `user-${conversationId}`, name: 'You' },
    recipient: { id: 'portal-help-bot', name: 'Portal Help' },
    deliveryMode: 'expectReplies',
  };

  let buttons: Button[] = [];
  const post = async (activity: Record<string, unknown>) => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...base, ...activity }) });
    if (!res.ok) {
      console.log(`(bot answered HTTP ${res.status}: ${await res.text()})`);
      return;
    }
    const body = (await res.json()) as { activities?: Reply[] };
    buttons = [];
    for (const reply of body.activities ?? []) buttons.push(...show(reply));
    if (buttons.length && args.channel !== 'sms') console.log(buttons.map((b, i) => `     [${i + 1}] ${b.title}`).join('\n'));
  };

  console.log(`Chatting as channel "${args.channel}" with ${endpoint}. Type "quit" to leave.\n`);
  if (args.channel !== 'sms') {
    await post({ type: 'conversationUpdate', membersAdded: [{ id: base.from.id }, { id: base.recipient.id }] });
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  rl.setPrompt('you> ');
  const prompt = () => process.stdin.isTTY && rl.prompt();
  prompt();
  // Lines typed (or piped) while a reply is on its way are buffered by the iterator, not lost.
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === 'quit' || line === 'exit') break;
    if (line) {
      if (!process.stdin.isTTY) console.log(`you> ${line}`);
      const pressed = args.channel !== 'sms' && /^\d+$/.test(line) ? buttons[Number(line) - 1] : undefined;
      await post({ type: 'message', text: pressed ? pressed.value : line });
    }
    prompt();
  }
  rl.close();
}

main().catch((err: unknown) => {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') console.error('Cannot reach the bot. Start it first with `npm start` (or pass --url).');
  else console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
});
