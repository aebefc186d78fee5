/**
 * The agent console's API (/agent/api) and live channel (/agent/ws). Agents sign in with a
 * password (scrypt) and get an httpOnly SameSite=Strict session cookie; every state-changing call
 * also needs the session's CSRF token in a header and, when the browser sends one, a same-origin
 * Origin. The WebSocket checks the cookie and the Origin too (no cross-site hijacking).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConversationReference } from 'botbuilder';
import { EventFactory } from 'botbuilder';
import express, { type NextFunction, type Request, type Response } from 'express';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { ProofRequiredError } from '../orders/errors.js';
import type { App } from '../app.js';
import { CAUSES, type Cause, type Diagnosis, diagnoseOrder } from '../diagnosis/index.js';
import { jsonBody, requestUrl, safeDecode } from '../channels/http/request.js';
import { redact } from '../llm/understand.js';
import { OrderAction, describeAction } from '../orders/actions.js';
import { takeAll } from '../orders/guards.js';
import type { UnifiedOrder } from '../orders/model.js';
import { GENERIC_QUICK_REPLIES, actionRefused, consoleLines, consoleSay, quickReplies } from '../replies/console.js';
import { CAUSE_LABEL, OUTCOME_LABEL, PRODUCT_LABEL, REASON_LABEL, STATUS_LABEL, STEP_LABEL, consoleText, say, ticketNote, timeline } from '../replies/index.js';
import { type Ticket, ticketPriority } from '../tickets/index.js';
import { extractContact } from '../understanding/identifiers.js';
import type { AgentSession } from './agents.js';
import { CannedInput, CannedResponses, VARIABLES, buyerContact, contextVariables } from './canned.js';
import { type Handoff, type HandoffContext, OUTCOMES, type Outcome } from './index.js';

export const COOKIE = 'kamen_agent';
const SESSION_HOURS = 12;

/** Quick replies offered before a conversation is open (each conversation gets its cause's own: GET /handoffs/:id). */
export const QUICK_REPLIES = GENERIC_QUICK_REPLIES;

const causeLabel = (cause: string | undefined) => (cause ? (CAUSE_LABEL[cause as Cause] ?? cause) : undefined);

/** The ladder as the console lists it: a step the bot noted twice in a row (diagnosis, then the handoff) once. */
export function ladderOnce<L extends { step: string }>(ladder: L[]): L[] {
  return ladder.filter((l, i) => i === 0 || ladder[i - 1]!.step !== l.step);
}

/** Why a request body is not an order action: for an API caller (English) and for the agent (Chinese). */
function actionProblem(body: unknown, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey> }>): { error: string; message: string } {
  const kind = (body as { kind?: unknown } | undefined)?.kind;
  const fields = [...new Set(issues.map((i) => String(i.path[0] ?? 'body')))].join(', ');
  switch (kind) {
    case 'reissue_code':
      return {
        error: `reissue_code (${fields}): codes are 1–50 codes of 4–500 characters each (one per line), reason is 2–200 characters, and replaces (optional) one distinct position per code`,
        message: actionRefused.reissue(),
      };
    case 'refund':
      return { error: `refund (${fields}): amount is yuan like 12.50 (leave it out for the whole order), channel 1–40 characters`, message: actionRefused.refund() };
    case 'note':
      return { error: `note (${fields}): text is 2–300 characters, the bot repeats it to the buyer`, message: actionRefused.note() };
    default:
      return { error: 'kind: one of reissue_code, refund, note', message: actionRefused.kind() };
  }
}

/** The codes an order holds now (card codes or licence keys), or undefined for other deliveries. */
const codeItems = (o: UnifiedOrder): number | undefined => (o.delivery?.kind === 'card_codes' || o.delivery?.kind === 'license_key' ? o.delivery.items.length : undefined);

const cookieOf = (req: http.IncomingMessage): string | undefined => {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return safeDecode(v.join('=')); // a malformed escape is no session, not an error
  }
  return undefined;
};

/** A browser's Origin must be this server's own (proxies: set trust proxy for the scheme). */
const sameOrigin = (req: http.IncomingMessage, secure: boolean): boolean => {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser cross-site request (curl, server-to-server)
  return origin === `${secure ? 'https' : 'http'}://${req.headers.host}`;
};

export interface AgentConsole {
  router: express.Router;
  /** Turns handoffs queued longer than AGENT_QUEUE_MAX_MIN into tickets and tells the buyers; how many. */
  sweep(now?: Date): Promise<number>;
  /** Takes the /agent/ws upgrade; false when the path is not ours. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): void;
}

export function createAgentConsole(app: App): AgentConsole {
  const { agents, relay, services, logger } = app;
  const handoffs = services.handoffs;
  const router = express.Router();
  const { bus, presence } = app.store;
  const loginLimiter = app.store.limiter('agent-login', 10, 60_000);
  const addressLimiter = app.store.limiter('agent-login-address', 30, 60_000);
  const sockets = new Map<WebSocket, AgentSession>();

  // The open conversation is fetched again with every buyer line and queue change: the shop is
  // asked for its order at most every 30 s (wall-clock time: a cache, not the shop's clock).
  const liveOrders = new Map<string, { at: number; order: UnifiedOrder | null }>();
  const liveOrder = async (orderNo: string): Promise<UnifiedOrder | null> => {
    const hit = liveOrders.get(orderNo);
    if (hit && Date.now() - hit.at < 30_000) return hit.order;
    const order = await services.orders.findByOrderNo(orderNo).catch(() => null);
    if (liveOrders.size >= 1000) liveOrders.clear();
    liveOrders.set(orderNo, { at: Date.now(), order });
    return order;
  };

  const broadcast = (event: Record<string, unknown>) => {
    if (sockets.size === 0) return;
    const data = JSON.stringify(event);
    for (const ws of sockets.keys()) if (ws.readyState === WebSocket.OPEN) ws.send(data);
  };
  const named = async <M extends { agentId?: string }>(m: M) => ({ ...m, agentName: m.agentId ? (await agents.get(m.agentId))?.displayName : undefined });
  // From every instance: this instance's consoles hear what happened anywhere.
  const unsubscribe = [
    bus.subscribe('handoff.message', ({ seq }) => {
      if (sockets.size === 0) return;
      void handoffs
        .message(seq)
        .then(async (m) => m && broadcast({ type: 'message', handoffId: m.handoffId, message: await named(m) }))
        .catch((err) => logger.warn({ err }, 'console: message event failed'));
    }),
    bus.subscribe('handoff.buyer', (b) => broadcast({ type: 'buyer', ...b })),
    bus.subscribe('handoff.changed', (c) => broadcast({ type: 'changed', ...c })),
    bus.subscribe('ticket.changed', (t) => broadcast({ type: 'ticket', ...t })),
    // An order that moved (an agent's action, the shop's webhook, a courier push) is read again.
    app.events.on(({ orderNo }) => void liveOrders.delete(orderNo)),
    bus.subscribe('presence', () => {
      if (sockets.size === 0) return;
      void presence
        .online()
        .then((online) => broadcast({ type: 'presence', online }))
        .catch(() => undefined);
    }),
  ];

  const api = express.Router();
  api.use(jsonBody({ limit: '16kb' }));

  /** `error` for API callers; `message`, when given, is what the console shows the agent. */
  const fail = (res: Response, status: number, error: string, message?: string) => void res.status(status).json(message ? { error, message } : { error });
  const secure = (req: Request) => req.secure;

  /** Session (cookie) for every call; CSRF token and same origin for every change. */
  const auth = async (req: Request, res: Response, next: NextFunction) => {
    const session = await agents.session(cookieOf(req));
    if (!session) return fail(res, 401, 'not signed in');
    if (req.method !== 'GET') {
      if (!sameOrigin(req, secure(req))) return fail(res, 403, 'cross-site request refused');
      const token = req.get('x-csrf-token') ?? '';
      if (token !== session.csrf) return fail(res, 403, 'missing or wrong CSRF token');
    }
    res.locals.session = session;
    next();
  };
  const me = (res: Response) => (res.locals.session as AgentSession).agent;
  const canned = new CannedResponses(app.store.repos.canned);
  const agentName = async (id: string | undefined) => (id ? (await agents.get(id))?.displayName : undefined);

  api.post('/login', async (req, res) => {
    if (!sameOrigin(req, secure(req))) return fail(res, 403, 'cross-site request refused');
    const body = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).safeParse(req.body);
    if (!body.success) return fail(res, 400, 'username and password are required');
    // Per address and name, and per address whatever the names (guessing across many accounts).
    const refused = await takeAll(
      [
        { limiter: loginLimiter, key: `${req.ip}|${body.data.username}` },
        { limiter: addressLimiter, key: String(req.ip) },
      ],
      new Date(),
    );
    if (refused) return fail(res, 429, 'too many attempts, wait a minute');
    const result = await agents.login(body.data.username, body.data.password);
    if (!result) {
      logger.warn({ username: body.data.username.slice(0, 64), ip: req.ip }, 'agent sign-in failed');
      return fail(res, 401, 'wrong user name or password');
    }
    logger.info({ agent: result.session.agent.username, ip: req.ip }, 'agent signed in');
    res.cookie(COOKIE, result.token, { httpOnly: true, sameSite: 'strict', secure: secure(req), path: '/', maxAge: SESSION_HOURS * 3_600_000 });
    res.json({ agent: result.session.agent, csrf: result.session.csrf });
  });

  api.post('/logout', auth, async (req, res) => {
    const token = cookieOf(req);
    if (token) await agents.logout(token);
    res.clearCookie(COOKIE, { path: '/' });
    res.json({ ok: true });
  });

  api.get('/me', auth, (_req, res) => {
    const s = res.locals.session as AgentSession;
    res.json({
      agent: s.agent,
      csrf: s.csrf,
      timeZone: app.config.timeZone,
      outcomes: OUTCOMES.map((o) => ({ id: o, label: OUTCOME_LABEL[o] })),
      quickReplies: QUICK_REPLIES,
      causes: CAUSES.map((c) => ({ id: c, label: CAUSE_LABEL[c] })),
      variables: VARIABLES,
    });
  });

  const summary = async (h: Handoff, known?: HandoffContext) => {
    const ctx = known ?? (await handoffs.context(h.id));
    const reason = REASON_LABEL[h.reason] ?? causeLabel(h.reason) ?? h.reason;
    const cause = causeLabel(ctx?.cause);
    return {
      id: h.id,
      state: h.state,
      priority: h.priority,
      channelId: h.channelId,
      createdAt: h.createdAt,
      assignedAt: h.assignedAt,
      resolvedAt: h.resolvedAt,
      reason,
      orderNo: ctx?.orderNo ?? h.orderNo,
      cause,
      /** Why and what, each said once (a handoff whose reason is its cause: "风控冻结", not "风控冻结 · 风控冻结"). */
      label: [...new Set([reason, cause].filter(Boolean))].join(' · '),
      agentId: h.agentId,
      agentName: await agentName(h.agentId),
      outcome: h.outcome,
      outcomeLabel: h.outcome
        ? (OUTCOME_LABEL[h.outcome as Outcome] ?? (h.outcome === 'timed_out' ? consoleLines.timedOut() : h.outcome))
        : h.state === 'canceled'
          ? consoleLines.canceledByBuyer()
          : undefined,
      rating: h.rating,
      ratingComment: h.ratingComment,
      waitingSec: Math.max(0, Math.round((app.clock.now().getTime() - Date.parse(h.createdAt)) / 1000)), // by the clock that stamped it
    };
  };

  api.get('/queue', auth, async (_req, res) => {
    const open = await handoffs.open();
    const mine = me(res).id;
    const all = (pick: (h: Handoff) => boolean) => Promise.all(open.filter(pick).map((h) => summary(h)));
    res.json({
      queued: await all((h) => h.state === 'queued'),
      mine: await all((h) => h.state === 'assigned' && h.agentId === mine),
      others: await all((h) => h.state === 'assigned' && h.agentId !== mine),
      online: await presence.online(),
      tickets: await services.tickets.openCount(),
    });
  });

  // 已结束 (resolved, canceled) and the search box: order number, contact as typed, a line of the conversation.
  api.get('/conversations', auth, async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.normalize('NFKC').trim().slice(0, 100) : '';
    if (q) {
      if ([...q].length < 2) return void res.json({ conversations: [] });
      const found = await handoffs.search({ text: q, contact: extractContact(q)?.value }, 50);
      // What matched, as the console may show it: contacts masked, no code.
      // The words asked are not echoed: an agent may have pasted a code.
      return void res.json({
        conversations: await Promise.all(found.map(async (f) => ({ ...(await summary(f.handoff)), match: f.match ? redact(f.match).slice(0, 160) : undefined }))),
      });
    }
    if (req.query.view !== 'ended') return fail(res, 400, 'view=ended or q=<order number, contact or words>');
    res.json({ conversations: await Promise.all((await handoffs.ended(50)).map((h) => summary(h))) });
  });

  const load = async (req: Request, res: Response): Promise<Handoff | undefined> => {
    const h = await handoffs.get(String(req.params.id));
    if (!h) fail(res, 404, 'no such handoff');
    return h;
  };

  api.get('/handoffs/:id', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const context = await handoffs.context(h.id);
    const transcript = await services.transcript.recent(h, 300);
    const now = app.clock.now();
    // The order as it is now (an agent's re-issue or refund, the shop's own progress), masked as
    // always; the packet's copy from the handoff when the shop does not answer.
    const live = context?.orderNo ? await liveOrder(context.orderNo) : null;
    const order = (live ?? context?.order ?? undefined) as UnifiedOrder | undefined;
    // The expected time only from a diagnosis that still says what the conversation was about.
    let diagnosis: Diagnosis | undefined;
    try {
      diagnosis = order ? diagnoseOrder(order, { moneyTaken: false, wantsTracking: false }, now, app.config.policy) : undefined;
    } catch {
      diagnosis = undefined;
    }
    const eta = diagnosis && diagnosis.cause === context?.cause && diagnosis.eta && diagnosis.eta.getTime() > now.getTime() ? diagnosis : undefined;
    const contact = context ? buyerContact(context, transcript) : undefined;
    const variables = context ? contextVariables(context, { diagnosis: eta, contact, now, tz: app.config.timeZone }) : {};
    const delivery = order?.delivery?.kind;
    const earlier = await handoffs.earlier(h, 10);
    res.json({
      handoff: await summary(h, context),
      context: context && {
        ...context,
        causeLabel: causeLabel(context.cause),
        stepLabel: context.step ? STEP_LABEL[context.step as keyof typeof STEP_LABEL] : undefined,
        productLabel: context.productType ? PRODUCT_LABEL[context.productType as keyof typeof PRODUCT_LABEL] : undefined,
        ladder: ladderOnce(context.ladder).map((l) => ({ ...l, label: STEP_LABEL[l.step as keyof typeof STEP_LABEL] ?? l.step })),
        contact,
        order,
        // Whether `order` was read just now (else it is the copy from when the buyer asked for a person).
        orderLive: !!live,
        // The order's progress: 已支付 → 单号生成 → 发货中 → 已完成, with times.
        timeline: order ? timeline(order, now, app.config.timeZone) : undefined,
        statusLabel: order?.status ? STATUS_LABEL[order.status as keyof typeof STATUS_LABEL] : undefined,
        transcript: undefined,
      },
      transcript,
      // For this conversation: quick replies for its cause (a time only when the diagnosis has one), canned responses filled.
      quickReplies: quickReplies(context?.cause as Cause | undefined, {
        hasOrder: !!context?.orderNo,
        eta: eta?.eta ? variables.预计时间 : undefined,
        delivery: delivery === 'card_codes' || delivery === 'license_key' || delivery === 'topup_receipt' || delivery === 'tracking_number' ? delivery : undefined,
      }),
      variables,
      canned: await canned.forConversation(context?.cause, variables),
      // The buyer's earlier conversations on this channel (same channel user id).
      earlier: await Promise.all(
        earlier.map(async (e) => {
          const s = await summary(e);
          return { id: s.id, createdAt: s.createdAt, state: s.state, orderNo: s.orderNo, outcome: s.outcome, outcomeLabel: s.outcomeLabel, rating: s.rating };
        }),
      ),
      notes: await Promise.all((await handoffs.messages(h.id)).filter((m) => m.kind === 'note' || m.kind === 'system').map(named)),
      attachments: (await services.attachments.forConversation(h)).map((f) => ({
        id: f.id,
        name: f.name,
        contentType: f.contentType,
        size: f.size,
        at: f.createdAt,
        url: `/agent/api/attachments/${f.id}`,
      })),
      reachable: relay.canReach(h.channelId),
    });
  });

  api.get('/attachments/:id', auth, async (req, res) => {
    const meta = await services.attachments.meta(String(req.params.id));
    const data = meta && (await services.attachments.data(meta.id));
    if (!meta || !data) return fail(res, 404, 'no such file');
    res.set({ 'Content-Type': meta.contentType, 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'", 'Cache-Control': 'private, max-age=3600' });
    res.end(data);
  });

  /** Adds a message to the handoff; an agent's note reaches every console at once. */
  const note = async (m: Parameters<typeof handoffs.addMessage>[0], now: Date) => {
    const added = await handoffs.addMessage(m, now);
    if (added.kind === 'note') bus.publish('handoff.message', { handoffId: added.handoffId, seq: added.seq });
    return added;
  };

  /** Runs a proactive turn for the buyer; failures are logged, never thrown at the agent. */
  const toBuyer = (h: Handoff, logic: Parameters<typeof relay.proactive>[1]) =>
    relay.proactive(h, logic).catch((err) => logger.warn({ err, handoff: h.id }, 'could not reach the buyer'));
  const statusEvent = (h: Handoff, state: 'accepted' | 'completed' | 'failed', message?: string) =>
    EventFactory.createHandoffStatus((h.conversationRef as Partial<ConversationReference>).conversation!, state, message);

  api.post('/handoffs/:id/claim', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const agent = me(res);
    if (!(await handoffs.claim(h.id, agent.id, new Date()))) return fail(res, 409, h.state === 'queued' ? 'already taken' : `handoff is ${h.state}`);
    await note({ handoffId: h.id, conversationId: h.conversationId, kind: 'system', agentId: agent.id, text: consoleText.claimed(agent.displayName), delivered: true }, new Date());
    const claimed = (await handoffs.get(h.id))!;
    await toBuyer(claimed, async (ctx) => {
      await ctx.sendActivity(say.agentJoined(agent.displayName));
      await ctx.sendActivity(statusEvent(claimed, 'accepted'));
    });
    res.json({ ok: true });
  });

  api.post('/handoffs/:id/transfer', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const to = await agents.get(String((req.body as { agentId?: unknown })?.agentId ?? ''));
    if (!to) return fail(res, 400, 'unknown agent');
    const agent = me(res);
    if (to.id === agent.id) return fail(res, 400, 'it is yours already');
    // A buyer handed to somebody who is not there waits for nobody.
    if (!(await presence.agentIds()).includes(to.id)) return fail(res, 409, `${to.displayName} is not online`);
    if (!(await handoffs.transfer(h.id, agent.id, to.id, new Date()))) return fail(res, 409, 'only the agent who has it can transfer it');
    await note(
      { handoffId: h.id, conversationId: h.conversationId, kind: 'system', agentId: agent.id, text: consoleText.transferred(agent.displayName, to.displayName), delivered: true },
      new Date(),
    );
    const moved = (await handoffs.get(h.id))!;
    await toBuyer(moved, (ctx) => ctx.sendActivity(say.agentTransferred(agent.displayName, to.displayName)).then(() => undefined));
    res.json({ ok: true });
  });

  const textBody = z.object({ text: z.string().trim().min(1).max(2000) });

  api.post('/handoffs/:id/messages', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const body = textBody.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'text: 1–2000 characters');
    const agent = me(res);
    if (h.state !== 'assigned' || h.agentId !== agent.id) return fail(res, 409, 'claim the conversation first');
    const m = await relay.agentSays(h, agent, body.data.text);
    res.json({ message: m });
  });

  api.post('/handoffs/:id/notes', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const body = textBody.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'text: 1–2000 characters');
    const agent = me(res);
    const m = await note({ handoffId: h.id, conversationId: h.conversationId, kind: 'note', agentId: agent.id, text: body.data.text, delivered: true }, new Date());
    res.json({ message: m });
  });

  /**
   * The case's open ticket (same conversation and order: never a second one), or a new one filed
   * from the handoff's packet with `symptom`.
   */
  const caseTicket = async (h: Handoff, symptom: (ctx: HandoffContext | undefined) => Promise<string> | string, now: Date): Promise<Ticket> => {
    const ctx = await handoffs.context(h.id);
    const key = { channelId: h.channelId, conversationId: h.conversationId };
    const known = ctx?.ticketId ? await services.tickets.get(ctx.ticketId) : undefined;
    if (known?.status === 'open') return known;
    const open = await services.tickets.openFor(key, ctx?.orderNo);
    if (open) return open;
    return services.tickets.create(
      {
        ...key,
        userId: h.userId,
        conversationRef: h.conversationRef,
        orderNo: ctx?.orderNo,
        paymentTime: ctx?.paymentTime,
        productType: ctx?.productType,
        cause: ctx?.cause,
        told: ctx?.told,
        symptom: await symptom(ctx),
      },
      now,
    );
  };
  /** Passed to the shop, which answers through the console: the buyer's last words go with it. */
  const shopTicket = (h: Handoff, agent: string): Promise<Ticket> =>
    caseTicket(
      h,
      async () =>
        consoleLines.shopTicket(
          agent,
          [...(await services.transcript.recent(h, 50))]
            .reverse()
            .find((l) => l.direction === 'in' && l.text.trim())
            ?.text.slice(0, 300),
        ),
      app.clock.now(),
    );

  api.post('/handoffs/:id/resolve', auth, async (req, res) => {
    const h = await load(req, res);
    if (!h) return;
    const outcome = (req.body as { outcome?: unknown })?.outcome;
    if (typeof outcome !== 'string' || !(OUTCOMES as readonly string[]).includes(outcome)) return fail(res, 400, `outcome: one of ${OUTCOMES.join(', ')}`);
    const agent = me(res);
    if (!(await handoffs.resolve(h.id, agent.id, outcome as Outcome, new Date()))) return fail(res, 409, 'only the agent who has it can resolve it');
    await note(
      {
        handoffId: h.id,
        conversationId: h.conversationId,
        kind: 'system',
        agentId: agent.id,
        text: consoleText.resolved(agent.displayName, OUTCOME_LABEL[outcome as Outcome]),
        delivered: true,
      },
      new Date(),
    );
    // Passed to the shop: the buyer gets a ticket (theirs if one is open) and hears who handles it and by when.
    const ticket = outcome === 'escalated_to_shop' ? await shopTicket(h, agent.displayName) : undefined;
    if (ticket) {
      await note(
        { handoffId: h.id, conversationId: h.conversationId, kind: 'system', agentId: agent.id, text: consoleLines.escalatedToShop(ticket.id), delivered: true },
        new Date(),
      );
      bus.publish('handoff.changed', { handoffId: h.id, state: 'ticket' });
    }
    // 已补发: only when a re-issue is recorded on the order since the buyer asked, the buyer hears where it is.
    const reissuedNo =
      outcome === 'reissued' && h.orderNo && (await app.orderActions.forOrder(h.orderNo)).some((a) => a.action.kind === 'reissue_code' && a.at >= Date.parse(h.createdAt))
        ? h.orderNo
        : undefined;
    // The bot takes the conversation back and asks for a rating, on the buyer's own channel.
    const resolved = (await handoffs.get(h.id))!;
    await toBuyer(resolved, async (ctx) => {
      await ctx.sendActivity(statusEvent(resolved, 'completed'));
      if (reissuedNo) await ctx.sendActivity(consoleSay.reissued(reissuedNo));
      if (ticket)
        await ctx.sendActivity(consoleSay.shopWillHandle(ticket.id, new Date(ticket.dueAt), { now: app.clock.now(), tz: app.config.timeZone, shopName: app.config.shopName }));
      await app.bot.handBack(ctx, resolved.id);
    });
    // Whether the buyer's channel takes messages from us (a JSON-API client polls, and hears nothing).
    res.json({ ok: true, ticketId: ticket?.id, dueAt: ticket?.dueAt, delivered: relay.canReach(h.channelId) });
  });

  // Order lookup for the agent: masked, with the diagnosis; a reveal of codes is audited.
  api.get('/orders/:orderNo', auth, async (req, res) => {
    let order: Awaited<ReturnType<typeof services.orders.findByOrderNo>>;
    try {
      order = await services.orders.findByOrderNo(String(req.params.orderNo).trim());
    } catch (err) {
      // Never "no such order" for a shop that did not answer, or one that shows orders only to their owner.
      if (err instanceof ProofRequiredError) return fail(res, 409, 'this shop shows an order only to its buyer (checkout email and order password): ask the buyer in the chat');
      return fail(res, 503, 'the shop system is not answering; try again in a few minutes');
    }
    if (!order) return fail(res, 404, 'no such order');
    const d = diagnoseOrder(order, { moneyTaken: false, wantsTracking: false }, app.clock.now(), app.config.policy);
    res.json({
      order,
      statusLabel: STATUS_LABEL[order.status],
      productLabel: PRODUCT_LABEL[order.productType],
      diagnosis: { ...d, causeLabel: CAUSE_LABEL[d.cause], stepLabel: STEP_LABEL[d.step] },
    });
  });

  api.post('/orders/:orderNo/reveal', auth, async (req, res) => {
    const reason = z
      .string()
      .trim()
      .min(2)
      .max(200)
      .safeParse((req.body as { reason?: unknown })?.reason);
    if (!reason.success) return fail(res, 400, 'say why (reason, 2–200 characters): every reveal is audited');
    const agent = me(res);
    const orderNo = String(req.params.orderNo).trim();
    let delivery: Awaited<ReturnType<typeof services.orders.revealDelivery>>;
    try {
      delivery = await services.orders.revealDelivery(orderNo, { staff: { agentId: agent.id, reason: reason.data } });
    } catch {
      return fail(res, 503, 'the shop system is not answering; try again in a few minutes');
    }
    await agents.audit(agent.id, 'reveal_delivery', orderNo, reason.data);
    if (!delivery) return fail(res, 404, 'nothing delivered for this order');
    res.json({ delivery });
  });

  // What the agent did to the order (re-issued a code, recorded a refund, left the buyer a note):
  // recorded, audited (codes masked), and from now on in every answer of the bot. Never a plaintext code back.
  const orderAction = async (req: Request, res: Response) => {
    const typed = String(req.params.orderNo ?? '').trim();
    if (!typed || typed.length > 64) return fail(res, 400, 'order number: 1–64 characters');
    const parsed = OrderAction.safeParse(req.body);
    if (!parsed.success) {
      const why = actionProblem(req.body, parsed.error.issues);
      return fail(res, 400, `not a valid action: ${why.error}`, why.message);
    }
    const action = parsed.data;
    let orderNo = typed;
    try {
      const order = await services.orders.findByOrderNo(typed);
      if (!order) return fail(res, 404, 'no such order', actionRefused.noOrder());
      orderNo = order.orderNo; // the shop's own spelling: what the bot looks the order up by
      if (action.kind === 'refund' && action.amount !== undefined && Number(action.amount) > Number(order.amount))
        return fail(res, 400, `not a valid action: refund (amount): more than the order's ¥${order.amount}`, actionRefused.refundTooMuch(order.amount));
      if (action.kind === 'reissue_code') {
        // A top-up or a parcel has no code to re-issue.
        if (order.delivery && codeItems(order) === undefined) return fail(res, 400, 'not a valid action: reissue_code: this order delivers no codes', actionRefused.noCodes());
        // One bad card of several: say which ones the new codes replace, never drop the others silently.
        const held = codeItems(order) ?? 0;
        if (action.replaces?.some((p) => p > held))
          return fail(res, 400, `not a valid action: reissue_code (replaces): the order holds ${held} codes`, actionRefused.badPositions(held));
        if (!action.replaces && held > 1 && action.codes.length < held)
          return fail(res, 400, `not a valid action: reissue_code (replaces): the order holds ${held} codes; say which ones the new codes replace`, actionRefused.whichCodes(held));
      }
    } catch (err) {
      // A shop that shows orders only to their buyers: the action is recorded for the number as given.
      if (!(err instanceof ProofRequiredError)) return fail(res, 503, 'the shop system is not answering; try again in a few minutes', actionRefused.shopDown());
    }
    const agent = me(res);
    const stored = await app.actOnOrder(orderNo, action, agent.id);
    const description = describeAction(stored.action);
    await agents.audit(agent.id, 'order_action', orderNo, description);
    const handoffId = (req.body as { handoffId?: unknown }).handoffId;
    const h = typeof handoffId === 'string' && handoffId ? await handoffs.get(handoffId) : undefined;
    if (h)
      await note(
        {
          handoffId: h.id,
          conversationId: h.conversationId,
          kind: 'note',
          agentId: agent.id,
          text: consoleLines.orderAction(agent.displayName, orderNo, description),
          delivered: true,
        },
        new Date(),
      );
    res.json({ ok: true, orderNo, action: { id: stored.id, kind: stored.action.kind, at: new Date(stored.at).toISOString(), description } });
  };
  api.post('/orders/:orderNo/actions', auth, orderAction);

  // Canned responses, shared by every agent.
  const cannedChanged = () => bus.publish('handoff.changed', { handoffId: '', state: 'canned' });
  const cannedBody = (req: Request, res: Response): CannedInput | undefined => {
    const body = CannedInput.safeParse(req.body);
    if (body.success) return body.data;
    fail(res, 400, 'title: 1–30 characters; body: 1–1000 characters; causes: a list of diagnosis causes');
    return undefined;
  };
  const cannedOut = async (c: Awaited<ReturnType<typeof canned.list>>[number]) => ({ ...c, updatedByName: await agentName(c.updatedBy) });
  api.get('/canned', auth, async (_req, res) => {
    res.json({ canned: await Promise.all((await canned.list()).map(cannedOut)), variables: VARIABLES });
  });
  api.post('/canned', auth, async (req, res) => {
    const body = cannedBody(req, res);
    if (!body) return;
    const c = await canned.add(body, me(res).id, new Date());
    cannedChanged();
    res.status(201).json({ canned: await cannedOut(c) });
  });
  api.put('/canned/:id', auth, async (req, res) => {
    const body = cannedBody(req, res);
    if (!body) return;
    const c = await canned.edit(String(req.params.id), body, me(res).id, new Date());
    if (!c) return fail(res, 404, 'no such canned response');
    cannedChanged();
    res.json({ canned: await cannedOut(c) });
  });
  api.delete('/canned/:id', auth, async (req, res) => {
    if (!(await canned.remove(String(req.params.id)))) return fail(res, 404, 'no such canned response');
    cannedChanged();
    res.json({ ok: true });
  });

  const ticketOut = async (t: Ticket & { priority?: number }) => ({
    ...t,
    conversationRef: undefined,
    causeLabel: causeLabel(t.cause),
    priority: t.priority ?? ticketPriority(t.cause),
    claimedByName: await agentName(t.claimedBy),
    reachable: !!t.conversationRef && relay.canReach(t.channelId),
  });

  // Open tickets, the most urgent first (priority from the diagnosis cause), then the oldest due.
  api.get('/tickets', auth, async (_req, res) => {
    res.json({ tickets: await Promise.all((await services.tickets.queue()).map(ticketOut)) });
  });

  // One ticket with the conversation it came from (its recent transcript, secrets masked as everywhere).
  api.get('/tickets/:id', auth, async (req, res) => {
    const t = await services.tickets.get(String(req.params.id));
    if (!t) return fail(res, 404, 'no such ticket');
    res.json({ ticket: await ticketOut(t), transcript: await services.transcript.recent({ channelId: t.channelId, conversationId: t.conversationId }, 100) });
  });

  api.post('/tickets/:id/claim', auth, async (req, res) => {
    const t = await services.tickets.get(String(req.params.id));
    if (!t) return fail(res, 404, 'no such ticket');
    const agent = me(res);
    if (!(await services.tickets.claim(t.id, agent.id, app.clock.now())))
      return fail(res, 409, t.status !== 'open' ? 'ticket is not open' : `${(await agentName(t.claimedBy)) ?? 'another agent'} has it`);
    res.json({ ok: true, ticket: await ticketOut((await services.tickets.get(t.id))!) });
  });

  api.post('/tickets/:id/answer', auth, async (req, res) => {
    const body = textBody.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'text: 1–2000 characters');
    const t = await services.tickets.get(String(req.params.id));
    if (!t) return fail(res, 404, 'no such ticket');
    const agent = me(res);
    if (!(await services.tickets.answer(t.id, agent.id, body.data.text, app.clock.now()))) return fail(res, 409, 'ticket is not open');
    const delivered = await relay.sendToBuyer(
      t.channelId,
      t.conversationRef as Partial<ConversationReference> | undefined,
      say.ticketAnswer(t.id, agent.displayName, body.data.text),
    );
    res.json({ ok: true, delivered });
  });

  api.get('/agents', auth, async (_req, res) => {
    const online = new Set(await presence.agentIds());
    res.json({ agents: (await agents.list()).map((a) => ({ ...a, online: online.has(a.id) })) });
  });

  api.use((err: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return fail(res, 400, 'request body is not valid JSON');
    if (err.type === 'entity.too.deep') return fail(res, 400, err.message);
    if (err.type === 'entity.too.large') return fail(res, 413, 'request body is too large');
    next(err);
  });
  router.use('/agent/api', api);
  // The same endpoint where the order-actions contract names it (same session, CSRF and origin checks).
  router.post('/api/agent/orders/:orderNo/actions', jsonBody({ limit: '16kb' }), auth, orderAction);

  // A queue nobody serves is worse than a ticket: after AGENT_QUEUE_MAX_MIN the buyer gets one.
  const sweep = async (now = app.clock.now()): Promise<number> => {
    const maxMin = app.config.agents.queueMaxMin;
    let n = 0;
    for (const h of await handoffs.queuedBefore(new Date(now.getTime() - maxMin * 60_000))) {
      if (!(await handoffs.expire(h.id, now))) continue; // claimed meanwhile (on any instance)
      const ticket = await caseTicket(
        h,
        (ctx) => ticketNote.join([ticketNote.queueTimedOut(maxMin), ctx?.reason ? (REASON_LABEL[ctx.reason] ?? ctx.reason) : ''].filter(Boolean)),
        now,
      );
      await note({ handoffId: h.id, conversationId: h.conversationId, kind: 'system', text: ticketNote.queueTimedOut(maxMin), delivered: true }, now);
      n++;
      await toBuyer(h, async (turn) => {
        await turn.sendActivity(statusEvent(h, 'failed', 'timed out'));
        await turn.sendActivity(say.queueTimedOut(ticket.id, new Date(ticket.dueAt), { now, tz: app.config.timeZone, shopName: app.config.shopName }));
      });
    }
    return n;
  };
  // One sweeper for the cluster: the leader's (expiring is conditional anyway: never twice).
  const sweeper = setInterval(() => app.store.leader.isLeader() && void sweep().catch((err) => logger.error({ err }, 'queue sweep failed')), 30_000);
  sweeper.unref();

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    if (requestUrl(req.url)?.pathname !== '/agent/ws') return false;
    const encrypted = !!(req.socket as { encrypted?: boolean }).encrypted;
    void agents
      .session(cookieOf(req))
      .then((session) => {
        if (!session || !sameOrigin(req, encrypted) || req.headers.origin === undefined) {
          // Browsers always send Origin on WebSocket handshakes: one without it is not our console.
          socket.write(`HTTP/1.1 ${session ? '403 Forbidden' : '401 Unauthorized'}\r\nConnection: close\r\n\r\n`);
          socket.destroy();
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          sockets.set(ws, session);
          void presence.here(session.agent.id).then(() => bus.publish('presence', {}));
          ws.on('message', () => undefined);
          ws.on('error', () => ws.terminate()); // an oversized or invalid frame: drop this socket, nothing else
          const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.ping(), 25_000);
          ping.unref();
          ws.on('close', () => {
            clearInterval(ping);
            sockets.delete(ws);
            void presence.gone(session.agent.id).then(() => bus.publish('presence', {}));
          });
        });
      })
      .catch((err) => {
        logger.warn({ err }, 'console: stream refused');
        socket.destroy();
      });
    return true;
  };

  return {
    router,
    upgrade,
    sweep,
    close: () => {
      clearInterval(sweeper);
      for (const off of unsubscribe.splice(0)) off();
      for (const ws of sockets.keys()) ws.terminate();
      sockets.clear();
    },
  };
}
