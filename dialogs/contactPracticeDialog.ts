/**
 * ContactPracticeDialog: when self-service cannot help (no email on file, a locked path), tell the
 * patient how to reach the practice — saying whether it is open now — and offer a person.
 */
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Config } from '../services/config';
import { contactPracticeText } from './messages';
import { ask, createTextPrompt, recogniseYesNo, say, YES_NO } from './prompts';
import type { FlowResult } from './accountKit';

export const CONTACT_PRACTICE_DIALOG = 'contactPracticeDialog';

/** Options: an optional sentence said before the contact details. */
export interface ContactPracticeOptions {
  reason?: string;
}

export class ContactPracticeDialog extends ComponentDialog {
  constructor(private readonly practice: Config['practice']) {
    super(CONTACT_PRACTICE_DIALOG);
    this.addDialog(createTextPrompt());
    this.addDialog(new WaterfallDialog(`${CONTACT_PRACTICE_DIALOG}.steps`, [this.offerStep.bind(this), this.answerStep.bind(this)]));
    this.initialDialogId = `${CONTACT_PRACTICE_DIALOG}.steps`;
  }

  private async offerStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { reason } = (step.options ?? {}) as ContactPracticeOptions;
    const text = [reason, contactPracticeText(this.practice), 'Would you like to talk to a person from the practice now?'].filter(Boolean).join(' ');
    return ask(step, { text, choices: YES_NO });
  }

  private async answerStep(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const yesNo = recogniseYesNo(step.result);
    if (yesNo === 'yes') return step.endDialog({ next: 'handoff' } satisfies FlowResult);
    if (yesNo === 'no') {
      await say(step.context, 'OK. Is there anything else I can help you with?');
      return step.endDialog({} satisfies FlowResult);
    }
    return step.endDialog({ reroute: String(step.result ?? '') } satisfies FlowResult);
  }
}
