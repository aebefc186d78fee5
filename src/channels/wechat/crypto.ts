// WeChat Official Account / WeCom message signatures and AES-256-CBC encryption (WXBizMsgCrypt scheme).
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type CryptoErrorCode = 'aes_key' | 'signature' | 'decrypt' | 'receive_id' | 'buffer';

export class WeChatCryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WeChatCryptoError';
  }
}

const AES_KEY_RE = /^[A-Za-z0-9]{43}$/;
// Standard alphabet, length a multiple of 4, '=' only as final padding (Node's decoder would silently skip junk).
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PAD_BLOCK = 32; // WeChat uses PKCS#7 with K = 32, not the AES block size
const RANDOM_LEN = 16;
const HEADER_LEN = RANDOM_LEN + 4;

/** lowercase hex SHA-1 of the parts sorted lexicographically and concatenated */
export function sha1Signature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** constant-time string comparison (false on length mismatch) */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) return false;
  return timingSafeEqual(ba, bb);
}

/** plaintext-mode signature: sha1Signature(token, timestamp, nonce) */
export function plainSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Signature(token, timestamp, nonce);
}

export class MessageCrypto {
  private readonly token: string;
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private readonly receiveId: string;

  constructor(opts: { token: string; encodingAESKey: string; receiveId: string }) {
    if (typeof opts.encodingAESKey !== 'string' || !AES_KEY_RE.test(opts.encodingAESKey)) {
      throw new WeChatCryptoError('aes_key', 'EncodingAESKey must be exactly 43 characters of [A-Za-z0-9]');
    }
    this.token = opts.token;
    this.key = Buffer.from(`${opts.encodingAESKey}=`, 'base64');
    if (this.key.length !== 32) throw new WeChatCryptoError('aes_key', 'EncodingAESKey does not decode to 32 bytes');
    this.iv = this.key.subarray(0, 16);
    this.receiveId = opts.receiveId;
  }

  /** sha1Signature(token, timestamp, nonce, encrypt) */
  signature(timestamp: string, nonce: string, encrypt: string): string {
    return sha1Signature(this.token, timestamp, nonce, encrypt);
  }

  verify(msgSignature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    if (typeof msgSignature !== 'string' || typeof encrypt !== 'string') return false;
    return safeEqual(msgSignature.toLowerCase(), this.signature(timestamp, nonce, encrypt));
  }

  /** base64 → AES-256-CBC → random(16) ‖ uint32BE len ‖ msg ‖ receiveId */
  decrypt(encrypt: string): { message: string; receiveId: string; random: Buffer } {
    if (typeof encrypt !== 'string' || encrypt.length === 0 || !BASE64_RE.test(encrypt)) {
      throw new WeChatCryptoError('decrypt', 'Encrypt is not valid base64');
    }
    const cipherText = Buffer.from(encrypt, 'base64');
    if (cipherText.length === 0 || cipherText.length % 16 !== 0) {
      throw new WeChatCryptoError('decrypt', `ciphertext length ${cipherText.length} is not a multiple of the AES block size`);
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv);
      decipher.setAutoPadding(false);
      plain = Buffer.concat([decipher.update(cipherText), decipher.final()]);
    } catch (err) {
      throw new WeChatCryptoError('decrypt', `AES decryption failed: ${(err as Error).message}`);
    }
    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new WeChatCryptoError('decrypt', `invalid padding byte ${pad}`);
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) throw new WeChatCryptoError('decrypt', 'inconsistent padding bytes');
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < HEADER_LEN) throw new WeChatCryptoError('buffer', 'decrypted content is shorter than its header');
    const msgLen = content.readUInt32BE(RANDOM_LEN);
    if (msgLen > content.length - HEADER_LEN) throw new WeChatCryptoError('buffer', `message length ${msgLen} exceeds the decrypted content`);
    const message = content.subarray(HEADER_LEN, HEADER_LEN + msgLen).toString('utf8');
    const receiveId = content.subarray(HEADER_LEN + msgLen).toString('utf8');
    if (this.receiveId !== '' && receiveId !== this.receiveId) {
      throw new WeChatCryptoError('receive_id', 'receiveId in the message does not match the configured one');
    }
    return { message, receiveId, random: Buffer.from(content.subarray(0, RANDOM_LEN)) };
  }

  /** inverse of decrypt; random defaults to 16 crypto-random bytes */
  encrypt(message: string, random: Buffer = randomBytes(RANDOM_LEN)): string {
    if (random.length !== RANDOM_LEN) throw new WeChatCryptoError('buffer', `random must be ${RANDOM_LEN} bytes`);
    const msg = Buffer.from(message, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(msg.length, 0);
    const body = Buffer.concat([random, len, msg, Buffer.from(this.receiveId, 'utf8')]);
    const pad = PAD_BLOCK - (body.length % PAD_BLOCK); // 1..32
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }

  /** The encrypted passive-reply envelope (layout byte-exact as the official samples / wechatpy). */
  replyEnvelope(message: string, timestamp: string, nonce: string, random?: Buffer): string {
    const encrypt = this.encrypt(message, random);
    const signature = this.signature(timestamp, nonce, encrypt);
    return (
      `<xml>\n<Encrypt><![CDATA[${encrypt}]]></Encrypt>\n<MsgSignature><![CDATA[${signature}]]></MsgSignature>\n` +
      `<TimeStamp>${escapeText(timestamp)}</TimeStamp>\n<Nonce><![CDATA[${nonce.replaceAll(']]>', ']]]]><![CDATA[>')}]]></Nonce>\n</xml>`
    );
  }
}

// Timestamp/nonce come from the request query: keep them from breaking the envelope (no-op for digits).
function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
