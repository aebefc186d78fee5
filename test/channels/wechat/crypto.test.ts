import fs from 'node:fs';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { decrypt as wecomDecrypt, encrypt as wecomEncrypt, getSignature } from '@wecom/crypto';
import { describe, expect, it } from 'vitest';
import { MessageCrypto, WeChatCryptoError, plainSignature, safeEqual, sha1Signature } from '../../../src/channels/wechat/crypto.js';
import { XmlError, buildXml, parseWeChatXml } from '../../../src/channels/wechat/xml.js';

// The fixture is the JSON appendix of the protocol brief; it is only read here, so a loose type is enough.
const V = JSON.parse(fs.readFileSync(new URL('../../fixtures/wechat-vectors.json', import.meta.url), 'utf8')) as Record<string, any>;

const cryptoErrorCode = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeChatCryptoError);
    return (err as WeChatCryptoError).code;
  }
  throw new Error('expected a WeChatCryptoError');
};

const xmlErrorKind = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(XmlError);
    return (err as XmlError).kind;
  }
  throw new Error('expected an XmlError');
};

// Decrypt-style vectors of the OA: token / key / appid / timestamp / nonce / msg_signature / encrypt / expect.
const decryptVectors = ['safe_mode_official', 'oa_sample_spamtest', 'oa_sample_cpp', 'easywechat', 'microsoft_wechat_adapter'].map((id) => {
  const v = V[id];
  return {
    id,
    v,
    timestamp: (v.timestamp ?? v.query.timestamp) as string,
    nonce: (v.nonce ?? v.query.nonce) as string,
    msgSignature: (v.msg_signature ?? v.query.msg_signature) as string,
    mc: new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.appid }),
  };
});

describe('sha1Signature / plainSignature / safeEqual', () => {
  it.each(V.sha1_sort_small as Array<{ source: string; parts: string[]; sha1: string }>)('sorts and hashes ($source)', ({ parts, sha1 }) => {
    expect(sha1Signature(...parts)).toBe(sha1);
    expect(sha1Signature(...[...parts].reverse())).toBe(sha1);
  });

  it('matches the OA GET verification vector and echoes echostr', () => {
    const v = V.oa_get_verify;
    expect(plainSignature(v.token, v.timestamp, v.nonce)).toBe(v.signature);
    expect(v.echostr).toBe(v.expectBody);
  });

  it('matches the plaintext-mode POST signature vectors', () => {
    const p = V.oa_post_plain_signature;
    expect(plainSignature(p.token, p.timestamp, p.nonce)).toBe(p.signature);
    const s = V.safe_mode_official;
    expect(plainSignature(s.token, s.query.timestamp, s.query.nonce)).toBe(s.query.signature);
    const sp = V.oa_sample_spamtest;
    expect(plainSignature(sp.token, sp.timestamp, sp.nonce)).toBe(sp.plainSignature);
    const ms = V.microsoft_wechat_adapter;
    expect(plainSignature(ms.token, ms.timestamp, ms.nonce)).toBe(ms.signature);
  });

  it('compares strings safely', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('é', 'e')).toBe(false);
  });
});

describe('MessageCrypto with the OA vectors', () => {
  it.each(decryptVectors)('$id: msg_signature, decrypt, re-encrypt to the exact ciphertext', ({ v, mc, timestamp, nonce, msgSignature }) => {
    expect(mc.signature(timestamp, nonce, v.encrypt)).toBe(msgSignature);
    expect(mc.verify(msgSignature, timestamp, nonce, v.encrypt)).toBe(true);
    expect(mc.verify(msgSignature, timestamp, nonce, v.encrypt.slice(1))).toBe(false);
    const r = mc.decrypt(v.encrypt);
    expect(r.message).toBe(v.expect.msg);
    expect(r.receiveId).toBe(v.expect.receiveId);
    expect(r.random).toHaveLength(16);
    if (v.expect.random) expect(r.random.toString('latin1')).toBe(v.expect.random);
    // The random is the only non-deterministic input: feeding it back must give the original bytes.
    expect(mc.encrypt(r.message, r.random)).toBe(v.encrypt);
  });

  it('safe_mode_official: sizes, pad byte 22 (Node auto-padding would fail) and the encrypted reply', () => {
    const v = V.safe_mode_official;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.appid });
    const cipherText = Buffer.from(v.encrypt, 'base64');
    expect(cipherText).toHaveLength(352);
    expect(Buffer.byteLength(v.expect.msg)).toBe(v.expect.msgLen);
    const key = Buffer.from(`${v.encodingAESKey}=`, 'base64');
    const raw = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([raw.update(cipherText), raw.final()]);
    expect(plain[plain.length - 1]).toBe(v.expect.lastPadByte);
    expect(plain.length - v.expect.lastPadByte).toBe(330);
    const auto = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    expect(() => Buffer.concat([auto.update(cipherText), auto.final()])).toThrow();

    const reply = v.reply;
    const encrypted = mc.encrypt(reply.msg, Buffer.from(reply.random, 'latin1'));
    expect(encrypted).toBe(reply.encrypt);
    expect(Buffer.from(encrypted, 'base64')).toHaveLength(96);
    expect(mc.signature(reply.timestamp, reply.nonce, reply.encrypt)).toBe(reply.msgSignature);
    expect(mc.decrypt(reply.encrypt).message).toBe(reply.msg);
  });

  it('oa_sample_spamtest: compatible-mode body carries plain fields plus an Encrypt that verifies', () => {
    const v = V.oa_sample_spamtest;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.appid });
    const fields = parseWeChatXml(v.compatModeBody);
    expect(fields.Encrypt).toBe(v.encrypt);
    expect(fields.MsgId).toBe('6054768590064713728');
    expect(fields.Content).toBe('abcdteT');
    expect(mc.verify(v.msg_signature, v.timestamp, v.nonce, fields.Encrypt!)).toBe(true);
    const inner = parseWeChatXml(mc.decrypt(fields.Encrypt!).message);
    expect(inner).toMatchObject({ ToUserName: 'gh_10f6c3c3ac5a', MsgType: 'text', Content: 'abcdteT', MsgId: '6054768590064713728' });
  });

  it.each((V.encrypt_fixed_random.cases as Array<{ msg: string; encrypt: string }>).map((c, i) => ({ ...c, i })))(
    'encrypt_fixed_random case $i: exact ciphertext and back',
    ({ msg, encrypt }) => {
      const v = V.encrypt_fixed_random;
      const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.appid });
      expect(mc.encrypt(msg, Buffer.from(v.random, 'latin1'))).toBe(encrypt);
      const r = mc.decrypt(encrypt);
      expect(r.message).toBe(msg);
      expect(r.receiveId).toBe(v.appid);
      expect(r.random.toString('latin1')).toBe(v.random);
    },
  );

  it('microsoft_wechat_adapter: the 17-digit MsgId survives parsing', () => {
    const v = V.microsoft_wechat_adapter;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.appid });
    expect(parseWeChatXml(mc.decrypt(v.encrypt).message).MsgId).toBe('22363405356629000');
  });
});

describe('MessageCrypto with the WeCom vectors', () => {
  it('wecom_official: VerifyURL and DecryptMsg', () => {
    const v = V.wecom_official;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.receiveId });
    const u = v.verifyUrl;
    expect(mc.verify(u.msg_signature, u.timestamp, u.nonce, u.echostr)).toBe(true);
    const echo = mc.decrypt(u.echostr);
    expect(echo.message).toBe(u.expectBody);
    expect(echo.receiveId).toBe(v.receiveId);
    expect(mc.encrypt(echo.message, echo.random)).toBe(u.echostr);

    const d = v.decrypt;
    const body = parseWeChatXml(d.body);
    expect(body.AgentID).toBe('218');
    expect(mc.verify(d.msg_signature, d.timestamp, d.nonce, body.Encrypt!)).toBe(true);
    const r = mc.decrypt(body.Encrypt!);
    expect(r.message).toBe(d.expect.msg);
    expect(r.receiveId).toBe(d.expect.receiveId);
    expect(mc.encrypt(r.message, r.random)).toBe(body.Encrypt);
    expect(parseWeChatXml(r.message)).toMatchObject({ FromUserName: 'mycreate', MsgId: '4561255354251345929', AgentID: '218', Content: 'hello' });
  });

  it('wecom_wechatpy: verify (and the flipped-nonce negative), decrypt', () => {
    const v = V.wecom_wechatpy;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.receiveId });
    const u = v.verifyUrl;
    expect(mc.verify(u.msg_signature, u.timestamp, u.nonce, u.echostr)).toBe(true);
    expect(mc.decrypt(u.echostr).message).toBe(u.expectBody);
    expect(u.negative.nonce).not.toBe(u.nonce);
    expect(mc.verify(u.msg_signature, u.timestamp, u.negative.nonce, u.echostr)).toBe(false);

    const d = v.decrypt;
    expect(mc.signature(d.timestamp, d.nonce, d.encrypt)).toBe(d.msg_signature);
    expect(mc.verify(d.msg_signature, d.timestamp, d.nonce, d.encrypt)).toBe(true);
    const r = mc.decrypt(d.encrypt);
    expect(r.message).toBe(d.expect.msg);
    expect(r.receiveId).toBe(d.expect.receiveId);
    expect(mc.encrypt(r.message, r.random)).toBe(d.encrypt);
  });

  it('wecom_wechatpy: encrypted reply and byte-exact envelope', () => {
    const v = V.wecom_wechatpy;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.receiveId });
    const e = v.encryptReply;
    const random = Buffer.from(e.random, 'latin1');
    expect(mc.encrypt(e.msg, random)).toBe(e.encrypt);
    expect(mc.signature(e.timestamp, e.nonce, e.encrypt)).toBe(e.msgSignature);
    const envelope = mc.replyEnvelope(e.msg, e.timestamp, e.nonce, random);
    expect(envelope).toBe(e.envelope);
    expect({ ...parseWeChatXml(envelope) }).toEqual({ Encrypt: e.encrypt, MsgSignature: e.msgSignature, TimeStamp: e.timestamp, Nonce: e.nonce });
  });

  it('replyEnvelope with a random IV round-trips and verifies', () => {
    const v = V.wecom_wechatpy;
    const mc = new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.receiveId });
    const env = parseWeChatXml(mc.replyEnvelope('<xml><Content><![CDATA[你好]]></Content></xml>', '1700000000', '42'));
    expect(mc.verify(env.MsgSignature!, env.TimeStamp!, env.Nonce!, env.Encrypt!)).toBe(true);
    expect(mc.decrypt(env.Encrypt!).message).toBe('<xml><Content><![CDATA[你好]]></Content></xml>');
    expect(mc.encrypt('same')).not.toBe(mc.encrypt('same'));
  });
});

describe('MessageCrypto negative cases', () => {
  const w = V.wecom_wechatpy;
  const mc = new MessageCrypto({ token: w.token, encodingAESKey: w.encodingAESKey, receiveId: w.receiveId });
  const key = Buffer.from(`${w.encodingAESKey}=`, 'base64');

  // Encrypts an arbitrary plaintext (caller-controlled padding) with the vector's key.
  const rawEncrypt = (plain: Buffer): string => {
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    return Buffer.concat([c.update(plain), c.final()]).toString('base64');
  };
  const frame = (msg: string, id: string, lenOverride?: number): Buffer => {
    const m = Buffer.from(msg, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(lenOverride ?? m.length, 0);
    return Buffer.concat([randomBytes(16), len, m, Buffer.from(id, 'utf8')]);
  };
  const padWith = (body: Buffer, fill: (padLen: number) => Buffer): Buffer => {
    const padLen = 32 - (body.length % 32);
    return Buffer.concat([body, fill(padLen)]);
  };

  it('sanity: the hand-rolled framing decrypts when padded correctly', () => {
    const ct = rawEncrypt(padWith(frame('hello', w.receiveId), (n) => Buffer.alloc(n, n)));
    expect(mc.decrypt(ct).message).toBe('hello');
  });

  it('rejects a wrong receiveId, accepts any when configured as empty', () => {
    const wrong = new MessageCrypto({ token: w.token, encodingAESKey: w.encodingAESKey, receiveId: 'wx0000000000000000' });
    expect(cryptoErrorCode(() => wrong.decrypt(w.decrypt.encrypt))).toBe('receive_id');
    const sp = V.oa_sample_spamtest;
    const otherApp = new MessageCrypto({ token: sp.token, encodingAESKey: sp.encodingAESKey, receiveId: V.encrypt_fixed_random.appid });
    expect(cryptoErrorCode(() => otherApp.decrypt(sp.encrypt))).toBe('receive_id');
    const any = new MessageCrypto({ token: w.token, encodingAESKey: w.encodingAESKey, receiveId: '' });
    expect(any.decrypt(w.decrypt.encrypt).receiveId).toBe(w.receiveId);
    // Smart-robot style: no receiveId at all.
    const robotCt = any.encrypt('{"msgtype":"text"}');
    expect(any.decrypt(robotCt)).toMatchObject({ message: '{"msgtype":"text"}', receiveId: '' });
  });

  it('rejects truncated and invalid base64', () => {
    const enc: string = w.decrypt.encrypt;
    const bad = [
      '',
      enc.slice(0, -1), // length not a multiple of 4
      enc.slice(0, -4), // valid base64, not a whole AES block
      Buffer.from(enc, 'base64').subarray(0, -16).toString('base64'), // whole block missing: padding is garbage
      Buffer.from(enc, 'base64').subarray(0, 16).toString('base64'),
      `${enc.slice(0, 10)}*${enc.slice(11)}`,
      `${enc.slice(0, 10)} ${enc.slice(11)}`,
      enc.replace(/\+/g, '-').replace(/\//g, '_'), // base64url alphabet
      `${enc.slice(0, 8)}====${enc.slice(12)}`, // '=' in the middle
      `${enc}\n`,
    ];
    for (const b of bad)
      expect(
        cryptoErrorCode(() => mc.decrypt(b)),
        JSON.stringify(b.slice(-12)),
      ).toBe('decrypt');
  });

  it('rejects pad bytes 0 and 33 and inconsistent padding', () => {
    const body = frame('hello', w.receiveId);
    const pad0 = rawEncrypt(padWith(body, (n) => Buffer.alloc(n, 0)));
    expect(cryptoErrorCode(() => mc.decrypt(pad0))).toBe('decrypt');
    // 33 must end a plaintext whose length is a multiple of 16: fill the remainder plus one more block with 33s.
    const pad33 = rawEncrypt(padWith(body, (n) => Buffer.alloc(n + 32, 33)));
    expect(Buffer.from(pad33, 'base64').length % 16).toBe(0);
    expect(cryptoErrorCode(() => mc.decrypt(pad33))).toBe('decrypt');
    // 'hello' + an 18-byte id + 20-byte header = 43 bytes → 21 pad bytes; break the first one.
    const mixed = rawEncrypt(
      padWith(body, (n) => {
        const p = Buffer.alloc(n, n);
        p[0] = 7;
        return p;
      }),
    );
    expect(cryptoErrorCode(() => mc.decrypt(mixed))).toBe('decrypt');
  });

  it('rejects a length field beyond the buffer and content shorter than the header', () => {
    const tooLong = rawEncrypt(padWith(frame('hello', w.receiveId, 1_000_000), (n) => Buffer.alloc(n, n)));
    expect(cryptoErrorCode(() => mc.decrypt(tooLong))).toBe('buffer');
    const huge = rawEncrypt(padWith(frame('hello', w.receiveId, 0xffffffff), (n) => Buffer.alloc(n, n)));
    expect(cryptoErrorCode(() => mc.decrypt(huge))).toBe('buffer');
    const short = rawEncrypt(Buffer.concat([randomBytes(12), Buffer.alloc(20, 20)]));
    expect(cryptoErrorCode(() => mc.decrypt(short))).toBe('buffer');
  });

  it('validates the EncodingAESKey', () => {
    const make = (encodingAESKey: string) => () => new MessageCrypto({ token: 't', encodingAESKey, receiveId: '' });
    const good: string = w.encodingAESKey;
    expect(make(good)).not.toThrow();
    expect(cryptoErrorCode(make(good.slice(0, 42)))).toBe('aes_key');
    expect(cryptoErrorCode(make(`${good}A`))).toBe('aes_key');
    expect(cryptoErrorCode(make(`${good.slice(0, 42)}_`))).toBe('aes_key');
    expect(cryptoErrorCode(make(`_${good.slice(1)}`))).toBe('aes_key');
    expect(cryptoErrorCode(make(`${good.slice(0, 42)}=`))).toBe('aes_key');
    expect(cryptoErrorCode(make(`${good.slice(0, 42)}+`))).toBe('aes_key');
    expect(cryptoErrorCode(make(''))).toBe('aes_key');
  });

  it('verify is false for a malformed signature', () => {
    const d = w.decrypt;
    expect(mc.verify('', d.timestamp, d.nonce, d.encrypt)).toBe(false);
    expect(mc.verify(d.msg_signature.slice(0, -1), d.timestamp, d.nonce, d.encrypt)).toBe(false);
    expect(mc.verify(d.msg_signature, d.timestamp, d.nonce, `${d.encrypt}x`)).toBe(false);
  });
});

describe('interoperability with @wecom/crypto', () => {
  const fiveKb = Array.from({ length: 400 }, (_, i) => `行${i} line ✓\n`)
    .join('')
    .slice(0, 5000);
  const messages = ['hello', '中文消息：你好，世界！', '😀🎉 emoji 👍🏽 mixed 文本', '', fiveKb, V.wecom_wechatpy.encryptReply.msg as string];
  const configs = [V.wecom_wechatpy, V.wecom_official].map((v) => ({ v, mc: new MessageCrypto({ token: v.token, encodingAESKey: v.encodingAESKey, receiveId: v.receiveId }) }));

  it('the 5 kB message is really about 5 kB', () => {
    expect(Buffer.byteLength(fiveKb)).toBeGreaterThan(5000);
  });

  for (const { v, mc } of configs) {
    it.each(messages.map((m) => ({ m, label: m.length > 30 ? `${m.slice(0, 20)}… (${m.length} chars)` : JSON.stringify(m) })))(
      `${v.receiveId}: round trips both ways for $label`,
      ({ m }) => {
        const ours = mc.encrypt(m);
        const theirs = wecomDecrypt(v.encodingAESKey, ours);
        expect(theirs.message).toBe(m);
        expect(theirs.id).toBe(v.receiveId);

        const fromThem = wecomEncrypt(v.encodingAESKey, m, v.receiveId);
        const back = mc.decrypt(fromThem);
        expect(back.message).toBe(m);
        expect(back.receiveId).toBe(v.receiveId);

        // Same random → identical ciphertext.
        const random = randomBytes(16);
        expect(mc.encrypt(m, random)).toBe(wecomEncrypt(v.encodingAESKey, m, v.receiveId, random));
        expect(wecomDecrypt(v.encodingAESKey, mc.encrypt(m, random)).random.equals(random)).toBe(true);

        const ts = '1700000000';
        const nonce = '123456789';
        expect(mc.signature(ts, nonce, ours)).toBe(getSignature(v.token, ts, nonce, ours));
        expect(mc.verify(getSignature(v.token, ts, nonce, fromThem), ts, nonce, fromThem)).toBe(true);
      },
    );
  }

  it('agrees with the official vectors', () => {
    const v = V.wecom_official;
    expect(wecomDecrypt(v.encodingAESKey, v.verifyUrl.echostr).message).toBe(v.verifyUrl.expectBody);
    expect(getSignature(v.token, v.verifyUrl.timestamp, v.verifyUrl.nonce, v.verifyUrl.echostr)).toBe(v.verifyUrl.msg_signature);
  });

  it('sha1Signature agrees with a direct SHA-1 of the sorted parts', () => {
    const parts = ['token', '1700000000', 'nonce', randomBytes(24).toString('base64')];
    expect(sha1Signature(...parts)).toBe(
      createHash('sha1')
        .update([...parts].sort().join(''))
        .digest('hex'),
    );
  });
});

describe('parseWeChatXml', () => {
  it('keeps every value a string: leading zeros and 64-bit ids intact', () => {
    const x = parseWeChatXml(
      '<xml><CreateTime>1409735668</CreateTime><Content><![CDATA[00123]]></Content><MsgId>6054768590064713728</MsgId><MsgId2>22363405356629000</MsgId2></xml>',
    );
    expect(x.Content).toBe('00123');
    expect(x.MsgId).toBe('6054768590064713728');
    expect(x.MsgId2).toBe('22363405356629000');
    expect(x.CreateTime).toBe('1409735668');
    for (const value of Object.values(x)) expect(typeof value).toBe('string');
  });

  it('keeps CDATA verbatim, including inner newlines and surrounding spaces', () => {
    const x = parseWeChatXml('<xml><Content><![CDATA[  line 1\nline 2\n  ]]></Content><Html><![CDATA[<a href="x?a=1&b=2">y</a>]]></Html></xml>');
    expect(x.Content).toBe('  line 1\nline 2\n  ');
    expect(x.Html).toBe('<a href="x?a=1&b=2">y</a>');
  });

  it('parses the decrypted official message with newlines between elements', () => {
    const x = parseWeChatXml(V.safe_mode_official.expect.msg);
    expect({ ...x }).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: '1715943329',
      MsgType: 'event',
      Event: 'debug_demo',
      debug_str: 'hello world',
    });
  });

  it('decodes the predefined entities outside CDATA and leaves unknown ones alone', () => {
    expect(parseWeChatXml('<xml><A>x &amp; &lt;y&gt;</A><B>&x;</B></xml>')).toMatchObject({ A: 'x & <y>', B: '&x;' });
  });

  it('tolerates nested elements (flattened) and an XML declaration', () => {
    const x = parseWeChatXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event>' +
        '<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[00042]]></ScanResult></ScanCodeInfo>' +
        '<SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[a]]></PicMd5Sum></item><item><PicMd5Sum><![CDATA[b]]></PicMd5Sum></item></PicList></SendPicsInfo>' +
        '<Empty/><Attr x="1">v</Attr></xml>',
    );
    expect(x).toMatchObject({ MsgType: 'event', Event: 'scancode_push', Empty: '', Attr: 'v' });
    expect(x['ScanCodeInfo.ScanResult']).toBe('00042');
    expect(x['SendPicsInfo.PicList.item.1.PicMd5Sum']).toBe('b');
  });

  it('refuses DOCTYPE and ENTITY declarations (XXE)', () => {
    const payloads = [
      '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
      '<?xml version="1.0"?><!doctype xml><xml><A>1</A></xml>',
      '<xml><!ENTITY y "z"><A>1</A></xml>',
      '<!DocType lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><xml><A>&lol2;</A></xml>',
    ];
    for (const p of payloads) expect(xmlErrorKind(() => parseWeChatXml(p))).toBe('doctype');
  });

  it('refuses malformed input and roots other than <xml>', () => {
    const bad = [
      '<xml><ToUserName><![CDATA[a]]></ToUserName><Content><![CDATA[b',
      '<xml><A>1</A>',
      '<xml><A>1</B></xml>',
      'success',
      '',
      '{"ToUserName":"a","Content":"b"}',
      '<root><A>1</A></root>',
      '<xml><A>1</A></xml><xml><A>2</A></xml>',
      '<xml><A>1</A></xml><other/>',
      '<xml>just text</xml>',
    ];
    for (const b of bad)
      expect(
        xmlErrorKind(() => parseWeChatXml(b)),
        b,
      ).toBe('malformed');
  });

  it('is not vulnerable to prototype pollution', () => {
    const x = parseWeChatXml(
      '<xml><__proto__><polluted>yes</polluted></__proto__><constructor><prototype><polluted>yes</polluted></prototype></constructor>' +
        '<toString>t</toString><hasOwnProperty>h</hasOwnProperty><Content>ok</Content></xml>',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(x.Content).toBe('ok');
    expect(Object.hasOwn(x, '__proto__')).toBe(false);
    expect(Object.hasOwn(x, 'constructor')).toBe(false);
    expect(Object.getPrototypeOf(x) === null || Object.getPrototypeOf(x) === Object.prototype).toBe(true);
    expect(typeof {}.toString).toBe('function');
  });
});

describe('buildXml', () => {
  it('writes numbers bare and strings in CDATA', () => {
    expect(
      buildXml([
        ['ToUserName', 'oUser'],
        ['CreateTime', 123],
        ['MsgType', 'text'],
        ['Content', '你好'],
      ]),
    ).toBe('<xml><ToUserName><![CDATA[oUser]]></ToUserName><CreateTime>123</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>');
  });

  it('splits "]]>" across CDATA sections', () => {
    expect(buildXml([['Content', 'a]]>b']])).toBe('<xml><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>');
  });

  it('round-trips through parseWeChatXml', () => {
    const fields: Array<[string, string | number]> = [
      ['ToUserName', 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY'],
      ['FromUserName', 'gh_97417a04a28d'],
      ['CreateTime', 1715943329],
      ['MsgType', 'text'],
      ['Content', '您好！订单 00123 已发货。\n物流：<a href="https://example.com/?a=1&b=2">查看</a>\n]]> 和 ]]]]> 也没问题 😀'],
      ['Empty', ''],
      ['Spaces', '  padded  '],
    ];
    const parsed = parseWeChatXml(buildXml(fields));
    expect({ ...parsed }).toEqual(Object.fromEntries(fields.map(([k, v]) => [k, String(v)])));
  });

  it('rejects invalid element names and non-finite numbers', () => {
    for (const key of ['', '1abc', 'a b', 'a-b', '<x>', 'a>', '_x', 'xml:x']) expect(() => buildXml([[key, 'v']]), key).toThrow();
    expect(() => buildXml([['N', Number.NaN]])).toThrow();
    expect(() => buildXml([['N', Number.POSITIVE_INFINITY]])).toThrow();
  });
});
