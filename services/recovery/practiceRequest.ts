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
 * beyond it are filed but not announced one by one, and `sendHeldSummary` announces them in one email ("N more
 * requests were filed") once a later hour has room for it: right after the next request's notice, or, when no
 * request comes, from the app's minute timer.
 */
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
  const notifyPractice = () =>
    queueNow(deps, { to: deps.practiceNotifyEmail as string, template: 'practice-request', data: { requestId, kind: input.kind }, idempotencyKey: `practice-request:${requestId}` });
  if (duplicate) {
    // The same person asked for the same thing while it is open: same reference, no second email. If the first
    // turn filed it but failed before its notice was queued (Redis went away), the patient's retry lands here:
    // queue the notice under the same key — a no-op when it was queued or sent already.
    await deps.audit.record({ type: 'practice-request-repeated', requestId, conversationRef: ref, detail: { kind: input.kind } });
    if (deps.practiceNotifyEmail) await notifyPractice();
    return { kind: 'filed', requestId };
  }
  await deps.audit.record({ type: AUDIT_TYPE[input.kind], requestId, conversationRef: ref, ...(caller.userRef ? { detail: { userRef: caller.userRef } } : {}) });
  // Not awaited: a Teams outage must not hold up the patient's reply.
  deps.staffNotices?.requestFiled({ requestId, kind: input.kind }).catch((err: Error) => deps.logger.warn({ err: { name: err.name, message: err.message }, requestId }, 'staff notice failed'));
  if (deps.practiceNotifyEmail) {
    if ((await deps.requests.claimStaffNotice()).notify) {
      await notifyPractice();
      // Notices held back in an earlier hour, if this hour has room for the summary. A failure is the timer's to
      // retry (the count is given back), never the patient's: their request is filed and announced.
      await sendHeldSummary(deps).catch((err: Error) => deps.logger.warn({ err: { message: err.message } }, 'held request summary not sent; the timer tries again'));
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
 * Queued at once, never deferred to the end of a chat turn: what it announces is filed already, so it must not be
 * dropped with a turn that fails afterwards. Its idempotency key makes a repeat a no-op.
 */
function queueNow(deps: RecoveryDeps, msg: Parameters<RecoveryDeps['mailer']['send']>[0]): Promise<void> {
  return deps.mailer.sendNow ? deps.mailer.sendNow(msg) : deps.mailer.send(msg);
}

/**
 * Announces the notices held back over STAFF_NOTIFY_PER_HOUR in one summary email, once an hour has room for it
 * (it counts as one email). Safe on every instance at once: the claim is atomic. A summary that cannot be queued
 * gives its count back for the next try. Returns the count announced.
 */
export async function sendHeldSummary(deps: RecoveryDeps): Promise<number> {
  if (!deps.practiceNotifyEmail) return 0;
  const { count, hour } = await deps.requests.claimHeldSummary();
  if (count === 0) return 0;
  try {
    await queueNow(deps, { to: deps.practiceNotifyEmail, template: 'practice-request-summary', data: { count: String(count) }, idempotencyKey: `practice-request-summary:${hour}` });
  } catch (err) {
    await deps.requests.releaseHeldSummary(count).catch(() => undefined); // Redis is likely what failed: counted lost then
    throw err;
  }
  deps.logger.info({ count }, 'practice notified of requests held back over STAFF_NOTIFY_PER_HOUR');
  return count;
}

/** Open, resolved, not found (null) — nothing else about the request — or `limited`. */
export async function practiceRequestStatus(deps: RecoveryDeps, requestId: string, caller: Caller): Promise<RequestStatus | null | 'limited'> {
  if (!(await deps.limits.consume('perConversation', caller.conversationRef))) return 'limited';
  return deps.requests.status(requestId);
}
