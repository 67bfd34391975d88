/**
 * One dialog at a time, over the real use cases: the account services built by `createAccountServices`
 * from `loadConfig({...})` (through test/helpers/recovery.ts: real Redis with its own db number and key
 * prefix, the demo practice imported, mail delivered to a real SMTP server in this process), the sealer
 * the product uses, and the real `isNewQuestion` over the shipped knowledge base. No HTTP, no router: each
 * test drives one dialog with botbuilder-testing's `DialogTestClient`.
 *
 * @example
 *   const f = await startDialogServices('dlg-recover-username');
 *   const c = f.client(new RecoverUsernameDialog(f.deps));
 *   const [ask] = await c.send('I forgot my username');      // the dialog starts on the first message
 *   expect(buttonsOf([ask])).toEqual(["I don't have a verified email"]);
 *   await c.send('maria.gonzalez@example.com');
 *   expect(c.result).toEqual({});                              // the FlowResult it ended with
 *   await f.stop();                                            // mailer, SMTP, Redis keys and connection
 */
import { randomUUID } from 'node:crypto';
import { ConversationState, MemoryStorage, TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import { DialogTurnStatus, type Dialog, type DialogState } from 'botbuilder-dialogs';
import { DialogTestClient } from 'botbuilder-testing';
import { createConversation } from '../../dialogs';
import type { SessionState } from '../../dialogs/mainDialog';
import type { DialogDeps } from '../../dialogs/deps';
import { createFaqService, loadPracticeKnowledgeBase, type FaqService } from '../../dialogs/faq';
import type { PracticeInfo } from '../../dialogs/messages';
import { isNewQuestion } from '../../dialogs/routing';
import { sha256 } from '../../services/crypto';
import { createLogger } from '../../services/logger';
import { startRecoveryServices, type RecoveryFixture } from './recovery';

/**
 * The Redis db every dialog test file uses (each file under its own unique key prefix). Not used by any
 * other test: see `grep -rn "startHost(\|createTestRedis(\|connectTestRedis(\|DB = " test`.
 */
export const DIALOG_TEST_DB = 7;

/** The practice's name in replies and mails (recovery.ts's configuration). */
export const PRACTICE_NAME = 'Recovery Test Clinic';

export interface DialogFixture {
  /** The account services and their test helpers (mail, audit, limits), as test/helpers/recovery.ts builds them. */
  services: RecoveryFixture;
  /** What every flow dialog is built with: the real recovery use cases, sealer, practice, `isNewQuestion`. */
  deps: DialogDeps;
  /** The shipped knowledge base, with this practice's name, phone and hours filled in. */
  faq: FaqService;
  practice: PracticeInfo;
  /** Log lines (JSON) the dialogs wrote. */
  dialogLogs: string[];
  /** A test client for `dialog` in a conversation of its own (its own conversation ref for limits and audit). */
  client(dialog: Dialog, options?: unknown, conversationState?: ConversationState): DialogDriver;
  /**
   * The main dialog with every flow dialog the registry names, behind the router (dialogs/conversation.ts), in a
   * conversation of its own: what the bot runs for a message, without the host.
   */
  conversation(): ConversationDriver;
  stop(): Promise<void>;
}

/**
 * Starts the services for one dialog test file. `env` overrides configuration (limits, notify email…);
 * by default the practice is always open (`Mon-Sun 00:00-23:59`) so contact wording is stable.
 */
export async function startDialogServices(name: string, env: Record<string, string> = {}): Promise<DialogFixture> {
  const services = await startRecoveryServices(name, DIALOG_TEST_DB, env);
  const { config } = services;
  const faq = createFaqService(loadPracticeKnowledgeBase(config.practice));
  const dialogLogs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void dialogLogs.push(line) });
  const deps: DialogDeps = {
    recovery: services.recovery,
    sealer: services.services.sealer,
    logger,
    practice: config.practice,
    isNewQuestion: (text) => isNewQuestion(faq, text),
  };
  return {
    services,
    deps,
    faq,
    practice: config.practice,
    dialogLogs,
    client: (dialog, options, conversationState) => new DialogDriver(dialog, options, conversationState),
    conversation: () => new ConversationDriver({ faq, deps }),
    stop: () => services.stop(),
  };
}

/** A reply as a test reads it: its text and the titles of its suggested actions (the buttons). */
export interface Reply {
  text: string;
  buttons: string[];
  activity: Partial<Activity>;
}

/**
 * Drives one dialog through `DialogTestClient` on the Web Chat channel, in a conversation with a fresh
 * id (TestAdapter's default "Convo1" would make every test share the per-conversation limits).
 */
export class DialogDriver {
  readonly client: DialogTestClient;
  readonly conversationId = `dlg-${randomUUID()}`;
  readonly channelId = 'webchat';
  /** Where conversation state is saved after every turn (unless a ConversationState was passed in). */
  readonly storage = new MemoryStorage();

  constructor(dialog: Dialog, options?: unknown, conversationState?: ConversationState) {
    this.client = new DialogTestClient(this.channelId, dialog, options, [], conversationState ?? new ConversationState(this.storage));
  }

  /** The conversation state as saved after the last turn, as JSON (to check nothing is kept in clear). */
  async savedState(): Promise<string> {
    return JSON.stringify(await this.storage.read([`${this.channelId}/conversations/${this.conversationId}/`]));
  }

  /** Sends one message (the first one starts the dialog) and returns every reply of that turn. */
  async send(text: string): Promise<Reply[]> {
    const first = (await this.client.sendActivity(messageIn(this.conversationId, text))) as Partial<Activity> | undefined;
    const activities: Array<Partial<Activity>> = [];
    for (let a = first; a; a = this.client.getNextReply()) activities.push(a);
    return repliesOf(activities);
  }

  /** Sends one message and returns the one reply it must produce. */
  async ask(text: string): Promise<Reply> {
    return onlyReply(text, await this.send(text));
  }

  /** The dialog is still waiting for an answer. */
  get waiting(): boolean {
    return this.client.dialogTurnResult?.status === DialogTurnStatus.waiting;
  }

  /** True once the dialog under test has ended. */
  get ended(): boolean {
    return this.client.dialogTurnResult?.status === DialogTurnStatus.complete;
  }

  /** What the dialog ended with (a FlowResult for the flow dialogs); throws while it is still running. */
  get result(): unknown {
    const r = this.client.dialogTurnResult;
    if (r?.status !== DialogTurnStatus.complete) throw new Error(`the dialog has not ended (status ${r?.status ?? 'none'})`);
    return r.result;
  }

  /** The conversation ref the use cases see for this conversation (as `dialogs/flow.ts` computes it). */
  get conversationRef(): string {
    return sha256(`${this.channelId}/${this.conversationId}`).slice(0, 16);
  }
}

/** A patient's message in the test conversation `conversationId`. */
function messageIn(conversationId: string, text: string): Partial<Activity> {
  return {
    type: 'message',
    text,
    id: randomUUID(),
    conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
    // A user of its own too: TestAdapter's default "user1" would make every test share the per-user caps.
    from: { id: `user-${conversationId}`, name: 'patient' },
  };
}

function repliesOf(activities: Array<Partial<Activity>>): Reply[] {
  return activities
    .filter((a) => a.type === 'message')
    .map((a) => ({ text: a.text ?? '', buttons: (a.suggestedActions?.actions ?? []).map((b) => b.title), activity: a }));
}

function onlyReply(text: string, replies: Reply[]): Reply {
  if (replies.length !== 1) throw new Error(`expected one reply to ${JSON.stringify(text)}, got ${replies.length}: ${JSON.stringify(replies.map((r) => r.text))}`);
  return replies[0]!;
}

/**
 * Drives the router and the main dialog (dialogs/conversation.ts) through a TestAdapter on the Web Chat channel,
 * state saved after every turn as the bot does, in a conversation with a fresh id.
 */
export class ConversationDriver {
  readonly conversationId = `conv-${randomUUID()}`;
  private readonly adapter: TestAdapter;
  private idle = true;
  private readonly storage = new MemoryStorage();
  private seeded: Record<string, unknown> | undefined;

  constructor(o: { faq: FaqService; deps: DialogDeps }) {
    const conversationState = new ConversationState(this.storage);
    // The bot's own wiring (dialogs/index.ts); the two accessors below read the same state properties it uses.
    const conversation = createConversation({ conversationState, faq: o.faq, practice: o.deps.practice, recovery: o.deps.recovery, sealer: o.deps.sealer, logger: o.deps.logger });
    const dialogState = conversationState.createProperty<DialogState>('dialogState');
    const session = conversationState.createProperty<SessionState>('session');
    this.adapter = new TestAdapter(async (context: TurnContext) => {
      if (this.seeded) {
        const key = `${context.activity.channelId}/conversations/${context.activity.conversation.id}/`;
        await this.storage.write({ [key]: { ...this.seeded, eTag: '*' } });
        this.seeded = undefined;
      }
      if (context.activity.type === 'conversationUpdate') await conversation.onMembersAdded(context);
      else await conversation.onMessage(context);
      const stack = (await dialogState.get(context))?.dialogStack ?? [];
      this.idle = stack.length === 0 && (await session.get(context))?.pending === undefined;
      await conversationState.saveChanges(context);
    });
  }

  /** Sends one message and returns every reply of that turn. */
  async send(text: string): Promise<Reply[]> {
    this.adapter.activeQueue.splice(0);
    await this.adapter.receiveActivity(messageIn(this.conversationId, text));
    return repliesOf(this.adapter.activeQueue.splice(0));
  }

  /** Sends one message and returns the one reply it must produce. */
  async ask(text: string): Promise<Reply> {
    return onlyReply(text, await this.send(text));
  }

  /** The patient joins the conversation (as Web Chat says when the page opens); returns the replies. */
  async join(): Promise<Reply[]> {
    this.adapter.activeQueue.splice(0);
    const patient = { id: `user-${this.conversationId}`, name: 'patient' };
    await this.adapter.receiveActivity({ ...messageIn(this.conversationId, ''), type: 'conversationUpdate', text: undefined, membersAdded: [patient] });
    return repliesOf(this.adapter.activeQueue.splice(0));
  }

  /** Makes `state` this conversation's saved state before the next turn (a conversation saved by an earlier version, say). */
  seed(state: Record<string, unknown>): void {
    this.seeded = state;
  }

  /** True when nothing waits for the patient's answer: no flow running, no offer pending. */
  get ended(): boolean {
    return this.idle;
  }
}

/** Every reply's text, joined, for `toContain`/`toMatch`. */
export function textOf(replies: Reply[]): string {
  return replies.map((r) => r.text).join('\n');
}

/** Every button offered by the replies, in order. */
export function buttonsOf(replies: Reply[]): string[] {
  return replies.flatMap((r) => r.buttons);
}
