/** Buyers' files in SQL (both backends): BLOB on SQLite, BYTEA on PostgreSQL. */
import type { AcceptedType, AttachmentMeta, AttachmentRepo } from '../attachments.js';
import type { Sql } from '../sql.js';

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

export class SqlAttachmentRepo implements AttachmentRepo {
  constructor(private readonly sql: Sql) {}

  async insert(m: AttachmentMeta, data: Buffer): Promise<void> {
    await this.sql.run(
      `INSERT INTO attachments (id, conversation_id, channel_id, user_id, name, content_type, size, sha256, data, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [m.id, m.conversationId, m.channelId, m.userId, m.name, m.contentType, m.size, m.sha256, data, m.createdAt],
    );
  }

  async meta(id: string): Promise<AttachmentMeta | undefined> {
    const r = await this.sql.get<Row>(`SELECT ${META} FROM attachments WHERE id = ?`, [id]);
    return r ? toMeta(r) : undefined;
  }

  async data(id: string): Promise<Buffer | undefined> {
    return (await this.sql.get<{ data: Buffer }>('SELECT data FROM attachments WHERE id = ?', [id]))?.data;
  }

  async forConversation(c: { channelId: string; conversationId: string }): Promise<AttachmentMeta[]> {
    return (await this.sql.all<Row>(`SELECT ${META} FROM attachments WHERE channel_id = ? AND conversation_id = ? ORDER BY created_at, id`, [c.channelId, c.conversationId])).map(
      toMeta,
    );
  }

  async attachToTicket(c: { channelId: string; conversationId: string }, ticketId: string): Promise<number> {
    return this.sql.run('UPDATE attachments SET ticket_id = ? WHERE channel_id = ? AND conversation_id = ? AND ticket_id IS NULL', [ticketId, c.channelId, c.conversationId]);
  }
}
