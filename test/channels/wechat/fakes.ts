/**
 * Local stand-ins for WeChat, so nothing reaches the internet: a fake api.weixin.qq.com /
 * qyapi.weixin.qq.com (tokens and message sending, with scripted error codes), and a driver that
 * builds pushes the way WeChat does, signed and encrypted with @wecom/crypto, the official WeCom
 * library, an implementation independent of ours.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decrypt as wecomDecrypt, encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';
import express from 'express';

export interface Sent {
  api: 'oa' | 'wecom';
  touser: string;
  content: string;
  agentid?: number;
  token: string;
}

/** Fake WeChat API: /cgi-bin/token, /cgi-bin/gettoken, custom/send (OA) and message/send (WeCom). */
export async function fakeWeChatApi() {
  const state = {
    tokenFetches: 0,
    valid: new Set<string>(),
    sent: [] as Sent[],
    /** Error codes to answer the next send calls with, in order (0 = deliver). */
    sendErrors: [] as number[],
    /** Tokens that WeChat treats as expired from now on. */
    expire(token: string) {
      state.valid.delete(token);
    },
    image: Buffer.alloc(0),
    /** Lifetime of the tokens handed out, seconds. */
    expiresIn: 7200,
  };
  const web = express();
  web.use(express.json());
  const issue = (res: express.Response) => {
    state.tokenFetches++;
    const token = `tok-${state.tokenFetches}`;
    state.valid.add(token);
    res.json({ access_token: token, expires_in: state.expiresIn });
  };
  web.get('/cgi-bin/token', (req, res) => {
    if (req.query.grant_type !== 'client_credential' || req.query.appid !== 'wx0123456789abcdef' || req.query.secret !== 'oa-secret')
      return void res.json({ errcode: 40013, errmsg: 'invalid appid' });
    issue(res);
  });
  web.get('/cgi-bin/gettoken', (req, res) => {
    if (req.query.corpid !== 'ww0123456789' || req.query.corpsecret !== 'wecom-secret') return void res.json({ errcode: 40001, errmsg: 'invalid credential' });
    issue(res);
  });
  const send = (api: 'oa' | 'wecom') => (req: express.Request, res: express.Response) => {
    const token = String(req.query.access_token ?? '');
    if (!state.valid.has(token)) return void res.json({ errcode: 42001, errmsg: 'access_token expired' });
    const scripted = state.sendErrors.shift() ?? 0;
    if (scripted) return void res.json({ errcode: scripted, errmsg: `scripted ${scripted}` });
    const b = req.body as { touser: string; msgtype: string; text?: { content: string }; agentid?: number };
    if (b.msgtype !== 'text' || !b.text?.content) return void res.json({ errcode: 44003, errmsg: 'empty news data' });
    state.sent.push({ api, touser: b.touser, content: b.text.content, agentid: b.agentid, token });
    res.json(api === 'wecom' ? { errcode: 0, errmsg: 'ok', invaliduser: '' } : { errcode: 0, errmsg: 'ok' });
  };
  web.post('/cgi-bin/message/custom/send', send('oa'));
  web.post('/cgi-bin/message/send', send('wecom'));
  web.get('/mmbiz/pic.jpg', (_req, res) => void res.type('image/jpeg').send(state.image));
  const server = web.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    state,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const sha1 = (...parts: string[]) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
let nonceSeq = 1000;

export interface Account {
  token: string;
  aesKey?: string;
  /** appid (OA) or corpid (WeCom) */
  id: string;
}

/** A push as WeChat sends it, in one of the three modes; returns the URL query and body. */
export function push(account: Account, xml: string, mode: 'plain' | 'compat' | 'safe' | 'wecom', at = Math.floor(Date.now() / 1000)) {
  const timestamp = String(at);
  const nonce = String(nonceSeq++);
  const q = new URLSearchParams({ timestamp, nonce });
  if (mode !== 'wecom') q.set('signature', sha1(account.token, timestamp, nonce));
  if (mode === 'plain') return { query: q.toString(), body: xml };
  const encrypted = wecomEncrypt(account.aesKey!, xml, account.id);
  q.set('msg_signature', getSignature(account.token, timestamp, nonce, encrypted));
  if (mode !== 'wecom') {
    q.set('encrypt_type', 'aes');
    q.set('openid', /<FromUserName><!\[CDATA\[(.*?)\]\]>/.exec(xml)?.[1] ?? '');
  }
  const to = /<ToUserName><!\[CDATA\[(.*?)\]\]>/.exec(xml)?.[1] ?? '';
  const body =
    mode === 'compat'
      ? xml.replace('</xml>', `<Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`)
      : `<xml><ToUserName><![CDATA[${to}]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt>${mode === 'wecom' ? '<AgentID><![CDATA[1000002]]></AgentID>' : ''}</xml>`;
  return { query: q.toString(), body };
}

/** Opens an encrypted passive reply the way WeChat does: checks its signature and app id, returns the inner XML. */
export function openReply(account: Account, body: string): string {
  const get = (tag: string) => new RegExp(`<${tag}>(?:<!\\[CDATA\\[)?(.*?)(?:\\]\\]>)?</${tag}>`, 's').exec(body)?.[1] ?? '';
  const encrypted = get('Encrypt');
  const expected = getSignature(account.token, get('TimeStamp'), get('Nonce'), encrypted);
  if (expected !== get('MsgSignature')) throw new Error('reply signature does not verify');
  const { message, id } = wecomDecrypt(account.aesKey!, encrypted);
  if (id !== account.id) throw new Error(`reply is for ${id}, not ${account.id}`);
  return message;
}

export const textXml = (from: string, content: string, msgId: string, to = 'gh_0123456789ab', at = Math.floor(Date.now() / 1000)) =>
  `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${at}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;
export const eventXml = (from: string, event: string, key = '', at = Math.floor(Date.now() / 1000), to = 'gh_0123456789ab') =>
  `<xml><ToUserName><![CDATA[${to}]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName><CreateTime>${at}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${key ? `<EventKey><![CDATA[${key}]]></EventKey>` : ''}</xml>`;
/** The text of a passive reply's Content. */
export const contentOf = (xml: string) => /<Content><!\[CDATA\[([\s\S]*?)\]\]><\/Content>/.exec(xml)?.[1]?.replace(/\]\]\]\]><!\[CDATA\[>/g, ']]>');
