/**
 * A reply and what the records keep of it. A reply that shows secrets (codes revealed to their
 * verified owner) carries a masked twin in channelData; the transcript, the agent console and
 * tickets keep the twin, and channels never show channelData's twin to anyone.
 */
export const RECORD_TEXT = 'recordText';

/** What records keep of an outgoing activity: its masked twin when it has one. */
export function recordText(a: { text?: string; channelData?: unknown }): string {
  const twin = (a.channelData as Record<string, unknown> | undefined)?.[RECORD_TEXT];
  return typeof twin === 'string' ? twin : (a.text ?? '');
}

/** The activity as a channel should deliver it: without the twin. */
export function withoutRecord<A extends { channelData?: unknown }>(a: A): A {
  const data = a.channelData as Record<string, unknown> | undefined;
  if (!data || !(RECORD_TEXT in data)) return a;
  const { [RECORD_TEXT]: _twin, ...rest } = data;
  return { ...a, channelData: Object.keys(rest).length ? rest : undefined };
}
