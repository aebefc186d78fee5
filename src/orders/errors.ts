/**
 * What an order service may throw instead of answering. Anything else thrown by an adapter is a bug
 * and is treated like `ShopUnavailableError` by the dialogs (never as "not found").
 */

/** The shop's database or API could not answer (down, slow, refused, or sent something unreadable). */
export class ShopUnavailableError extends Error {
  constructor(
    readonly system: string,
    readonly reason: 'down' | 'timeout' | 'refused' | 'bad_response' | 'quota',
    detail: string,
  ) {
    super(`${system}: ${reason}: ${detail}`);
    this.name = 'ShopUnavailableError';
  }
}

/**
 * The shop shows an order only to someone who proves it is theirs (Dujiao-Next's guest lookup needs
 * the checkout email and the order password): ask for these, then `verifyOwnership`, then look again.
 */
export class ProofRequiredError extends Error {
  constructor(
    readonly orderNo: string,
    readonly needs: ReadonlyArray<'email' | 'contact' | 'queryPassword'>,
  ) {
    super(`order ${orderNo.slice(0, 4)}…: the shop needs ${needs.join(' + ')} before it shows this order`);
    this.name = 'ProofRequiredError';
  }
}

export function isShopUnavailable(e: unknown): e is ShopUnavailableError {
  return e instanceof ShopUnavailableError;
}
