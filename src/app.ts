/**
 * Composition root: configuration → storage → order adapter → services → bot. Everything that
 * runs the bot (server, terminal, evaluation, tests, benchmarks) builds it here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BotAdapter } from 'botbuilder';
import pino from 'pino';
import { KeyedConversationState, KeyedUserState, channelOf } from './bot/channelKey.js';
import { idDigest } from './logging.js';
import type { DialogState } from 'botbuilder-dialogs';
import { MainDialog } from '../dialogs/mainDialog.js';
import { Desk } from './bot/desk.js';
import { OrderBot } from './bot/orderBot.js';
import { TranscriptMiddleware } from './bot/transcript.js';
import type { BotServices } from './bot/types.js';
import type { ChannelDeps } from './channels/deps.js';
import { InProcessAdapter } from './channels/inprocess.js';
import type { Config } from './config.js';
import { AgentStore } from './handoff/agents.js';
import { HandoffService } from './handoff/index.js';
import { Relay } from './handoff/relay.js';
import { HandoffGate } from './bot/handoffGate.js';
import { KnowledgeBase } from './knowledge/index.js';
import type { DemoOrderRecord } from './orders/demo/demoOrderService.js';
import { OrderEventHub } from './orders/events.js';
import { type OrderAction, OrderActions, type StoredAction, withActions } from './orders/actions.js';
import { trackerFromSettings, withTracking } from './orders/tracking/index.js';
import { kuaidi100Hooks } from './orders/tracking/hooks.js';
import { Notifier } from './notify/index.js';
import type { OrderService } from './orders/port.js';
import { type ShopAdapter, openShop } from './orders/registry.js';
import { VerifyGuard } from './orders/guards.js';
import { AttachmentStore } from './storage/attachments.js';
import { type Store, openStore } from './storage/index.js';
import { UnitOfWork } from './storage/unitOfWork.js';
import { say } from './replies/index.js';
import { intentModel } from './understanding/learned.js';
import { LlmClient } from './llm/client.js';
import { understandingService } from './understanding/service.js';
import { TicketService } from './tickets/index.js';
import { type Clock, systemClock } from './time.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppOptions {
  config: Config;
  clock?: Clock;
  /** Orders to load instead of the demo seed (evaluation, tests). */
  orders?: DemoOrderRecord[];
  knowledgeDir?: string;
  /** This instance's name among several (default: the process's); tests run several in one process. */
  instance?: string;
  /** Where log lines go (default stdout); tests read them to prove secrets never appear. */
  logDestination?: pino.DestinationStream;
}

export interface App {
  config: Config;
  /** Where everything is kept, and what instances share (storage/index.ts). */
  store: Store;
  clock: Clock;
  services: BotServices;
  /** The shop's orders, through its adapter (ORDER_ADAPTER). */
  orders: OrderService;
  /** The adapter itself, for what only some have (the demo shop's examples and data, webhooks). */
  shop: ShopAdapter;
  /** "This order may have moved", from the shop's webhooks and courier pushes. */
  events: OrderEventHub;
  /** Agents' actions on orders (the console records them; every answer reflects them). */
  orderActions: OrderActions;
  /** Records an agent's action on an order (validated) and tells notify-me the order moved. */
  actOnOrder(orderNo: string, action: OrderAction, agentId: string): Promise<StoredAction>;
  /** "到了告诉我": watches on orders (started by the server, with the channels). */
  notifier: Notifier;
  /** Routers the shop and couriers call, mounted under /hooks. */
  hooks: import('express').Router[];
  bot: OrderBot;
  adapter: InProcessAdapter;
  logger: pino.Logger;
  /** Live agents' accounts and the buyer ↔ agent relay. */
  agents: AgentStore;
  relay: Relay;
  /** Adds the shared middleware and error handler to a channel adapter. */
  wire<A extends BotAdapter>(adapter: A): A;
  /** Runs one turn through the middleware and the bot. */
  logic: (ctx: import('botbuilder').TurnContext) => Promise<void>;
  /** Stops everything the app started; resolves once every worker and handle is gone. */
  close(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logDestination ? pino({ level: config.logLevel }, opts.logDestination) : pino({ level: config.logLevel });
  const store = await openStore({ databaseUrl: config.databaseUrl, databaseFile: config.databaseFile, logger, poolSize: config.databasePoolSize, instance: opts.instance });
  const { repos } = store;
  const events = new OrderEventHub((err) => logger.warn({ err }, 'order event listener failed'));
  const shop = await openShop({ config, clock, logger, store, events, orders: opts.orders });
  // Parcels get the carrier's own state (Kuaidi100) whatever the shop system.
  const tracker = config.kuaidi100 ? trackerFromSettings(config.kuaidi100, { clock, logger, policy: config.policy, publicBaseUrl: config.publicBaseUrl }) : undefined;
  const orderActions = new OrderActions(repos.orderActions);
  // What agents did (re-issued codes, refunds, notes) over the shop's orders, then the carrier's state.
  const acted = withActions(shop.service, orderActions);
  const orders = tracker ? withTracking(acted, tracker, clock) : acted;
  const knowledge = new KnowledgeBase();
  knowledge.index(opts.knowledgeDir ?? path.join(PROJECT_ROOT, 'knowledge'));

  const llm = config.llm ? new LlmClient({ ...config.llm, timeZone: config.timeZone }, logger, () => clock.now().getTime(), Date.now, repos.llmUsage) : undefined;
  const services: BotServices = {
    config,
    clock,
    orders,
    tickets: new TicketService(repos.tickets, config.policy, store.bus),
    handoffs: new HandoffService(repos.handoffs, store.bus),
    transcript: repos.transcript,
    knowledge,
    verifyGuard: new VerifyGuard(repos.verify, config.verify),
    attachments: new AttachmentStore(repos.attachments),
    presence: store.presence,
    understanding: understandingService({ model: config.intentModel === 'learned' ? intentModel() : undefined, llm, logger }),
    llm,
    lookupLimiter: store.limiter('lookup', config.lookupRateLimit.max, config.lookupRateLimit.windowSec * 1000),
    addressLimiter: store.limiter('lookup-address', config.lookupRateLimit.perAddress, config.lookupRateLimit.windowSec * 1000),
  };
  const agents = new AgentStore(repos.agents);
  const relay = new Relay(store, services.handoffs, services.transcript, agents, logger);
  const notifier = new Notifier({ repo: repos.watches, orders, relay, events, leader: store.leader, clock, config, logger, instance: store.instance });
  services.notifier = notifier;
  services.oneWay = (channelId) => relay.isOneWay(channelId);
  // The bot is given its main dialog and the desk the dialogs work through (DESIGN §2).
  const conversationState = new KeyedConversationState(repos.botState);
  const desk = new Desk(services);
  const main = new MainDialog(conversationState.createProperty<DialogState>('dialogState'), desk);
  const bot = new OrderBot(services, conversationState, new KeyedUserState(repos.botState), main, desk);
  /** Every channel adapter gets the same middleware and error handling. */
  const wire = <A extends BotAdapter>(adapter: A): A => {
    adapter.use(new TranscriptMiddleware(services.transcript, clock));
    adapter.use(new HandoffGate(services.handoffs, relay));
    adapter.onTurnError = async (ctx, err) => {
      // What the failed turn did (state, replies) is not written; the buyer's message and the apology are.
      UnitOfWork.current()?.discard();
      logger.error({ err, conversation: idDigest(channelOf(ctx), ctx.activity.conversation?.id) }, 'turn failed');
      await ctx.sendActivity(say.turnFailed());
    };
    return adapter;
  };
  const adapter = wire(new InProcessAdapter(store));
  return {
    config,
    store,
    clock,
    services,
    orders,
    shop,
    events,
    notifier,
    orderActions,
    actOnOrder: async (orderNo, action, agentId) => {
      const stored = await orderActions.record(orderNo, action, agentId, clock.now());
      events.changed({ orderNo, source: 'operator' });
      return stored;
    },
    hooks: [shop.hooks, tracker?.salt ? kuaidi100Hooks(tracker, events, logger) : undefined].filter((h): h is NonNullable<typeof h> => !!h),
    bot,
    adapter,
    logger,
    wire,
    agents,
    relay,
    logic: (ctx) => bot.run(ctx),
    close: async () => {
      await notifier.stop();
      await tracker?.idle();
      await shop.close?.();
      await store.close();
    },
  };
}

/** What the channels get of the app (src/channels/deps.ts): never the app itself. */
export function channelDeps(app: App): ChannelDeps {
  return {
    config: app.config,
    clock: app.clock,
    logger: app.logger,
    logic: app.logic,
    wire: app.wire,
    store: app.store,
    relay: app.relay,
    files: app.services.attachments,
    tickets: app.services.tickets,
  };
}
