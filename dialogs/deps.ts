/** What the flow dialogs need: the recovery use cases, the sealer for values kept between turns, and wording settings. */
import type { HandoffPort } from '../services/handoff';
import type { Logger } from '../services/logger';
import type { Recovery } from '../services/recovery';
import type { Sealer } from '../services/state/sealer';
import type { PracticeInfo } from './messages';

export interface DialogDeps {
  recovery: Recovery;
  /** Seals values a dialog keeps between turns (a typed email, a last name) so state never holds them in clear. */
  sealer: Sealer;
  logger: Logger;
  practice: PracticeInfo;
  /** How soon the practice answers a request ("usually within one business day"); said when a request is filed. */
  requestResponseTime?: string;
  /** The live-handoff queue (services/handoff); absent = "talk to a person" gives the practice's contact only. */
  handoff?: HandoffPort;
  /** True when text the patient typed at a question is really a new question the FAQ can answer. */
  isNewQuestion(text: string): boolean;
}
