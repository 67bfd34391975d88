/**
 * Entry point: `npm start` (built: `node dist/bot/index.js`; `npm run dev` runs it with tsx). Loads
 * configuration (exit 1 naming every bad variable), builds the app, listens, and shuts down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish turns, close Redis). An unhandled rejection or uncaught exception
 * logs one line and exits 1, so the process manager (Docker, systemd, App Service) starts a clean process.
 */
import { ConfigError, loadConfig } from '../services/config';
import { createLogger } from '../services/logger';
import fs from 'node:fs';
import { createApp, type App } from './app';
import type { Logger } from '../services/logger';

/**
 * Last resort for a bug that escaped every handler: the process state is unknown, so log one JSON line
 * (pino's shape, level fatal) with the error's name and message only — no stack, which may quote values —
 * and exit non-zero. Written synchronously so the line is out before the process ends.
 */
function crash(event: 'uncaughtException' | 'unhandledRejection', reason: unknown): never {
  const error =
    reason instanceof Error
      ? { name: reason.name, message: reason.message.slice(0, 500) }
      : { name: 'NonError', message: `a value of type ${typeof reason} was thrown` }; // the value itself may hold PHI
  const line = { level: 60, time: new Date().toISOString(), service: 'portal-help-bot', event, error, msg: `${event}: exiting` };
  try {
    fs.writeSync(1, `${JSON.stringify(line)}\n`);
  } finally {
    process.exit(1);
  }
}
process.on('uncaughtException', (err) => crash('uncaughtException', err));
process.on('unhandledRejection', (reason) => crash('unhandledRejection', reason));

/** With the in-process store (no REDIS_URL), start with the demo practice so every flow can be tried. */
async function importDemoAccounts(app: App, file: string, logger: Logger): Promise<void> {
  if (!(await app.services.directory.isEmpty())) return;
  if (!fs.existsSync(file)) {
    logger.warn({ file }, 'demo accounts file not found; the embedded store starts empty');
    return;
  }
  let input: unknown;
  try {
    input = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`${file} is not valid JSON (DEMO_ACCOUNTS_FILE)`); // the parser's own message may quote the file
  }
  const counts = await app.services.directory.importPatients(input);
  logger.warn({ ...counts, file }, 'embedded store: imported the DEMO patients and accounts (see README)');
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix these variables (see .env.example) and start again.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.insecureDevSecret) logger.warn('SERVER_SECRET is not set: using the public development secret (never in production)');
  const app = createApp(config, logger);
  if (app.embeddedRedis) await importDemoAccounts(app, config.demoAccountsFile, logger);
  const port = await app.listen(config.port);
  logger.info({ port, host: config.listenHost, embeddedRedis: app.embeddedRedis, env: config.nodeEnv }, `portal help bot listening on port ${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing turns in flight');
    const force = setTimeout(() => {
      logger.warn('shutdown took too long; exiting');
      process.exit(1);
    }, 15000);
    force.unref();
    app
      .close()
      .then(() => {
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'NonError' };
        logger.error({ error }, 'shutdown failed; exiting');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
