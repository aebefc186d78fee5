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
import { diagnoseOrder } from '../diagnosis/index.js';
import { jsonBody, requestUrl, safeDecode } from '../channels/http/request.js';
import { takeAll } from '../orders/guards.js';
import type { UnifiedOrder } from '../orders/model.js';
import { CAUSE_LABEL, OUTCOME_LABEL, PRODUCT_LABEL, REASON_LABEL, STATUS_LABEL, STEP_LABEL, consoleText, say, ticketNote, timeline } from '../replies/index.js';
import type { AgentSession } from './agents.js';
import { type Handoff, OUTCOMES, type Outcome } from './index.js';

export const COOKIE = 'kamen_agent';
const SESSION_HOURS = 12;

/** Quick replies offered in the reply box. */
export const QUICK_REPLIES = [
  '您好，我是人工客服，正在为您查看这笔订单，请稍等。',
  '已经帮您联系供货方处理，预计 30 分钟内到账，到账后会在这里通知您。',
  '麻烦提供一下付款记录里的交易单号（或付款截图），我帮您核对。',
  '这笔订单已为您办理退款，原路退回，一般 1–3 个工作日到账。',
  '卡密已重新发送，请在订单页面查看；如有问题随时联系我们。',
];

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

  const fail = (res: Response, status: number, error: string) => void res.status(status).json({ error });
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
    res.json({ agent: s.agent, csrf: s.csrf, timeZone: app.config.timeZone, outcomes: OUTCOMES.map((o) => ({ id: o, label: OUTCOME_LABEL[o] })), quickReplies: QUICK_REPLIES });
  });

  const summary = async (h: Handoff) => {
    const ctx = await handoffs.context(h.id);
    return {
      id: h.id,
      state: h.state,
      priority: h.priority,
      channelId: h.channelId,
      createdAt: h.createdAt,
      assignedAt: h.assignedAt,
      reason: REASON_LABEL[h.reason] ?? CAUSE_LABEL[h.reason as keyof typeof CAUSE_LABEL] ?? h.reason,
      orderNo: ctx?.orderNo,
      cause: ctx?.cause ? CAUSE_LABEL[ctx.cause as keyof typeof CAUSE_LABEL] : undefined,
      agentId: h.agentId,
      agentName: h.agentId ? (await agents.get(h.agentId))?.displayName : undefined,
      waitingSec: Math.max(0, Math.round((Date.now() - Date.parse(h.createdAt)) / 1000)),
    };
  };

  api.get('/queue', auth, async (_req, res) => {
    const open = await handoffs.open();
    const mine = me(res).id;
    const all = (pick: (h: Handoff) => boolean) => Promise.all(open.filter(pick).map(summary));
    res.json({
      queued: await all((h) => h.state === 'queued'),
      mine: await all((h) => h.state === 'assigned' && h.agentId === mine),
      others: await all((h) => h.state === 'assigned' && h.agentId !== mine),
      online: await presence.online(),
      tickets: await services.tickets.openCount(),
    });
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
    res.json({
      handoff: await summary(h),
      context: context && {
        ...context,
        causeLabel: context.cause ? CAUSE_LABEL[context.cause as keyof typeof CAUSE_LABEL] : undefined,
        stepLabel: context.step ? STEP_LABEL[context.step as keyof typeof STEP_LABEL] : undefined,
        productLabel: context.productType ? PRODUCT_LABEL[context.productType as keyof typeof PRODUCT_LABEL] : undefined,
        ladder: context.ladder.map((l) => ({ ...l, label: STEP_LABEL[l.step as keyof typeof STEP_LABEL] ?? l.step })),
        // The order as the buyer saw it: 已支付 → 单号生成 → 发货中 → 已完成, with times.
        timeline: context.order ? timeline(context.order as UnifiedOrder, app.clock.now(), app.config.timeZone) : undefined,
        statusLabel: (context.order as { status?: keyof typeof STATUS_LABEL } | undefined)?.status
          ? STATUS_LABEL[(context.order as { status: keyof typeof STATUS_LABEL }).status]
          : undefined,
        transcript: undefined,
      },
      transcript: await services.transcript.recent(h, 300),
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
    if (!(await handoffs.transfer(h.id, agent.id, to.id, new Date()))) return fail(res, 409, 'only the agent who has it can transfer it');
    await note(
      { handoffId: h.id, conversationId: h.conversationId, kind: 'system', agentId: agent.id, text: consoleText.transferred(agent.displayName, to.displayName), delivered: true },
      new Date(),
    );
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
    // The bot takes the conversation back and asks for a rating, on the buyer's own channel.
    const resolved = (await handoffs.get(h.id))!;
    await toBuyer(resolved, async (ctx) => {
      await ctx.sendActivity(statusEvent(resolved, 'completed'));
      await app.bot.handBack(ctx, resolved.id);
    });
    res.json({ ok: true });
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

  api.get('/tickets', auth, async (_req, res) => {
    res.json({
      tickets: (await services.tickets.open()).map((t) => ({
        ...t,
        conversationRef: undefined,
        causeLabel: t.cause ? CAUSE_LABEL[t.cause as keyof typeof CAUSE_LABEL] : undefined,
        reachable: !!t.conversationRef && relay.canReach(t.channelId),
      })),
    });
  });

  api.post('/tickets/:id/answer', auth, async (req, res) => {
    const body = textBody.safeParse(req.body);
    if (!body.success) return fail(res, 400, 'text: 1–2000 characters');
    const t = await services.tickets.get(String(req.params.id));
    if (!t) return fail(res, 404, 'no such ticket');
    const agent = me(res);
    if (!(await services.tickets.answer(t.id, agent.id, body.data.text, new Date()))) return fail(res, 409, 'ticket is not open');
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

  // A queue nobody serves is worse than a ticket: after AGENT_QUEUE_MAX_MIN the buyer gets one.
  const sweep = async (now = app.clock.now()): Promise<number> => {
    const maxMin = app.config.agents.queueMaxMin;
    let n = 0;
    for (const h of await handoffs.queuedBefore(new Date(now.getTime() - maxMin * 60_000))) {
      if (!(await handoffs.expire(h.id, now))) continue; // claimed meanwhile (on any instance)
      const ctx = await handoffs.context(h.id);
      const ticket = await services.tickets.create(
        {
          conversationId: h.conversationId,
          channelId: h.channelId,
          userId: h.userId,
          conversationRef: h.conversationRef,
          orderNo: ctx?.orderNo,
          paymentTime: ctx?.paymentTime,
          productType: ctx?.productType,
          cause: ctx?.cause,
          symptom: ticketNote.join([ticketNote.queueTimedOut(maxMin), ctx?.reason ? (REASON_LABEL[ctx.reason] ?? ctx.reason) : ''].filter(Boolean)),
        },
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
