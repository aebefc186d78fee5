/**
 * The one place a turn's outcome is recorded (DESIGN §5). Every part of a turn (the desk, the
 * follow-ups, the dialogs) says here what happened; the bot sends it once, as the `turnOutcome`
 * trace, when the turn ends. A later record of the same field wins (the ladder moved on).
 */
import type { TurnContext } from 'botbuilder';
import { type TurnOutcome, turnData } from './types.js';

export type Recorded = Partial<Omit<TurnOutcome, 'intent' | 'slots'>>;

export function record(ctx: TurnContext, what: Recorded): void {
  Object.assign(turnData(ctx).outcome, what);
}

/** What has been recorded so far this turn. */
export function recorded(ctx: TurnContext): Readonly<Recorded> {
  return turnData(ctx).outcome;
}
