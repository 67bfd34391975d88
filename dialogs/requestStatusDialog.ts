/**
 * RequestStatusDialog: tells a patient whether a request they filed (token renewal, reactivation, reset
 * token) is still open or done, by its reference number. It says nothing else about the request.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { parseRequestId } from '../services/requests';
import type { DialogDeps } from './deps';
import { callerOf, type FlowResult } from './flow';
import { ask, createTextPrompt, say } from './prompts';
import { findRequestId } from './routing';

export const REQUEST_STATUS_DIALOG = 'requestStatusDialog';
const STEPS = `${REQUEST_STATUS_DIALOG}.steps`;

export interface RequestStatusOptions {
  requestId?: string;
}

export class RequestStatusDialog extends ComponentDialog {
  constructor(private readonly deps: DialogDeps) {
    super(REQUEST_STATUS_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(new WaterfallDialog(STEPS, [this.askReference.bind(this), this.tellStatus.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async askReference(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { requestId } = (step.options ?? {}) as RequestStatusOptions;
    if (requestId) return step.next(requestId);
    return ask(step, 'What is the reference number of your request? It looks like R-7K3Q9P.');
  }

  private async tellStatus(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const text = typeof step.result === 'string' ? step.result : '';
    const requestId = findRequestId(text) ?? parseRequestId(text);
    if (!requestId) return step.endDialog({ reroute: true } satisfies FlowResult);
    const found = await this.deps.recovery.practiceRequestStatus(requestId, callerOf(step.context));
    const status = found === 'limited' ? null : found;
    if (status === 'open') {
      await say(step.context, `Request ${requestId} is open: the practice has it and hasn't finished it yet. You'll hear from them by email or phone.`);
    } else if (status === 'resolved') {
      await say(step.context, `Request ${requestId} is done: the practice has completed it. Please check your email for what they sent.`);
    } else {
      await say(step.context, `I can't find a request with the reference ${requestId}. Please check the number, or call the practice at ${this.deps.practice.phone}.`);
    }
    return step.endDialog({} satisfies FlowResult);
  }
}
