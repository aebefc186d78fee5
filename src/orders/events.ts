/**
 * "This order may have moved": what a shop's webhook (dujiaoka api_hook, a Dujiao-Next callback, an
 * `http` contract event) or a courier push tells us. It carries no status we trust: whoever listens
 * (notify-me) reads the order again through the order service.
 */
export type OrderChangeSource = 'dujiaoka_hook' | 'dujiao_next_callback' | 'http_event' | 'kuaidi100_push' | 'poll' | 'operator';

export interface OrderChange {
  orderNo: string;
  source: OrderChangeSource;
}

export interface OrderEvents {
  changed(change: OrderChange): void;
  /** Returns the unsubscribe function. */
  on(listener: (change: OrderChange) => void | Promise<void>): () => void;
}

export class OrderEventHub implements OrderEvents {
  private readonly listeners = new Set<(change: OrderChange) => void | Promise<void>>();
  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  changed(change: OrderChange): void {
    for (const l of this.listeners) {
      try {
        Promise.resolve(l(change)).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  on(listener: (change: OrderChange) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
