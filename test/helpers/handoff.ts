/**
 * Handoff test parts: a patient on the development Direct Line (raw REST, the way Web Chat polls it, so staff
 * messages arrive proactively) and a staff member's console API session (cookie + CSRF token).
 */
import type { TestHost } from './host';
import { waitFor } from './wait';

export const STAFF_PASSWORD = 'correct-horse-battery-staple';

export interface DlActivity {
  type: string;
  text?: string;
  from: { id: string; role?: string };
}

export class DlPatient {
  token = '';
  conversationId = '';
  watermark = '';
  seen: DlActivity[] = [];
  constructor(private readonly h: TestHost) {}

  private call(method: string, path: string, auth: string, body?: unknown) {
    return fetch(`${this.h.url}${path}`, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  }

  /** `channel/conversation id`, the handoff desk's key for this conversation. */
  get key(): string {
    return `directline/${this.conversationId}`;
  }

  async start(): Promise<void> {
    const gen = (await (await this.call('POST', '/v3/directline/tokens/generate', this.h.config.channels.directLine.secret!, { user: { id: `dl_${Math.random().toString(16).slice(2)}` } })).json()) as { token: string; conversationId: string };
    this.token = gen.token;
    this.conversationId = gen.conversationId;
    await this.call('POST', '/v3/directline/conversations', this.token);
    await this.poll();
  }

  async poll(): Promise<DlActivity[]> {
    const res = await this.call('GET', `/v3/directline/conversations/${this.conversationId}/activities${this.watermark ? `?watermark=${this.watermark}` : ''}`, this.token);
    const body = (await res.json()) as { activities: DlActivity[]; watermark: string };
    this.watermark = body.watermark;
    this.seen.push(...body.activities);
    return body.activities;
  }

  async say(text: string): Promise<void> {
    const res = await this.call('POST', `/v3/directline/conversations/${this.conversationId}/activities`, this.token, { type: 'message', from: { id: 'x' }, text });
    if (res.status !== 200) throw new Error(`the Direct Line answered ${res.status}`);
  }

  /** Waits for a bot message matching `re` after the first `from` seen. */
  async botSays(re: RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    const found = await waitFor(
      async () => {
        await this.poll();
        return this.seen.slice(from).find((a) => a.type === 'message' && a.from.role === 'bot' && re.test(a.text ?? ''));
      },
      { timeoutMs, what: `a bot message matching ${re}` },
    );
    return found.text ?? '';
  }

  botMessagesSince(from: number): string[] {
    return this.seen.slice(from).filter((a) => a.type === 'message' && a.from.role === 'bot').map((a) => a.text ?? '');
  }
}

/** A staff member's API session (cookie + CSRF token). */
export class Staff {
  cookie = '';
  csrf = '';
  constructor(private readonly h: TestHost) {}

  async signIn(username: string, password = STAFF_PASSWORD): Promise<number> {
    const res = await fetch(`${this.h.url}/staff/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (res.status === 200) {
      this.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
      this.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    }
    return res.status;
  }

  async call(method: string, path: string, body?: unknown, csrf = this.csrf): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { cookie: this.cookie, 'content-type': 'application/json' };
    if (csrf) headers['x-csrf-token'] = csrf;
    const res = await fetch(`${this.h.url}/staff/api/${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
}

/** Signs `name` in (signing in counts as a presence heartbeat). */
export async function signedIn(h: TestHost, name: string): Promise<Staff> {
  const s = new Staff(h);
  const status = await s.signIn(name);
  if (status !== 200) throw new Error(`sign-in as ${name} answered ${status}`);
  return s;
}

export interface StaffEventStream {
  status: number;
  /** Every event received so far, in order. */
  events: Array<{ type: string; data: Record<string, unknown> }>;
  close(): void;
}

/** Opens `staff`'s live event stream (GET /staff/api/events, server-sent events) and collects what arrives. */
export async function staffEvents(h: TestHost, staff: Staff): Promise<StaffEventStream> {
  const abort = new AbortController();
  const res = await fetch(`${h.url}/staff/api/events`, { headers: { cookie: staff.cookie }, signal: abort.signal });
  const events: StaffEventStream['events'] = [];
  const reader = res.body?.getReader();
  if (reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    })().catch(() => undefined); // aborted by close()
  }
  return { status: res.status, events, close: () => abort.abort() };
}
