/**
 * Requests only staff can fulfil — a new enrollment token, reactivating an account, a password-reset
 * token, enrolling a patient who has no token: file one in the practice's queue (details sealed at rest),
 * announce it to the practice by email (reference only, no PHI), and tell a patient later whether it is
 * open or done.
 *
 * Abuse by volume (a script opening many conversations): new requests are capped per conversation, per
 * channel user (`Caller.userRef`, PRACTICE_REQUESTS_PER_USER_PER_DAY) and per IP where one is known; the
 * same person's same open request within 24 hours gets its reference back and no new email (the queue
 * decides); and practice notification emails are capped per hour (STAFF_NOTIFY_PER_HOUR): the requests
 * beyond it are filed but not announced one by one — the next notice after the hour carries a summary
 * ("N more requests were filed"), or, when no request comes, `sendHeldSummary` (the app runs it every minute).
 */
import { randomUUID } from 'node:crypto';
import { RequestValidationError, type NewPracticeRequest, type RequestKind, type RequestStatus } from '../requests';
import type { AuditType } from '../audit';
import type { LimitName } from '../limits';
import type { Caller, RecoveryDeps } from './deps';
import { callerLimitKey, withinLimits } from './guards';

const AUDIT_TYPE: Record<RequestKind, AuditType> = {
  'token-renewal': 'renewal-requested',
  reactivation: 'reactivation-requested',
  'reset-token': 'reset-token-requested',
  enrollment: 'enrollment-requested',
};

export type FileRequestOutcome = { kind: 'filed'; requestId: string } | { kind: 'limited' } | { kind: 'invalid'; fields: string[] };

export async function filePracticeRequest(
  deps: RecoveryDeps,
  input: Omit<NewPracticeRequest, 'conversationRef'>,
  caller: Caller,
): Promise<FileRequestOutcome> {
  const ref = caller.conversationRef;
  const checks: Array<[LimitName, string]> = [['practiceRequestPerConversation', ref]];
  if (caller.userRef) checks.push(['practiceRequestPerUser', callerLimitKey(deps.serverSecret, 'user', caller.userRef)]);
  if (caller.clientIp) checks.push(['practiceRequestPerIp', callerLimitKey(deps.serverSecret, 'ip', caller.clientIp)]);
  if (!(await withinLimits(deps, checks, { conversationRef: ref, flow: 'practice-request' }))) {
    return { kind: 'limited' };
  }
  let requestId: string;
  let duplicate: boolean | undefined;
  try {
    ({ requestId, duplicate } = await deps.requests.create({ ...input, conversationRef: ref }));
  } catch (err) {
    if (!(err instanceof RequestValidationError)) throw err;
    deps.logger.warn({ fields: err.fields }, 'practice request refused by the queue');
    return { kind: 'invalid', fields: err.fields };
  }
  // The request is filed now, whatever becomes of this turn, so its notice to the practice is queued at once and
  // never cancelled with an abandoned turn (sendNow). Its idempotency key is the request's: queued or sent once.
  const notifyPractice = (data: Record<string, string>, template: 'practice-request' | 'practice-request-summary', key: string) => {
    const msg = { to: deps.practiceNotifyEmail as string, template, data, idempotencyKey: key };
    return deps.mailer.sendNow ? deps.mailer.sendNow(msg) : deps.mailer.send(msg);
  };
  if (duplicate) {
    // The same person asked for the same thing while it is open: same reference, no second email. If the first
    // turn filed it but failed before its notice was queued (Redis went away), the patient's retry lands here:
    // queue the notice under the same key — a no-op when it was queued or sent already.
    await deps.audit.record({ type: 'practice-request-repeated', requestId, conversationRef: ref, detail: { kind: input.kind } });
    if (deps.practiceNotifyEmail) await notifyPractice({ requestId, kind: input.kind }, 'practice-request', `practice-request:${requestId}`);
    return { kind: 'filed', requestId };
  }
  await deps.audit.record({ type: AUDIT_TYPE[input.kind], requestId, conversationRef: ref, ...(caller.userRef ? { detail: { userRef: caller.userRef } } : {}) });
  // Not awaited: a Teams outage must not hold up the patient's reply.
  deps.staffNotices?.requestFiled({ requestId, kind: input.kind }).catch((err: Error) => deps.logger.warn({ err: { name: err.name, message: err.message }, requestId }, 'staff notice failed'));
  if (deps.practiceNotifyEmail) {
    const notice = await deps.requests.claimStaffNotice();
    if (notice.heldBack > 0) await notifyPractice({ count: String(notice.heldBack) }, 'practice-request-summary', `practice-request-summary:${requestId}`);
    if (notice.notify) {
      await notifyPractice({ requestId, kind: input.kind }, 'practice-request', `practice-request:${requestId}`);
    } else {
      await deps.audit.record({ type: 'staff-notice-held', requestId, conversationRef: ref });
      deps.logger.warn({ requestId }, 'practice notification emails are over STAFF_NOTIFY_PER_HOUR: request filed, notice held for the summary');
    }
  } else {
    deps.logger.warn({ requestId }, 'PRACTICE_NOTIFY_EMAIL is not set: request filed without an email to the practice');
  }
  return { kind: 'filed', requestId };
}

/**
 * Sends the summary of notices held back over STAFF_NOTIFY_PER_HOUR once an hour has room for it, without waiting
 * for the next request to carry it. Safe on every instance at once: the claim is atomic. Returns the count sent.
 */
export async function sendHeldSummary(deps: RecoveryDeps): Promise<number> {
  if (!deps.practiceNotifyEmail) return 0;
  const count = await deps.requests.claimHeldSummary();
  if (count === 0) return 0;
  await deps.mailer.send({
    to: deps.practiceNotifyEmail,
    template: 'practice-request-summary',
    data: { count: String(count) },
    idempotencyKey: `practice-request-summary:${randomUUID()}`,
  });
  deps.logger.info({ count }, 'practice notified of requests held back over STAFF_NOTIFY_PER_HOUR');
  return count;
}

/** Open, resolved, not found (null) — nothing else about the request — or `limited`. */
export async function practiceRequestStatus(deps: RecoveryDeps, requestId: string, caller: Caller): Promise<RequestStatus | null | 'limited'> {
  if (!(await deps.limits.consume('perConversation', caller.conversationRef))) return 'limited';
  return deps.requests.status(requestId);
}
