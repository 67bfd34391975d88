/**
 * ContactPracticeDialog: when self-service cannot help (no email on file, answers it could not read),
 * say why and how to reach a person at the practice — saying whether it is open right now.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { PracticeInfo } from './messages';
import { contactPracticeText } from './messages';
import { say } from './prompts';
import type { FlowResult } from './flow';

export const CONTACT_PRACTICE_DIALOG = 'contactPracticeDialog';

/** Options: an optional sentence said before the contact details. */
export interface ContactPracticeOptions {
  reason?: string;
}

export class ContactPracticeDialog extends ComponentDialog {
  constructor(private readonly practice: PracticeInfo) {
    super(CONTACT_PRACTICE_DIALOG);
    this.addDialog(new WaterfallDialog(`${CONTACT_PRACTICE_DIALOG}.steps`, [this.tellStep.bind(this)]));
    this.initialDialogId = `${CONTACT_PRACTICE_DIALOG}.steps`;
  }

  private async tellStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { reason } = (step.options ?? {}) as ContactPracticeOptions;
    await say(step.context, [reason, contactPracticeText(this.practice)].filter(Boolean).join(' '));
    return step.endDialog({} satisfies FlowResult);
  }
}
