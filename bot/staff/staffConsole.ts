/**
 * The staff console: the page `/staff` (web/staff/) and its JSON API under `/staff/api/` — a thin HTTP
 * adapter over services/staff (accounts, sessions, lockout) and services/handoff (queue, claim, relay).
 *
 * Sessions are an HttpOnly, SameSite=Strict cookie (Secure unless PUBLIC_BASE_URL is localhost); every
 * change needs the session's CSRF token in `x-csrf-token`. Every action is audited with the staff id.
 * Live updates are server-sent events fed by Redis pub/sub, so a change made through any instance reaches
 * every console; an open event stream keeps its staff member "online" (presence heartbeat).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { AuditLog } from '../../services/audit';
import type { Config } from '../../services/config';
import { constantTimeEqualHex, sha256 } from '../../services/crypto';
import type { HandoffDesk, HandoffEvent, StaffMember } from '../../services/handoff';
import type { Logger } from '../../services/logger';
import type { RedisClient } from '../../services/redis';
import type { StaffDirectory, StaffSession } from '../../services/staff';
import { runAdmin, type AdminServices } from '../../services/admin/cli';
import type { RequestQueue } from '../../services/requests';
import { startOfDay } from '../../services/practice/hours';
import { clientIp, type RouteModule } from '../server';
import type { PatientDelivery } from './delivery';

const WEB_DIR = path.join(__dirname, '..', '..', 'web', 'staff');
const COOKIE = 'staff_session';

const HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const SignIn = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(1000) });
const Message = z.object({ text: z.string().trim().min(1).max(2000) });
const PATIENT_ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
const Resolve = z.object({ patientId: PATIENT_ID.optional() });
const Invite = z.object({ patientId: PATIENT_ID });
const Transfer = z.object({ staffId: z.string().trim().min(1).max(64) });
const HANDOFF_ID = /^H-[A-Z0-9]{8}$/;
const REFUSALS = { 'not-found': 'No such handoff.', 'not-yours': 'You do not have this conversation.', offline: 'That staff member is not online.' } as const;

export interface StaffConsoleDeps {
  config: Config;
  desk: HandoffDesk;
  staff: StaffDirectory;
  audit: AuditLog;
  requests: RequestQueue;
  /** What the admin CLI's `requests:resolve` needs (its logic is reused as is). */
  adminServices: AdminServices;
  delivery: PatientDelivery;
  redis: RedisClient;
  logger: Logger;
}

type Handler = (req: Request, res: Response, s: StaffSession) => Promise<void>;

export class StaffConsole implements RouteModule {
  private readonly assets: Record<string, { type: string; body: string }>;
  private readonly streams = new Set<(event: HandoffEvent) => void>();
  private subscriber: RedisClient | undefined;
  private subscribed: Promise<void> | undefined;
  private readonly secureCookie: boolean;

  constructor(private readonly deps: StaffConsoleDeps) {
    const read = (f: string) => fs.readFileSync(path.join(WEB_DIR, f), 'utf8');
    this.assets = {
      'staff.html': { type: 'text/html; charset=utf-8', body: read('staff.html') },
      'staff.js': { type: 'text/javascript; charset=utf-8', body: read('staff.js') },
      'staff.css': { type: 'text/css; charset=utf-8', body: read('staff.css') },
    };
    const host = new URL(deps.config.publicBaseUrl).hostname;
    this.secureCookie = !(host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host));
  }

  register(server: Server): void {
    server.get('/staff', async (_req: Request, res: Response) => this.send(res, 200, this.assets['staff.html']!.type, this.assets['staff.html']!.body));
    server.get('/staff/assets/:file', async (req: Request, res: Response) => {
      const file = String(req.params?.file ?? '');
      const asset = file !== 'staff.html' && Object.hasOwn(this.assets, file) ? this.assets[file] : undefined;
      if (!asset) return this.send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return this.send(res, 200, asset.type, asset.body);
    });
    server.post('/staff/api/session', async (req: Request, res: Response) => this.guard(res, () => this.signIn(req, res)));
    server.get('/staff/api/session', this.authed(false, async (_req, res, s) => this.json(res, 200, { staffId: s.staffId, name: s.displayName, role: s.role, csrfToken: s.csrfToken })));
    server.post('/staff/api/signout', this.authed(true, (req, res, s) => this.signOut(req, res, s)));
    server.post('/staff/api/heartbeat', this.authed(true, async (_req, res, s) => {
      await this.deps.desk.queue.heartbeat(s.staffId);
      this.json(res, 200, { ok: true });
    }));
    server.get('/staff/api/queue', this.authed(false, async (_req, res) => {
      const [waiting, active] = await Promise.all([this.deps.desk.queue.waiting(), this.deps.desk.queue.active()]);
      this.json(res, 200, { waiting, active, now: Date.now() });
    }));
    server.get('/staff/api/staff', this.authed(false, (_req, res) => this.onlineStaff(res)));
    server.get('/staff/api/today', this.authed(false, (_req, res, s) => this.today(res, s)));
    server.get('/staff/api/handoffs/:id', this.authed(false, async (req, res) => {
      const h = await this.handoff(req, res);
      if (h) this.json(res, 200, h);
    }));
    server.post('/staff/api/handoffs/:id/claim', this.authed(true, (req, res, s) => this.claim(req, res, s)));
    server.get('/staff/api/handoffs/:id/transcript', this.authed(false, (req, res, s) => this.transcript(req, res, s)));
    server.post('/staff/api/handoffs/:id/messages', this.authed(true, (req, res, s) => this.message(req, res, s)));
    server.post('/staff/api/handoffs/:id/return', this.authed(true, (req, res, s) => this.finish(req, res, s, 'return')));
    server.post('/staff/api/handoffs/:id/end', this.authed(true, (req, res, s) => this.finish(req, res, s, 'end')));
    server.post('/staff/api/handoffs/:id/transfer', this.authed(true, (req, res, s) => this.transfer(req, res, s)));
    server.get('/staff/api/events', this.authed(false, (req, res, s) => this.events(req, res, s)));
    server.get('/staff/api/requests', this.authed(false, (_req, res) => this.listRequests(res)));
    server.post('/staff/api/requests/:id/resolve', this.authed(true, (req, res, s) => this.resolve(req, res, s)));
    server.post('/staff/api/invitations', this.authed(true, (req, res, s) => this.invite(req, res, s)));
    this.subscribed = this.subscribe();
  }

  /** Stops the pub/sub connection and ends open event streams. */
  async close(): Promise<void> {
    for (const end of this.closers) end();
    this.closers.clear();
    if (this.subscriber) {
      this.subscriber.disconnect();
      this.subscriber = undefined;
    }
  }
  private readonly closers = new Set<() => void>();

  /**
   * Subscribes a connection of its own to the desk's events channel (ioredis subscribes it again after a
   * reconnect). A first SUBSCRIBE that fails (Redis unreachable at start-up, a command timeout) is tried again
   * until it succeeds or the console closes, so a practice started during a Redis outage still gets live events.
   */
  private async subscribe(): Promise<void> {
    const sub = this.deps.redis.duplicate();
    sub.on('error', () => undefined);
    this.subscriber = sub;
    sub.on('message', (_channel: string, message: string) => {
      let event: HandoffEvent;
      try {
        event = JSON.parse(message) as HandoffEvent;
      } catch {
        return;
      }
      for (const push of this.streams) push(event);
    });
    for (let attempt = 1; this.subscriber === sub; attempt++) {
      try {
        await sub.subscribe(this.deps.desk.queue.eventsChannel);
        if (attempt > 1) this.deps.logger.info({ attempt }, 'staff events: subscribed');
        return;
      } catch (err) {
        if (this.subscriber !== sub) return;
        if (attempt === 1) this.deps.logger.warn({ err: { message: (err as Error).message } }, 'staff events: subscribe failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)).unref());
      }
    }
  }

  /** Resolves once the events channel is subscribed (or the console has closed). */
  ready(): Promise<void> {
    return this.subscribed ?? Promise.resolve();
  }

  // ── sign-in ────────────────────────────────────────────────────────────────────────────────────────

  private async signIn(req: Request, res: Response): Promise<void> {
    const parsed = SignIn.safeParse(req.body);
    if (!parsed.success) return this.json(res, 400, { error: 'username and password are required' });
    const result = await this.deps.staff.signIn(parsed.data.username, parsed.data.password, clientIp(req, this.deps.config.trustProxyHops));
    if (!result.ok) {
      await this.deps.audit.record({ type: 'staff-sign-in-failed', detail: { reason: result.reason } });
      if (result.reason === 'locked') return this.json(res, 429, { error: 'Too many failed sign-ins. Try again in 15 minutes.' });
      return this.json(res, 401, { error: 'Wrong username or password.' });
    }
    await this.deps.audit.record({ type: 'staff-signed-in', detail: { staffId: result.session.staffId } });
    await this.deps.desk.queue.heartbeat(result.session.staffId);
    res.header('Set-Cookie', this.cookie(result.token, this.deps.config.staff.idleMinutes * 60));
    this.json(res, 200, { csrfToken: result.session.csrfToken, staffId: result.session.staffId, name: result.session.displayName, role: result.session.role });
  }

  private async signOut(req: Request, res: Response, s: StaffSession): Promise<void> {
    await this.deps.staff.signOut(this.token(req));
    await this.deps.desk.queue.signOff(s.staffId);
    await this.deps.audit.record({ type: 'staff-signed-out', detail: { staffId: s.staffId } });
    res.header('Set-Cookie', this.cookie('', 0));
    this.json(res, 200, { ok: true });
  }

  private cookie(value: string, maxAge: number): string {
    return `${COOKIE}=${value}; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookie ? '; Secure' : ''}`;
  }

  private token(req: Request): string {
    const header = String(req.headers.cookie ?? '');
    for (const part of header.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === COOKIE) return rest.join('=');
    }
    return '';
  }

  /** A route that needs a session (and, for changes, the CSRF header). */
  private authed(mutation: boolean, handler: Handler) {
    return async (req: Request, res: Response) =>
      this.guard(res, async () => {
        const session = await this.deps.staff.session(this.token(req));
        if (!session) return this.json(res, 401, { error: 'Signed out. Please sign in again.' });
        if (mutation) {
          const given = String(req.headers['x-csrf-token'] ?? '');
          if (!given || !constantTimeEqualHex(sha256(given), sha256(session.csrfToken))) return this.json(res, 403, { error: 'Missing or wrong x-csrf-token header.' });
        }
        await handler(req, res, session);
      });
  }

  private async guard(res: Response, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.deps.logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'staff console request failed');
      if (!res.headersSent) this.json(res, 500, { error: 'Something went wrong on our side.' });
    }
  }

  // ── handoffs ───────────────────────────────────────────────────────────────────────────────────────

  private member(s: StaffSession): StaffMember {
    return { id: s.staffId, name: s.displayName };
  }

  private async handoff(req: Request, res: Response) {
    const id = String(req.params?.id ?? '');
    const h = HANDOFF_ID.test(id) ? await this.deps.desk.queue.get(id) : null;
    if (!h) this.refused(res, 'not-found');
    return h;
  }

  private async claim(req: Request, res: Response, s: StaffSession): Promise<void> {
    const result = await this.deps.desk.claim(String(req.params?.id ?? ''), this.member(s));
    if (!result.ok) {
      if (result.reason === 'taken') return this.json(res, 409, { error: `${result.staffName} (${result.staffId}) has this conversation.`, staffId: result.staffId, staffName: result.staffName });
      return this.json(res, result.reason === 'closed' ? 410 : 404, { error: result.reason === 'closed' ? 'The patient is no longer waiting.' : REFUSALS['not-found'] });
    }
    await this.deps.delivery.send(result.reference, `You're now talking with ${s.displayName} from the ${this.deps.config.practice.name} team. Anything you type goes to them.`);
    this.json(res, 200, { handoff: result.handoff });
  }

  private async transcript(req: Request, res: Response, s: StaffSession): Promise<void> {
    const h = await this.handoff(req, res);
    if (!h) return;
    await this.deps.audit.record({ type: 'staff-viewed', detail: { handoffId: h.id, staffId: s.staffId } });
    this.json(res, 200, { handoff: h, transcript: await this.deps.desk.queue.transcript(h.id) });
  }

  private async message(req: Request, res: Response, s: StaffSession): Promise<void> {
    const parsed = Message.safeParse(req.body);
    if (!parsed.success) return this.json(res, 400, { error: 'text is required (at most 2000 characters)' });
    const result = await this.deps.desk.staffSaid(String(req.params?.id ?? ''), this.member(s), parsed.data.text);
    if (!result.ok) return this.refused(res, result.reason);
    const delivered = await this.deps.delivery.send(result.reference, `${s.displayName}: ${parsed.data.text}`);
    this.json(res, 200, { entry: result.entry, delivered });
  }

  /** Return to the bot, or end the conversation: the patient is told which, and starts afresh with the bot. */
  private async finish(req: Request, res: Response, s: StaffSession, how: 'return' | 'end'): Promise<void> {
    const id = String(req.params?.id ?? '');
    const result = how === 'return' ? await this.deps.desk.returnToBot(id, this.member(s)) : await this.deps.desk.end(id, this.member(s));
    if (!result.ok) return this.refused(res, result.reason);
    const text =
      how === 'return'
        ? `${s.displayName} has handed you back to the portal assistant. What else can I help you with?`
        : `${s.displayName} has ended the conversation. Thanks for contacting the ${this.deps.config.practice.name} team. If you need anything else, just type your question.`;
    await this.deps.delivery.send(result.reference, text, { freshState: true });
    this.json(res, 200, { ok: true });
  }

  /** A handoff action refused: 404 for an unknown handoff, 409 otherwise, with what staff should know. */
  private refused(res: Response, reason: 'not-found' | 'not-yours' | 'offline'): void {
    this.json(res, reason === 'not-found' ? 404 : 409, { error: REFUSALS[reason] });
  }

  /** Hands the conversation to another staff member who is online; the patient is told who they talk to now. */
  private async transfer(req: Request, res: Response, s: StaffSession): Promise<void> {
    const parsed = Transfer.safeParse(req.body);
    if (!parsed.success) return this.json(res, 400, { error: 'staffId is required' });
    const target = await this.deps.staff.get(parsed.data.staffId);
    if (!target || target.disabled) return this.refused(res, 'offline');
    const result = await this.deps.desk.transfer(String(req.params?.id ?? ''), this.member(s), { id: target.username, name: target.displayName });
    if (!result.ok) return this.refused(res, result.reason);
    await this.deps.delivery.send(result.reference, `You're now talking with ${target.displayName} from the ${this.deps.config.practice.name} team.`);
    this.json(res, 200, { ok: true, staffId: target.username, name: target.displayName });
  }

  /** Staff online now (for "transfer to"). */
  private async onlineStaff(res: Response): Promise<void> {
    const ids = await this.deps.desk.queue.onlineStaff();
    const accounts = await Promise.all(ids.map((id) => this.deps.staff.get(id)));
    this.json(res, 200, { staff: accounts.filter((a) => a && !a.disabled).map((a) => ({ staffId: a!.username, name: a!.displayName, role: a!.role })) });
  }

  /** The supervisor view: every handoff, callback and practice request of the practice's day so far. */
  private async today(res: Response, s: StaffSession): Promise<void> {
    if (s.role !== 'supervisor') return this.json(res, 403, { error: 'The day view is for supervisors.' });
    const since = startOfDay(new Date(), this.deps.config.practice.timeZone).getTime();
    const inDay = (iso: string | undefined) => Boolean(iso) && Date.parse(iso!) >= since;
    const [handoffs, requests, callbacks] = await Promise.all([this.deps.desk.queue.since(since), this.deps.requests.list({}), this.deps.desk.queue.listCallbacks()]);
    const byStatus: Record<string, number> = {};
    for (const h of handoffs) byStatus[h.status] = (byStatus[h.status] ?? 0) + 1;
    const waits = handoffs.filter((h) => h.claimedAt).map((h) => h.claimedAt! - h.enqueuedAt);
    this.json(res, 200, {
      since: new Date(since).toISOString(),
      handoffs: handoffs.map((h) => ({ id: h.id, status: h.status, channel: h.channel, reason: h.reason, enqueuedAt: h.enqueuedAt, claimedAt: h.claimedAt, closedAt: h.closedAt, staffId: h.staffId, staffName: h.staffName })),
      summary: { handoffs: handoffs.length, byStatus, medianWaitSeconds: waits.length ? Math.round(median(waits) / 1000) : null },
      requests: requests
        .filter((r) => inDay(r.createdAt) || inDay(r.resolvedAt))
        .map((r) => ({ requestId: r.requestId, kind: r.kind, status: r.status, createdAt: r.createdAt, resolvedAt: r.resolvedAt, resolvedBy: r.resolvedBy })),
      callbacks: callbacks
        .filter((c) => inDay(c.createdAt) || inDay(c.resolvedAt))
        .map((c) => ({ requestId: c.ref, status: c.status, channel: c.channel, reason: c.reason, createdAt: c.createdAt, resolvedAt: c.resolvedAt, resolvedBy: c.resolvedBy })),
    });
  }

  private async events(req: Request, res: Response, s: StaffSession): Promise<void> {
    res.writeHead(200, { ...HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    // Listening before anything is awaited: an event published while the heartbeat below is written still arrives.
    const push = (event: HandoffEvent) => res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    const beat = setInterval(() => {
      res.write(': ping\n\n');
      this.deps.desk.queue.heartbeat(s.staffId).catch((err: Error) => this.deps.logger.warn({ err: { message: err.message } }, 'staff presence heartbeat failed'));
    }, Math.max(1000, (this.deps.config.handoff.presenceSeconds * 1000) / 3));
    const end = () => {
      clearInterval(beat);
      this.streams.delete(push);
      this.closers.delete(end);
      res.end();
    };
    this.streams.add(push);
    this.closers.add(end);
    req.on('close', end);
    res.write(': connected\n\n');
    // The stream is open already (200 sent): a failed heartbeat is logged, like the periodic ones, not thrown.
    await this.deps.desk.queue.heartbeat(s.staffId).catch((err: Error) => this.deps.logger.warn({ err: { message: err.message } }, 'staff presence heartbeat failed'));
  }

  // ── practice requests and callbacks ────────────────────────────────────────────────────────────────

  private async listRequests(res: Response): Promise<void> {
    const [requests, callbacks] = await Promise.all([this.deps.requests.list({ status: 'open' }), this.deps.desk.queue.listCallbacks({ status: 'open' })]);
    this.json(res, 200, {
      requests: requests.map((r) => ({ requestId: r.requestId, kind: r.kind, status: r.status, createdAt: r.createdAt, firstName: r.firstName, lastName: r.lastName, dateOfBirth: r.dateOfBirth, contact: r.contact })),
      callbacks: callbacks.map((c) => ({ requestId: c.ref, kind: 'callback', status: c.status, createdAt: c.createdAt, reason: c.reason, channel: c.channel, contact: c.contact })),
    });
  }

  private async resolve(req: Request, res: Response, s: StaffSession): Promise<void> {
    const id = String(req.params?.id ?? '').toUpperCase();
    const parsed = Resolve.safeParse(req.body ?? {});
    if (!parsed.success) return this.json(res, 400, { error: 'patientId must be 1-64 letters, digits, "_", "." or "-"' });
    if (id.startsWith('C-')) {
      if (!(await this.deps.desk.queue.resolveCallback(id, s.staffId))) return this.json(res, 409, { error: `No open callback request ${id}.` });
      await this.deps.audit.record({ type: 'callback-resolved', requestId: id, detail: { staffId: s.staffId } });
      return this.json(res, 200, { ok: true, output: [`Resolved ${id}.`] });
    }
    if (!parsed.data.patientId) return this.json(res, 400, { error: 'patientId is required to resolve a practice request' });
    // The admin CLI's resolve (issue a token, email it, audit) — one implementation for both.
    const { code, out, errors } = await this.admin(['requests:resolve', id, '--patient', parsed.data.patientId, '--by', s.staffId]);
    this.json(res, code === 0 ? 200 : 409, { ok: code === 0, output: out, errors });
  }

  /** Emails a patient a one-time link to create their portal account: the admin CLI's `enrollment:invite`. */
  private async invite(req: Request, res: Response, s: StaffSession): Promise<void> {
    const parsed = Invite.safeParse(req.body);
    if (!parsed.success) return this.json(res, 400, { error: 'patientId must be 1-64 letters, digits, "_", "." or "-"' });
    const { code, out, errors } = await this.admin(['enrollment:invite', parsed.data.patientId]);
    await this.deps.audit.record({ type: 'enrollment-invited', detail: { staffId: s.staffId, ok: code === 0 } });
    this.json(res, code === 0 ? 200 : 409, { ok: code === 0, output: out, errors });
  }

  /** Runs an admin CLI command with its output collected (one implementation for the CLI and the console). */
  private async admin(argv: string[]): Promise<{ code: number; out: string[]; errors: string[] }> {
    const out: string[] = [];
    const errors: string[] = [];
    const code = await runAdmin(argv, this.deps.adminServices, { out: (l) => void out.push(l), err: (l) => void errors.push(l), readStdin: async () => '' });
    return { code, out, errors };
  }

  private json(res: Response, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private send(res: Response, status: number, type: string, body: string): void {
    res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
