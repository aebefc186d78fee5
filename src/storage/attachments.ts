/**
 * Files buyers send (payment screenshots, error pages): kept in the database as evidence for tickets and
 * agents. The type is decided from the bytes, never from what the client claims, and only formats
 * a browser shows without running anything are accepted (no SVG, no HTML).
 */
import { createHash, randomBytes } from 'node:crypto';

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

/** Where files are kept (storage/sql/attachments.ts). */
export interface AttachmentRepo {
  insert(meta: AttachmentMeta, data: Buffer): Promise<void>;
  meta(id: string): Promise<AttachmentMeta | undefined>;
  data(id: string): Promise<Buffer | undefined>;
  forConversation(c: { channelId: string; conversationId: string }): Promise<AttachmentMeta[]>;
  /** Files of the conversation not yet on a ticket go onto this one; returns how many. */
  attachToTicket(c: { channelId: string; conversationId: string }, ticketId: string): Promise<number>;
}

export class AttachmentStore {
  constructor(private readonly repo: AttachmentRepo) {}

  /** Stores a file whose type was sniffed as accepted; undefined when it is not. */
  async save(file: { conversationId: string; channelId: string; userId: string; name?: string; data: Buffer }, now: Date): Promise<AttachmentMeta | undefined> {
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
    await this.repo.insert(meta, file.data);
    return meta;
  }

  meta(id: string): Promise<AttachmentMeta | undefined> {
    return this.repo.meta(id);
  }

  data(id: string): Promise<Buffer | undefined> {
    return this.repo.data(id);
  }

  forConversation(c: { channelId: string; conversationId: string }): Promise<AttachmentMeta[]> {
    return this.repo.forConversation(c);
  }

  attachToTicket(c: { channelId: string; conversationId: string }, ticketId: string): Promise<number> {
    return this.repo.attachToTicket(c, ticketId);
  }
}
