/* global process, console */
/**
 * The stock echo bot the benchmark compares against: the BotBuilder "echo bot" sample's shape on this
 * project's host stack (restify 11 + CloudAdapter), with conversation state in MemoryStorage loaded and
 * saved every turn (a turn counter), so it does the state round trip the real bot does, only in memory.
 *
 *   PORT=0 node bench/echo/index.mjs      # prints "listening on <port>" (port 0 = any free port)
 *
 * Plain ESM JavaScript run by node itself (no tsx loader), so its RSS and CPU are the sample's own.
 * Authentication is disabled (no MicrosoftAppId); it listens on 127.0.0.1 only.
 */
import restify from 'restify';
import {
  ActivityHandler,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConversationState,
  MemoryStorage,
  MessageFactory,
} from 'botbuilder';

class EchoBot extends ActivityHandler {
  constructor(conversationState) {
    super();
    this.conversationState = conversationState;
    this.turns = conversationState.createProperty('turns');
    this.onMessage(async (context, next) => {
      const n = (await this.turns.get(context, 0)) + 1;
      await this.turns.set(context, n);
      const replyText = `Echo: ${context.activity.text}`;
      await context.sendActivity(MessageFactory.text(replyText, replyText));
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      for (const member of context.activity.membersAdded ?? []) {
        if (member.id !== context.activity.recipient.id) await context.sendActivity(MessageFactory.text('Hello and welcome!'));
      }
      await next();
    });
  }

  async run(context) {
    await super.run(context);
    await this.conversationState.saveChanges(context, false);
  }
}

const auth = new ConfigurationBotFrameworkAuthentication({});
const adapter = new CloudAdapter(auth);
adapter.onTurnError = async (context, error) => {
  console.error(`[onTurnError] ${error}`);
  await context.sendActivity('The bot encountered an error or bug.');
};

const bot = new EchoBot(new ConversationState(new MemoryStorage()));

const server = restify.createServer();
server.use(restify.plugins.bodyParser());
server.post('/api/messages', async (req, res) => {
  await adapter.process(req, res, (context) => bot.run(context));
});

server.listen(Number(process.env.PORT ?? 3978), '127.0.0.1', () => {
  console.log(`listening on ${server.address().port}`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
