/**
 * Validation of inbound activities before they reach the adapter, so malformed requests get a short
 * 4xx reason instead of an exception deep in the SDK.
 */
import { z } from 'zod';

export const MAX_TEXT_LENGTH = 5000;
export const MAX_BODY_BYTES = 256 * 1024;

const Account = z.object({ id: z.string().min(1).max(512) }).passthrough();
/** An account in membersAdded/membersRemoved: the bot reads its id. */
const Member = z.object({ id: z.string({ error: 'id must be a string' }).max(512) }, { error: 'must be an account object with an id' }).passthrough();
const MAX_LIST = 100;

export const InboundActivitySchema = z
  .object({
    type: z.string({ error: 'type is required' }).min(1, 'type is required'),
    channelId: z.string({ error: 'channelId is required' }).min(1).max(64),
    serviceUrl: z.string().max(2048).optional(),
    conversation: z.object({ id: z.string({ error: 'conversation.id is required' }).min(1).max(512) }, { error: 'conversation.id is required' }).passthrough(),
    from: Account.optional(),
    recipient: Account.optional(),
    text: z.string().max(MAX_TEXT_LENGTH, `text is longer than ${MAX_TEXT_LENGTH} characters`).optional(),
    deliveryMode: z.enum(['normal', 'expectReplies', 'notification', 'ephemeral']).optional(),
    // Shapes the bot (and the SDK's ActivityHandler) reads; null is what some channels send for "absent".
    membersAdded: z.array(Member, { error: 'must be an array of accounts' }).max(MAX_LIST).nullish(),
    membersRemoved: z.array(Member, { error: 'must be an array of accounts' }).max(MAX_LIST).nullish(),
    attachments: z
      .array(z.object({ contentType: z.string({ error: 'contentType must be a string' }) }, { error: 'must be an attachment object' }).passthrough(), {
        error: 'must be an array',
      })
      .max(MAX_LIST)
      .nullish(),
    entities: z.array(z.object({}, { error: 'must be an entity object' }).passthrough(), { error: 'must be an array' }).max(MAX_LIST).nullish(),
    value: z.unknown().optional(),
    channelData: z.object({}, { error: 'must be an object' }).passthrough().nullish(),
  })
  .passthrough()
  .superRefine((a, ctx) => {
    if (a.deliveryMode !== 'expectReplies' && !a.serviceUrl) {
      ctx.addIssue({ code: 'custom', path: ['serviceUrl'], message: 'serviceUrl is required unless deliveryMode is "expectReplies"' });
    }
  });

/** An IPv4 literal in 127.0.0.0/8 (the URL parser has already normalised forms such as 127.1 or 0x7f.1). */
const LOOPBACK_V4 = /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/;

/**
 * True for an http(s) URL on this machine at one of `allowedPorts`: the host must be `localhost`, `[::1]`
 * or an IPv4 literal in 127.0.0.0/8 — never a name that merely starts with "127." (`127.0.0.1.nip.io`) —
 * and the port one the operator named (the host's own port, DEV_CONNECTOR_PORTS), so a reply cannot be
 * posted to Redis or any other local service.
 */
export function isLoopbackUrl(url: string, allowedPorts: readonly number[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (u.username || u.password) return false;
  const host = u.hostname.toLowerCase();
  if (host !== 'localhost' && host !== '[::1]' && !LOOPBACK_V4.test(host)) return false;
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return allowedPorts.includes(port);
}

/**
 * Returns null when the body is a valid activity, else a short reason for the 400 reply. With
 * authentication disabled (local use), replies may only be posted back to this machine: otherwise anyone
 * could make the bot send requests (and replies) to any address.
 */
export function activityProblem(body: unknown, authDisabled = false, allowedPorts: readonly number[] = []): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON activity object';
  const parsed = InboundActivitySchema.safeParse(body);
  if (parsed.success) {
    const { deliveryMode, serviceUrl } = parsed.data;
    if (authDisabled && deliveryMode !== 'expectReplies' && serviceUrl && !isLoopbackUrl(serviceUrl, allowedPorts)) {
      return 'serviceUrl must be on this machine (localhost, 127.x.x.x or [::1]) at this host\'s port or one in DEV_CONNECTOR_PORTS while authentication is disabled (MicrosoftAppId is empty)';
    }
    return null;
  }
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.');
  return !field || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
}
