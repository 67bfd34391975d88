/**
 * Validation of inbound activities before they reach the adapter, so malformed requests get a short
 * 4xx reason instead of an exception deep in the SDK.
 */
import { z } from 'zod';

export const MAX_TEXT_LENGTH = 5000;
export const MAX_BODY_BYTES = 256 * 1024;

const Account = z.object({ id: z.string().min(1).max(512) }).passthrough();

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
  })
  .passthrough()
  .superRefine((a, ctx) => {
    if (a.deliveryMode !== 'expectReplies' && !a.serviceUrl) {
      ctx.addIssue({ code: 'custom', path: ['serviceUrl'], message: 'serviceUrl is required unless deliveryMode is "expectReplies"' });
    }
  });

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an http(s) URL on this machine. */
function isLoopbackUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return /^https?:$/.test(u.protocol) && (LOOPBACK.has(u.hostname) || u.hostname.startsWith('127.'));
  } catch {
    return false;
  }
}

/**
 * Returns null when the body is a valid activity, else a short reason for the 400 reply. With
 * authentication disabled (local use), replies may only be posted back to this machine: otherwise anyone
 * could make the bot send requests (and replies) to any address.
 */
export function activityProblem(body: unknown, authDisabled = false): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON activity object';
  const parsed = InboundActivitySchema.safeParse(body);
  if (parsed.success) {
    const { deliveryMode, serviceUrl } = parsed.data;
    if (authDisabled && deliveryMode !== 'expectReplies' && serviceUrl && !isLoopbackUrl(serviceUrl)) {
      return 'serviceUrl must be on this machine while authentication is disabled (MicrosoftAppId is empty)';
    }
    return null;
  }
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.');
  return !field || issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`;
}
