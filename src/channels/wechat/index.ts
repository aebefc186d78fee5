/**
 * The WeChat channels' HTTP side: /wechat/oa (Official Account: plaintext, compatible and safe
 * modes) and /wechat/wecom (WeCom self-built app: always encrypted). They check signatures and
 * timestamps, decrypt, translate the XML push into a Bot Framework activity and answer with a
 * passive reply or "success"; the 5-second rule lives in PushHandler, delivery in the outbox.
 */
import { createHash } from 'node:crypto';
import type { Activity } from 'botbuilder';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { ChannelDeps } from '../deps.js';
import { BUTTONS, wechatText } from '../../replies/index.js';
import { PushHandler, type Push, WeChatAdapter, packMessages } from './adapter.js';
import { MessageCrypto, WeChatCryptoError, plainSignature, safeEqual } from './crypto.js';
import { type MessageApi, OfficialAccountApi, WeComApi } from './api.js';
import { Outbox } from './outbox.js';
import type { WeChatRepo } from './store.js';
import { XmlError, buildXml, parseWeChatXml } from './xml.js';

/** Custom-menu CLICK keys the shop configures in the WeChat console, and what the buyer "says" by clicking. */
export const MENU_KEYS: Record<string, string> = {
  ORDER_STATUS: BUTTONS.menu[0]!, // 查订单
  NO_ORDER_NO: BUTTONS.menu[1]!, // 没有订单号
  CARD_CODE: BUTTONS.menu[2]!, // 卡密在哪看
  HUMAN_AGENT: BUTTONS.menu[3]!, // 转人工
};

export interface WeChatChannel {
  adapter: WeChatAdapter;
  handler: PushHandler;
  outbox: Outbox;
  api?: MessageApi & { fetches: number };
}

export interface WeChat {
  router: express.Router;
  oa?: WeChatChannel;
  wecom?: WeChatChannel;
  store: WeChatRepo;
  close(): void;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function createWeChat(app: ChannelDeps, store: WeChatRepo): WeChat {
  const { config, logger } = app;
  // Dedupe rows outlive any retry by far.
  void store.prune(Date.now() - 7 * 86_400_000).catch((err) => logger.warn({ err }, 'wechat: prune failed'));
  const router = express.Router();
  const channels: { oa?: WeChatChannel; wecom?: WeChatChannel } = {};
  const wc = config.wechat;

  const build = (channelId: 'wechat' | 'wecom', api: (MessageApi & { fetches: number }) | undefined, windows: boolean): WeChatChannel => {
    const outbox = new Outbox(
      store,
      api,
      app.tickets,
      { channel: channelId, windows, leader: app.store.leader, instance: app.store.instance, alive: (other) => app.store.alive(other) },
      logger,
    );
    const adapter = app.wire(new WeChatAdapter(app.store, channelId, outbox));
    const handler = new PushHandler(adapter, store, outbox, app.logic, {
      deadlineMs: wc.deadlineMs,
      logger,
      instance: app.store.instance,
      alive: (instance) => app.store.alive(instance),
    });
    outbox.start();
    // Agents reach WeChat buyers through the outbox (same transaction as the relay's bookkeeping).
    app.relay.register(channelId, {
      continueConversation: (ref, logic) => adapter.continueConversation(ref, logic),
      deliverInTransaction: async (ref, activity) => {
        // An agent's words hold no secret: no masked twin to keep.
        await store.enqueue(channelId, ref.user!.id, ref.conversation!.id, packMessages([wechatText(activity.text ?? '', [])]), Date.now(), null);
        return { after: () => void outbox.kick() };
      },
    });
    return { adapter, handler, outbox, api };
  };

  /** A push's timestamp must be recent: a captured request cannot be replayed later. */
  const checkTimestamp = (timestamp: string | undefined) => {
    if (!timestamp || !/^\d{1,12}$/.test(timestamp)) throw new HttpError(400, 'timestamp missing or malformed');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > wc.timestampWindowSec) throw new HttpError(403, 'stale timestamp');
  };
  /**
   * In plaintext mode the signature covers only token, timestamp and nonce, not the body: a
   * captured query would carry any body for the whole timestamp window. A signed query is good for
   * one body; the same body again is WeChat retrying (answered once by MsgId), another is refused.
   */
  const checkReplay = async (channelId: string, q: Request['query'], body: string) => {
    const now = Date.now();
    const key = `${channelId}:${str(q.timestamp)}:${str(q.nonce) ?? ''}:${str(q.msg_signature) ?? str(q.signature) ?? ''}`;
    const digest = createHash('sha256').update(body).digest('hex');
    if ((await store.useNonce(key, digest, now + 2 * wc.timestampWindowSec * 1000, now)) === 'reused')
      throw new HttpError(403, 'this signature was already used for another message');
  };
  const parse = (xml: string) => {
    try {
      return parseWeChatXml(xml);
    } catch (err) {
      if (err instanceof XmlError) throw new HttpError(400, err.kind === 'doctype' ? 'DOCTYPE/ENTITY declarations are refused' : 'malformed XML');
      throw err;
    }
  };
  const decrypt = (crypto: MessageCrypto, q: Request['query'], envelope: Record<string, string>) => {
    const encrypted = envelope.Encrypt;
    if (!encrypted) throw new HttpError(400, 'Encrypt element missing');
    if (!crypto.verify(str(q.msg_signature) ?? '', str(q.timestamp)!, str(q.nonce) ?? '', encrypted)) throw new HttpError(401, 'bad msg_signature');
    try {
      return parse(crypto.decrypt(encrypted).message);
    } catch (err) {
      if (err instanceof WeChatCryptoError) throw new HttpError(403, 'cannot decrypt');
      throw err;
    }
  };

  /** The push as an activity (undefined: nothing for the bot, e.g. a VIEW event), plus its side effects. */
  const translate = async (channelId: 'wechat' | 'wecom', f: Record<string, string>): Promise<{ push?: Push; event?: string }> => {
    const user = f.FromUserName;
    const type = f.MsgType;
    if (!user || !type || !f.CreateTime) throw new HttpError(400, 'FromUserName, MsgType or CreateTime missing');
    const conversationId = `${channelId}:${user}`;
    const base: Partial<Activity> = {
      channelId,
      serviceUrl: `${channelId}://`,
      conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' },
      from: { id: user, name: user, role: 'user' },
      recipient: { id: f.ToUserName ?? channelId, name: f.ToUserName ?? channelId, role: 'bot' },
      timestamp: new Date(Number(f.CreateTime) * 1000), // WeChat times are seconds
      locale: 'zh-CN',
      channelData: { clientKey: conversationId, wechat: { msgType: type, msgId: f.MsgId } },
    };
    const key = (suffix: string) => `${channelId}:${suffix}`;
    const msgKey = key(f.MsgId ? `msg:${f.MsgId}` : `t:${user}:${f.CreateTime}:${type}`);
    const message = (extra: Partial<Activity>): Push => ({
      key: msgKey,
      userId: user,
      activity: { ...base, type: 'message', ...extra, channelData: { ...base.channelData, ...extra.channelData } },
    });
    if (type === 'event') {
      const event = f.Event ?? '';
      const evKey = key(`evt:${user}:${f.CreateTime}:${event}:${f.EventKey ?? ''}`);
      if (event === 'subscribe') {
        return { event, push: { key: evKey, userId: user, activity: { ...base, type: 'conversationUpdate', membersAdded: [{ id: user, name: user }] } } };
      }
      if (event.toUpperCase() === 'CLICK' && f.EventKey && MENU_KEYS[f.EventKey]) {
        return { event, push: { key: evKey, userId: user, activity: { ...base, type: 'message', text: MENU_KEYS[f.EventKey] } } };
      }
      return { event };
    }
    if (type === 'text') return { push: message({ text: f.Content ?? '' }) };
    if (type === 'voice') {
      const heard = (f.Recognition ?? '').trim();
      return { push: message(heard ? { text: heard } : { text: '', channelData: { unrecognizedVoice: true } }) };
    }
    if (type === 'image') {
      // Kept as evidence (a payment screenshot): fetched once, on the first delivery, within a short budget.
      if (f.PicUrl && !(await store.inbound(msgKey))) await keepImage(f.PicUrl, conversationId, channelId, user);
      return { push: message({ text: '', attachments: f.PicUrl ? [{ contentType: 'image/jpeg', contentUrl: f.PicUrl, name: 'wechat-image.jpg' }] : [] }) };
    }
    return { push: message({ text: '' }) }; // video, location, link, file: nothing the bot can read
  };

  const keepImage = async (url: string, conversationId: string, channelId: string, userId: string) => {
    if (!/^https?:\/\//i.test(url)) return;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1500), redirect: 'follow' });
      const declared = Number(res.headers.get('content-length') ?? 0);
      if (!res.ok || declared > config.uploads.maxBytes) return;
      const data = Buffer.from(await res.arrayBuffer());
      if (data.length > config.uploads.maxBytes) return;
      await app.files.save({ conversationId, channelId, userId, name: 'wechat-image.jpg', data }, new Date());
    } catch (err) {
      logger.warn({ channelId, err: (err as Error).name }, 'could not keep a WeChat image');
    }
  };

  /** Runs the push and writes the answer: passive XML (encrypted when the push was) or "success". */
  const answer = async (res: Response, ch: WeChatChannel, fields: Record<string, string>, arrivedAt: number, reply: (text: string) => string) => {
    const { push, event } = await translate(ch.adapter.channelId, fields);
    const user = fields.FromUserName!;
    const now = Date.now();
    // A retry is the same message: it must not renew the window (nor its quota).
    const fresh = !push || !(await store.inbound(push.key));
    if (fresh && ch.adapter.channelId === 'wechat' && wc.oa) {
      // The customer-service window: a message opens 48 h (5 sends); a click or a follow, 1 minute (3).
      if (fields.MsgType !== 'event') await store.openWindow('wechat', user, now + wc.oa.csWindowHours * 3_600_000, wc.oa.csQuota);
      else if (event === 'subscribe' || event?.toUpperCase() === 'CLICK' || event === 'SCAN') await store.openWindow('wechat', user, now + 60_000, 3);
    }
    if (event === 'unsubscribe') {
      // Nothing can reach them any more; what is queued would only fail.
      await store.cancelPending(ch.adapter.channelId, user, 'unsubscribed');
      await store.closeWindow(ch.adapter.channelId, user);
    }
    const text = push ? await ch.handler.handle(push, arrivedAt) : undefined;
    if (text === undefined) return void res.type('text/plain').send('success');
    res.type('application/xml').send(reply(text));
  };
  const passiveXml = (to: string, from: string, text: string) =>
    buildXml([
      ['ToUserName', to],
      ['FromUserName', from],
      ['CreateTime', Math.floor(Date.now() / 1000)],
      ['MsgType', 'text'],
      ['Content', text],
    ]);

  const textBody = express.text({ type: () => true, limit: '64kb' });

  if (wc.oa) {
    const oa = wc.oa;
    const api = oa.appId && oa.appSecret ? new OfficialAccountApi(store, oa.apiBase, oa.appId, oa.appSecret) : undefined;
    const ch = (channels.oa = build('wechat', api, true));
    const crypto = oa.aesKey && oa.appId ? new MessageCrypto({ token: oa.token, encodingAESKey: oa.aesKey, receiveId: oa.appId }) : undefined;
    const checkPlainSignature = (q: Request['query']) => {
      if (!safeEqual(plainSignature(oa.token, str(q.timestamp)!, str(q.nonce) ?? ''), str(q.signature) ?? '')) throw new HttpError(401, 'bad signature');
    };

    // Server URL verification: the console sends signature, timestamp, nonce and echostr.
    router.get('/wechat/oa', (req, res) => {
      checkTimestamp(str(req.query.timestamp));
      checkPlainSignature(req.query);
      res.type('text/plain').send(str(req.query.echostr) ?? '');
    });

    router.post('/wechat/oa', textBody, async (req, res, next) => {
      const arrivedAt = Date.now();
      try {
        const q = req.query;
        checkTimestamp(str(q.timestamp));
        const body = typeof req.body === 'string' ? req.body : '';
        const encrypted = str(q.encrypt_type) === 'aes';
        let fields: Record<string, string>;
        if (encrypted) {
          if (!crypto) throw new HttpError(403, 'encrypted push, but WECHAT_OA_AES_KEY / WECHAT_OA_APPID are not configured');
          fields = decrypt(crypto, q, parse(body));
        } else {
          checkPlainSignature(q);
          fields = parse(body);
        }
        await checkReplay('wechat', q, body);
        await answer(res, ch, fields, arrivedAt, (text) => {
          const xml = passiveXml(fields.FromUserName!, fields.ToUserName ?? '', text);
          // Safe and compatible modes: the reply is encrypted too (allowed in compatible, required in safe).
          return encrypted ? crypto!.replyEnvelope(xml, String(Math.floor(Date.now() / 1000)), str(q.nonce) ?? '') : xml;
        });
      } catch (err) {
        next(err);
      }
    });
  }

  if (wc.wecom) {
    const w = wc.wecom;
    const api = w.secret ? new WeComApi(store, w.apiBase, w.corpId, w.secret, w.agentId) : undefined;
    const ch = (channels.wecom = build('wecom', api, false));
    const crypto = new MessageCrypto({ token: w.token, encodingAESKey: w.aesKey, receiveId: w.corpId });

    // WeCom verifies the URL with an encrypted echostr and wants its plaintext back, bare.
    router.get('/wechat/wecom', (req, res) => {
      const q = req.query;
      checkTimestamp(str(q.timestamp));
      let echostr = str(q.echostr) ?? '';
      const ok = (e: string) => crypto.verify(str(q.msg_signature) ?? '', str(q.timestamp)!, str(q.nonce) ?? '', e);
      // An unencoded "+" in the query arrives as a space.
      if (!ok(echostr) && echostr.includes(' ') && ok(echostr.replace(/ /g, '+'))) echostr = echostr.replace(/ /g, '+');
      if (!ok(echostr)) throw new HttpError(401, 'bad msg_signature');
      try {
        res.type('text/plain').send(crypto.decrypt(echostr).message);
      } catch {
        throw new HttpError(403, 'cannot decrypt echostr');
      }
    });

    router.post('/wechat/wecom', textBody, async (req, res, next) => {
      const arrivedAt = Date.now();
      try {
        const q = req.query;
        checkTimestamp(str(q.timestamp));
        const body = typeof req.body === 'string' ? req.body : '';
        const fields = decrypt(crypto, q, parse(body));
        await checkReplay('wecom', q, body);
        await answer(res, ch, fields, arrivedAt, (text) =>
          crypto.replyEnvelope(passiveXml(fields.FromUserName!, w.corpId, text), String(Math.floor(Date.now() / 1000)), str(q.nonce) ?? ''),
        );
      } catch (err) {
        next(err);
      }
    });
  }

  router.use('/wechat', (err: Error & { type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof HttpError) return void res.status(err.status).type('text/plain').send(err.message);
    if (err.type === 'entity.too.large') return void res.status(413).type('text/plain').send('body too large');
    next(err);
  });

  return {
    router,
    store,
    ...channels,
    close: () => {
      channels.oa?.outbox.stop();
      channels.wecom?.outbox.stop();
    },
  };
}
