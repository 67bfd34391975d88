/**
 * Requests only staff can fulfil — a new enrollment token, reactivating an account, a password-reset
 * token: file one in the practice's queue (details sealed from logs), announce it to the practice by email
 * (reference only, no PHI), and tell a patient later whether it is open or done.
 */
import { RequestValidationError, type NewPracticeRequest, type RequestKind, type RequestStatus } from '../requests';
import type { AuditType } from '../audit';
import type { Caller, RecoveryDeps } from './deps';
import { withinLimits } from './guards';

const AUDIT_TYPE: Record<RequestKind, AuditType> = {
  'token-renewal': 'renewal-requested',
  reactivation: 'reactivation-requested',
  'reset-token': 'reset-token-requested',
};

export type FileRequestOutcome = { kind: 'filed'; requestId: string } | { kind: 'limited' } | { kind: 'invalid'; fields: string[] };

export async function filePracticeRequest(
  deps: RecoveryDeps,
  input: Omit<NewPracticeRequest, 'conversationRef'>,
  caller: Caller,
): Promise<FileRequestOutcome> {
  const ref = caller.conversationRef;
  if (!(await withinLimits(deps, [['practiceRequestPerConversation', ref]], { conversationRef: ref, flow: 'practice-request' }))) {
    return { kind: 'limited' };
  }
  let requestId: string;
  try {
    ({ requestId } = await deps.requests.create({ ...input, conversationRef: ref }));
  } catch (err) {
    if (!(err instanceof RequestValidationError)) throw err;
    deps.logger.warn({ fields: err.fields }, 'practice request refused by the queue');
    return { kind: 'invalid', fields: err.fields };
  }
  await deps.audit.record({ type: AUDIT_TYPE[input.kind], requestId, conversationRef: ref });
  if (deps.practiceNotifyEmail) {
    await deps.mailer.send({
      to: deps.practiceNotifyEmail,
      template: 'practice-request',
      data: { requestId, kind: input.kind },
      idempotencyKey: `practice-request:${requestId}`,
    });
  } else {
    deps.logger.warn({ requestId }, 'PRACTICE_NOTIFY_EMAIL is not set: request filed without an email to the practice');
  }
  return { kind: 'filed', requestId };
}

/** Open, resolved, not found (null) — nothing else about the request — or `limited`. */
export async function practiceRequestStatus(deps: RecoveryDeps, requestId: string, caller: Caller): Promise<RequestStatus | null | 'limited'> {
  if (!(await deps.limits.consume('perConversation', caller.conversationRef))) return 'limited';
  return deps.requests.status(requestId);
}
