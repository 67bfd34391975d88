/**
 * A stand-in for the Bot Connector service a channel (Teams) runs: a real HTTP server on loopback that
 * records what the bot posts (`POST …/activities`) and updates (`PUT …/activities/{id}`), answering like the
 * service does. Point an activity's `serviceUrl` at it (and allow its port with DEV_CONNECTOR_PORTS).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: 'POST' | 'PUT';
  conversationId: string;
  /** The activity id in the path (PUT, or a reply's replyToId). */
  activityId?: string;
  activity: Record<string, unknown>;
}

export interface FakeConnector {
  url: string;
  port: number;
  calls: ConnectorCall[];
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
      if (!m || (req.method !== 'POST' && req.method !== 'PUT')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"NotFound"}}');
        return;
      }
      let activity: Record<string, unknown>;
      try {
        activity = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400);
        res.end();
        return;
      }
      const conversationId = decodeURIComponent(m[1]!);
      const activityId = m[2] ? decodeURIComponent(m[2]) : undefined;
      calls.push({ method: req.method, conversationId, activityId, activity });
      const id = req.method === 'PUT' ? activityId : `activity-${(next += 1)}`;
      // Not chained: restify (loaded in the same process) replaces writeHead with one that returns nothing.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the bot's connector client keeps connections alive
      }),
  };
}
