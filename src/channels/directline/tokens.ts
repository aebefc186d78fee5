/**
 * Direct Line tokens: HMAC-SHA256-signed, bound to exactly one conversation and one user (and, for
 * a logged-in shop user, the buyer the shop vouched for). Format: base64url(JSON).base64url(MAC).
 * DirectLineJS only tries to decode tokens as JWTs and ignores failures, so any opaque string works.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** Conversation id the token grants. */
  cid: string;
  /** Direct Line user id (starts with dl_). */
  uid: string;
  /** A logged-in shop buyer, when the shop minted the token server-to-server. */
  buyer?: { id: string; contact?: string };
  /** Expiry, epoch seconds. */
  exp: number;
}

const b64 = (buf: Buffer) => buf.toString('base64url');

export class TokenService {
  /** Tokens already verified (a conversation presents the same one on every request); expiry is still checked. */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly key: Buffer,
    private readonly ttlSec: number,
  ) {}

  static randomKey(): string {
    return randomBytes(32).toString('base64url');
  }

  get ttl(): number {
    return this.ttlSec;
  }

  issue(claims: Omit<TokenClaims, 'exp'>, now: Date): string {
    const jti = randomBytes(6).toString('base64url'); // every token differs, even within one second
    // Rounded up: a token lives at least its TTL, never a fraction of a second less.
    const payload = b64(Buffer.from(JSON.stringify({ ...claims, exp: Math.ceil(now.getTime() / 1000) + this.ttlSec, jti })));
    return `${payload}.${this.mac(payload)}`;
  }

  /** The claims of a valid, unexpired token; undefined otherwise. */
  verify(token: string | undefined, now: Date): TokenClaims | undefined {
    if (!token || token.length > 4096) return undefined;
    const known = this.verified.get(token);
    if (known) return known.exp * 1000 > now.getTime() ? known : undefined;
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    if (typeof claims.cid !== 'string' || typeof claims.uid !== 'string' || typeof claims.exp !== 'number') return undefined;
    if (claims.exp * 1000 <= now.getTime()) return undefined;
    if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * A capability for a link that a browser follows without headers (an <img> of an uploaded file).
   * The "att." prefix cannot occur in a token payload (base64url has no dot), so the two never mix.
   */
  signAttachment(id: string): string {
    return this.mac(`att.${id}`).slice(0, 32);
  }

  checkAttachment(id: string, sig: string): boolean {
    const expected = Buffer.from(this.signAttachment(id));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private mac(payload: string): string {
    return b64(createHmac('sha256', this.key).update(payload).digest());
  }
}
