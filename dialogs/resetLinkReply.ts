/** Shows the outcome of a chat reset link (after security answers or a practice token) to the patient. */
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import type { ChatResetLink } from '../services/recovery';
import type { FlowResult } from './flow';
import { say } from './prompts';

/** The link, or — for an account that is not active — the way back in (a reactivation request). */
export async function showChatResetLink(step: WaterfallStepContext, link: ChatResetLink): Promise<DialogTurnResult> {
  if (link.kind === 'not-active') {
    await say(step.context, 'Thank you. Your portal account is not active at the moment, so a new password would not let you sign in yet.');
    return step.endDialog({ next: 'reactivate' } satisfies FlowResult);
  }
  await say(step.context, `Thank you, that's right. Here is your one-time link to choose a new password. It works once, for the next ${link.minutes} minutes:\n${link.url}`);
  return step.endDialog({} satisfies FlowResult);
}
