/**
 * Files buyers send (payment screenshots, error pages): kept in SQLite as evidence for tickets and
 * agents. The type is decided from the bytes, never from what the client claims, and only formats
 * a browser shows without running anything are accepted (no SVG, no HTML).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';

export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'] as const;
export type AcceptedType = (typeof ACCEPTED_TYPES)[number];

/** The real type of a file from its first bytes; undefined for anything not accepted. */
export function sniffType(data: Uint8Array): AcceptedType | undefined {
  const b = data;
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return 'image/gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (b.length >= 5 && ascii(0, 5) === '%PDF-') return 'application/pdf';
  return undefined;
}

export interface AttachmentMeta {
  id: string;
  conversationId: string;
  channelId: string;
  userId: string;
  name: string;
  contentType: AcceptedType;
  size: number;
  sha256: string;
  ticketId?: string;
  createdAt: string;
}

interface Row {
  id: string;
  conversation_id: string;
  channel_id: string;
  user_id: string;
  name: string;
  content_type: AcceptedType;
  size: number;
  sha256: string;
  ticket_id: string | null;
  created_at: string;
}

const META = 'id, conversation_id, channel_id, user_id, name, content_type, size, sha256, ticket_id, created_at';
const toMeta = (r: Row): AttachmentMeta => ({
  id: r.id,
  conversationId: r.conversation_id,
  channelId: r.channel_id,
  userId: r.user_id,
  name: r.name,
  contentType: r.content_type,
  size: r.size,
  sha256: r.sha256,
  ticketId: r.ticket_id ?? undefined,
  createdAt: r.created_at,
});

/** A file name safe to show and to put in a header: no paths, no control characters, short. */
export function cleanFileName(name: string | undefined, type: AcceptedType): string {
  const ext = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'application/pdf': 'pdf' }[type];
  const base = (name ?? '')
    .normalize('NFKC')
    .replace(/^.*[\\/]/, '')
    .replace(/[\u0000-\u001f\u007f"<>|?*:]/g, '')
    .trim()
    .slice(0, 80);
  return base && base !== 'blob' ? base : `file.${ext}`;
}

export class AttachmentStore {
  private readonly insert;
  private readonly selectMeta;
  private readonly selectData;
  private readonly byConversation;
  private readonly linkTicket;

  constructor(db: Db) {
    this.insert = db.prepare(
      `INSERT INTO attachments (id, conversation_id, channel_id, user_id, name, content_type, size, sha256, data, created_at)
       VALUES (@id, @conversationId, @channelId, @userId, @name, @contentType, @size, @sha256, @data, @createdAt)`,
    );
    this.selectMeta = db.prepare<[string], Row>(`SELECT ${META} FROM attachments WHERE id = ?`);
    this.selectData = db.prepare<[string], Buffer>('SELECT data FROM attachments WHERE id = ?').pluck();
    this.byConversation = db.prepare<[string, string], Row>(`SELECT ${META} FROM attachments WHERE channel_id = ? AND conversation_id = ? ORDER BY created_at, id`);
    this.linkTicket = db.prepare('UPDATE attachments SET ticket_id = ? WHERE channel_id = ? AND conversation_id = ? AND ticket_id IS NULL');
  }

  /** Stores a file whose type was sniffed as accepted; undefined when it is not. */
  save(file: { conversationId: string; channelId: string; userId: string; name?: string; data: Buffer }, now: Date): AttachmentMeta | undefined {
    const contentType = sniffType(file.data);
    if (!contentType) return undefined;
    const meta: AttachmentMeta = {
      id: randomBytes(16).toString('base64url'),
      conversationId: file.conversationId,
      channelId: file.channelId,
      userId: file.userId,
      name: cleanFileName(file.name, contentType),
      contentType,
      size: file.data.length,
      sha256: createHash('sha256').update(file.data).digest('hex'),
      createdAt: now.toISOString(),
    };
    this.insert.run({ ...meta, data: file.data });
    return meta;
  }

  meta(id: string): AttachmentMeta | undefined {
    const r = this.selectMeta.get(id);
    return r ? toMeta(r) : undefined;
  }

  data(id: string): Buffer | undefined {
    return this.selectData.get(id);
  }

  forConversation(c: { channelId: string; conversationId: string }): AttachmentMeta[] {
    return this.byConversation.all(c.channelId, c.conversationId).map(toMeta);
  }

  /** Files of the conversation not yet on a ticket go onto this one; returns how many. */
  attachToTicket(c: { channelId: string; conversationId: string }, ticketId: string): number {
    return this.linkTicket.run(ticketId, c.channelId, c.conversationId).changes;
  }
}
