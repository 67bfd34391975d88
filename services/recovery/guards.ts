/**
 * Limits shared by the recovery use cases. A limited request gets the same reply as any other; the use
 * case just does not act on it (and audits that it was limited).
 */
import { hmac } from '../crypto';
import type { LimitName } from '../limits';
import { normaliseIdentifier } from '../text/fold';
import type { RecoveryDeps } from './deps';

/**
 * A neutral key for limits on an account (`kind` 'username') or on a typed email that may name none: an HMAC
 * of the identifier's normalised form, so every spelling the directory treats as one shares one count.
 */
export function accountLimitKey(secret: string, identifier: string, kind: 'username' | 'email' = 'username'): string {
  return hmac(secret, `limit:${kind}:${normaliseIdentifier(identifier)}`).slice(0, 24);
}

/**
 * A neutral key for limits on who is asking (a channel user's ref, a client IP): an HMAC keyed with the server
 * secret, so the counter's name cannot be traced back to the user or address.
 */
export function callerLimitKey(secret: string, kind: 'user' | 'ip', value: string): string {
  return hmac(secret, `limit:${kind}:${value.trim()}`).slice(0, 24);
}

/** Consumes each named limit in turn; false (and an audit event) as soon as one is exhausted. */
export async function withinLimits(
  deps: Pick<RecoveryDeps, 'limits' | 'audit'>,
  checks: Array<[LimitName, string]>,
  event: { conversationRef: string; accountRef?: string; flow: string },
): Promise<boolean> {
  for (const [name, key] of checks) {
    if (!(await deps.limits.consume(name, key))) {
      await deps.audit.record({ type: 'rate-limited', conversationRef: event.conversationRef, accountRef: event.accountRef, detail: { flow: event.flow, limit: name } });
      return false;
    }
  }
  return true;
}
