/** From what the buyer typed to a Lookup: order number, else alternative number, else close matches of *their own* orders. */
import type { Lookup } from '../diagnosis/index.js';
import type { Identifier } from '../understanding/index.js';
import { maskSecret } from './masking.js';
import type { OrderService } from './port.js';

export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export async function lookupIdentifier(orders: OrderService, id: Identifier, owner: { userId?: string; contact?: string }): Promise<Lookup> {
  if (id.kind === 'order_no') {
    const order = await orders.findByOrderNo(id.value);
    if (order) return { found: true, order, given: id.value, givenAs: 'order_no', via: 'order_no' };
  }
  const viaAlt = await orders.findByAltNo(id.value);
  if (viaAlt) return { found: true, order: viaAlt, given: id.value, givenAs: id.kind, via: 'alt_no' };
  let closeMatches: string[] = [];
  if (id.kind === 'order_no' && (owner.userId || owner.contact)) {
    // A logged-in buyer sees their own numbers; a contact someone merely typed only gets masked ones.
    const mine = await orders.findCandidates({ userId: owner.userId, contact: owner.userId ? undefined : owner.contact, limit: 50 });
    closeMatches = mine
      .map((o) => o.orderNo)
      .filter((no) => editDistance(no, id.value) <= 2)
      .slice(0, 3)
      .map((no) => (owner.userId ? no : maskSecret(no)));
  }
  return { found: false, given: id.value, givenAs: id.kind, closeMatches };
}
