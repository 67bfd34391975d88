/** The choices the account dialogs offer, each with the other words a patient may type for it. */
import { choice } from './input';

export const CHOICES = {
  noVerifiedEmail: choice("I don't have a verified email", ['no verified email', 'not verified', 'no', 'none', "i don't know"]),
  noEmailAtAll: choice("I don't have any email", ['no email', 'none', 'no', "i don't have one"]),
  noEmailReset: choice("I don't have an email", ['no email', 'no', 'none']),
  haveToken: choice('I have a reset token', ['token', 'i have my password reset token', 'reset token']),
  securityQuestions: choice('Answer my security questions', ['security questions', 'questions']),
  requestToken: choice('Ask the practice for a reset token', ['ask for a token', 'request a token', 'need a token']),
  forgotUsername: choice("I don't know my username", ['forgot username', "don't know"]),
  dontRemember: choice("I don't remember", ["i don't know", 'no idea', "can't remember", 'forgot', 'not sure']),
  person: choice('Talk to a person', ['person', 'human', 'agent', 'staff']),
  tryAgain: choice('Try again', ['again', 'retry']),
  noThanks: choice('No thanks', ['no', 'nope', 'done', "that's all"]),
};
