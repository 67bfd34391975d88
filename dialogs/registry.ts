/**
 * The flow registry: which dialog performs each flow, with the options it starts with. Typed as a complete
 * `Record` over FLOW_NAMES, so a flow cannot be named without a dialog; the knowledge base's offered
 * actions are checked against the same names when it loads (dialogs/faq.ts).
 */
import type { Dialog } from 'botbuilder-dialogs';
import type { DialogDeps } from './deps';
import type { FlowName } from './flow';
import { ContactPracticeDialog, CONTACT_PRACTICE_DIALOG } from './contactPracticeDialog';
import { RecoverUsernameDialog, RECOVER_USERNAME_DIALOG } from './recoverUsernameDialog';
import { ResetPasswordDialog, RESET_PASSWORD_DIALOG } from './resetPasswordDialog';
import { SecurityQuestionsDialog, SECURITY_QUESTIONS_DIALOG } from './securityQuestionsDialog';
import { PracticeTokenDialog, PRACTICE_TOKEN_DIALOG } from './practiceTokenDialog';
import { PracticeRequestDialog, PRACTICE_REQUEST_DIALOG } from './practiceRequestDialog';
import { RequestStatusDialog, REQUEST_STATUS_DIALOG } from './requestStatusDialog';
import { HandoffDialog, HANDOFF_DIALOG } from './handoffDialog';
import { EnrollDialog, ENROLL_DIALOG } from './enrollDialog';

export interface FlowSpec {
  dialogId: string;
  options?: Record<string, string>;
  /** How the flow is named when the conversation comes back to it ("Now, back to <label>"). */
  label: string;
}

export const FLOWS: Record<FlowName, FlowSpec> = {
  'recover-username': { dialogId: RECOVER_USERNAME_DIALOG, label: 'recovering your username' },
  'reset-password': { dialogId: RESET_PASSWORD_DIALOG, label: 'resetting your password' },
  'reset-by-questions': { dialogId: SECURITY_QUESTIONS_DIALOG, label: 'your security questions' },
  'reset-by-token': { dialogId: PRACTICE_TOKEN_DIALOG, label: 'your reset token' },
  'renew-token': { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'token-renewal' }, label: 'your token request' },
  'request-reset-token': { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'reset-token' }, label: 'your reset token request' },
  reactivate: { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'reactivation' }, label: 'your reactivation request' },
  'request-status': { dialogId: REQUEST_STATUS_DIALOG, label: 'your request status' },
  'contact-practice': { dialogId: CONTACT_PRACTICE_DIALOG, label: 'contacting the practice' },
  // "Talk to a person": the live-handoff queue during office hours with staff online, else contact + callback offer.
  handoff: { dialogId: HANDOFF_DIALOG, label: 'talking to a person' },
  'enroll-with-token': { dialogId: ENROLL_DIALOG, label: 'your enrollment token' },
  // No token: staff approve the request and the patient is emailed an invitation (services/admin requests:resolve).
  'request-enrollment': { dialogId: PRACTICE_REQUEST_DIALOG, options: { kind: 'enrollment' }, label: 'your enrollment request' },
};

/** One instance of every dialog the registry names. */
export function createFlowDialogs(deps: DialogDeps): Dialog[] {
  return [
    new ContactPracticeDialog(deps.practice),
    new RecoverUsernameDialog(deps),
    new ResetPasswordDialog(deps),
    new SecurityQuestionsDialog(deps),
    new PracticeTokenDialog(deps),
    new PracticeRequestDialog(deps),
    new RequestStatusDialog(deps),
    new HandoffDialog(deps),
    new EnrollDialog(deps),
  ];
}
