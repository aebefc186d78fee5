/**
 * What a channel is given (DESIGN §2): the bot logic and the middleware every adapter wears, the
 * shared parts of the store it needs (transactions, the conversation lock, the bus, limits), the
 * relay registration, and the two services it hands things to (files buyers send, tickets for
 * replies that cannot be delivered). Never the whole app; each channel gets its own repository
 * besides (createDirectLine, createWeChat).
 */
import type { BotAdapter, TurnContext } from 'botbuilder';
import type pino from 'pino';
import type { Config } from '../config.js';
import type { Relay } from '../handoff/relay.js';
import type { AttachmentStore } from '../storage/attachments.js';
import type { Store } from '../storage/index.js';
import type { TicketService } from '../tickets/index.js';
import type { Clock } from '../time.js';

export type ChannelStore = Pick<Store, 'sql' | 'lock' | 'bus' | 'leader' | 'instance' | 'alive' | 'limiter' | 'setting'>;

export interface ChannelDeps {
  config: Config;
  clock: Clock;
  logger: pino.Logger;
  /** Runs one turn through the middleware and the bot. */
  logic: (ctx: TurnContext) => Promise<void>;
  /** Adds the shared middleware and error handler to the channel's adapter. */
  wire<A extends BotAdapter>(adapter: A): A;
  store: ChannelStore;
  relay: Pick<Relay, 'register' | 'declareOneWay'>;
  files: AttachmentStore;
  tickets: TicketService;
}
