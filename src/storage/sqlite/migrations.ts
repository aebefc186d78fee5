/** The SQLite schema, versioned. Append only: never edit a migration that has shipped. */
import type { Migration } from '../migration.js';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'bot state',
    sql: `
      CREATE TABLE bot_state (
        key TEXT PRIMARY KEY,
        etag TEXT NOT NULL,
        doc TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'demo shop orders',
    sql: `
      CREATE TABLE demo_orders (
        order_no TEXT PRIMARY KEY,
        buyer_user_id TEXT,
        buyer_contact TEXT,
        buyer_email TEXT,
        query_password_hash TEXT,
        product_type TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        paid_at INTEGER,
        doc TEXT NOT NULL
      );
      CREATE INDEX demo_orders_user ON demo_orders (buyer_user_id, paid_at);
      CREATE INDEX demo_orders_contact ON demo_orders (buyer_contact, paid_at);
      CREATE INDEX demo_orders_email ON demo_orders (buyer_email, paid_at);
      CREATE TABLE demo_order_alt_nos (
        alt_no TEXT PRIMARY KEY,
        order_no TEXT NOT NULL REFERENCES demo_orders(order_no) ON DELETE CASCADE
      );`,
  },
  {
    version: 3,
    name: 'tickets, handoffs, transcript, verification attempts',
    sql: `
      CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        order_no TEXT,
        payment_time TEXT,
        product_type TEXT,
        cause TEXT,
        symptom TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL,
        due_at TEXT NOT NULL
      );
      CREATE INDEX tickets_conversation ON tickets (conversation_id);
      CREATE TABLE handoff_requests (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL,
        reason TEXT NOT NULL,
        context TEXT NOT NULL,
        conversation_ref TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX handoff_state ON handoff_requests (state, priority, created_at);
      CREATE TABLE transcript (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX transcript_conversation ON transcript (conversation_id, seq);
      CREATE TABLE verify_attempts (
        order_no TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until INTEGER,
        updated_at INTEGER NOT NULL
      );`,
  },
  {
    version: 4,
    name: 'knowledge index',
    sql: `
      CREATE TABLE knowledge_articles (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        keywords TEXT NOT NULL,
        causes TEXT NOT NULL,
        body TEXT NOT NULL,
        file TEXT NOT NULL
      );
      CREATE VIRTUAL TABLE knowledge_fts USING fts5 (id UNINDEXED, title, keywords, body, tokenize = 'trigram');`,
  },
  {
    version: 5,
    name: 'direct line conversations and activity log, settings',
    sql: `
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE dl_conversations (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        buyer TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE dl_activities (
        conversation_id TEXT NOT NULL REFERENCES dl_conversations(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        activity TEXT NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      ) WITHOUT ROWID;`,
  },
  {
    version: 6,
    name: 'handoff requests by conversation',
    sql: `CREATE INDEX handoff_conversation ON handoff_requests (conversation_id, state);`,
  },
  {
    version: 7,
    name: 'attachments (files buyers send: evidence for tickets and agents)',
    sql: `
      CREATE TABLE attachments (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        ticket_id TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX attachments_conversation ON attachments (conversation_id, created_at);
      CREATE INDEX attachments_ticket ON attachments (ticket_id);`,
  },
  {
    version: 8,
    name: 'wechat: inbound dedupe, outbox, customer-service windows, access tokens',
    sql: `
      CREATE TABLE wechat_inbound (
        key TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        state TEXT NOT NULL,
        boot TEXT NOT NULL,
        reply TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX wechat_inbound_created ON wechat_inbound (created_at);
      CREATE TABLE wechat_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        error TEXT,
        ticket_id TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX wechat_outbox_pending ON wechat_outbox (state, next_at);
      CREATE TABLE wechat_windows (
        channel TEXT NOT NULL,
        user_id TEXT NOT NULL,
        closes_at INTEGER NOT NULL,
        quota INTEGER NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel, user_id)
      );
      CREATE TABLE wechat_tokens (
        channel TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );`,
  },
  {
    version: 9,
    name: 'live agents: accounts, sessions, audit, handoff lifecycle and relay log, ratings',
    sql: `
      CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
      CREATE TABLE agent_sessions (
        id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE agent_audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        agent_id TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT,
        at TEXT NOT NULL
      );
      ALTER TABLE handoff_requests ADD COLUMN agent_id TEXT;
      ALTER TABLE handoff_requests ADD COLUMN assigned_at TEXT;
      ALTER TABLE handoff_requests ADD COLUMN resolved_at TEXT;
      ALTER TABLE handoff_requests ADD COLUMN outcome TEXT;
      ALTER TABLE handoff_requests ADD COLUMN rating INTEGER;
      ALTER TABLE handoff_requests ADD COLUMN rated_at TEXT;
      CREATE TABLE handoff_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        handoff_id TEXT,
        conversation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        agent_id TEXT,
        text TEXT NOT NULL,
        at TEXT NOT NULL,
        delivered_at TEXT
      );
      CREATE INDEX handoff_messages_handoff ON handoff_messages (handoff_id, seq);
      CREATE INDEX handoff_messages_undelivered ON handoff_messages (delivered_at) WHERE delivered_at IS NULL AND kind = 'agent';
      ALTER TABLE tickets ADD COLUMN conversation_ref TEXT;
      ALTER TABLE tickets ADD COLUMN answer TEXT;
      ALTER TABLE tickets ADD COLUMN answered_by TEXT;
      ALTER TABLE tickets ADD COLUMN answered_at TEXT;`,
  },
  {
    version: 10,
    name: "conversations are named by channel and id together (no channel can address another channel's conversation)",
    sql: `
      ALTER TABLE transcript ADD COLUMN channel_id TEXT NOT NULL DEFAULT '';
      UPDATE transcript SET channel_id = CASE
        WHEN conversation_id IN (SELECT id FROM dl_conversations) THEN 'directline'
        WHEN conversation_id LIKE 'wechat:%' THEN 'wechat'
        WHEN conversation_id LIKE 'wecom:%' THEN 'wecom'
        ELSE COALESCE((SELECT h.channel_id FROM handoff_requests h WHERE h.conversation_id = transcript.conversation_id LIMIT 1), '') END;
      DROP INDEX transcript_conversation;
      CREATE INDEX transcript_conversation ON transcript (channel_id, conversation_id, seq);
      DROP INDEX handoff_conversation;
      CREATE INDEX handoff_conversation ON handoff_requests (channel_id, conversation_id, state);
      DROP INDEX tickets_conversation;
      CREATE INDEX tickets_conversation ON tickets (channel_id, conversation_id);
      DROP INDEX attachments_conversation;
      CREATE INDEX attachments_conversation ON attachments (channel_id, conversation_id, created_at);`,
  },
  {
    version: 11,
    name: 'failed ownership checks per claimant (conversation, buyer, client), besides per order',
    sql: `
      CREATE TABLE verify_failures (
        order_no TEXT NOT NULL,
        claimant TEXT NOT NULL,
        failures INTEGER NOT NULL,
        locked_until INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (order_no, claimant)
      ) WITHOUT ROWID;`,
  },
  {
    version: 12,
    name: 'wechat: signed queries seen (a captured signature cannot carry another body); masked twins of queued replies',
    sql: `
      CREATE TABLE wechat_nonces (
        key TEXT PRIMARY KEY,
        body_sha256 TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX wechat_nonces_expiry ON wechat_nonces (expires_at);
      ALTER TABLE wechat_outbox ADD COLUMN record_text TEXT;`,
  },
  {
    version: 13,
    name: "direct line: activities by id and by the client's clientActivityID (a re-post is one turn)",
    sql: `
      ALTER TABLE dl_activities ADD COLUMN activity_id TEXT;
      ALTER TABLE dl_activities ADD COLUMN client_activity_id TEXT;
      UPDATE dl_activities SET activity_id = json_extract(activity, '$.id'),
        client_activity_id = CASE WHEN json_extract(activity, '$.from.role') = 'user' THEN json_extract(activity, '$.channelData.clientActivityID') END;
      CREATE UNIQUE INDEX dl_activities_id ON dl_activities (conversation_id, activity_id);
      CREATE INDEX dl_activities_client_id ON dl_activities (conversation_id, client_activity_id) WHERE client_activity_id IS NOT NULL;`,
  },
  {
    version: 14,
    name: 'tickets keep what the bot told the buyer',
    sql: `ALTER TABLE tickets ADD COLUMN told TEXT;
      ALTER TABLE handoff_requests ADD COLUMN rating_comment TEXT;`,
  },
  {
    version: 15,
    name: 'the knowledge index lives in memory (static files; every instance builds its own)',
    sql: `DROP TABLE IF EXISTS knowledge_fts;
      DROP TABLE IF EXISTS knowledge_articles;`,
  },
  {
    version: 16,
    name: 'several instances: counters instead of MAX+1 or COUNT+1, the Direct Line log sequence per conversation, outbox leases, shared rate limits and agent presence',
    sql: `
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO counters (name, value)
        SELECT 'ticket:' || substr(id, 2, 6), MAX(CAST(substr(id, 8) AS INTEGER)) FROM tickets WHERE id GLOB 'T[0-9]*' GROUP BY substr(id, 2, 6);
      ALTER TABLE dl_conversations ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
      UPDATE dl_conversations SET last_seq = COALESCE((SELECT MAX(seq) FROM dl_activities a WHERE a.conversation_id = dl_conversations.id), 0);
      ALTER TABLE wechat_outbox ADD COLUMN claimed_until INTEGER;
      ALTER TABLE wechat_outbox ADD COLUMN claimed_by TEXT;
      CREATE TABLE rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);
      CREATE TABLE agent_presence (
        instance TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (instance, agent_id)
      );`,
  },
  {
    version: 17,
    name: '"到了告诉我": watches on orders, polled and woken by shop events, one message per change',
    sql: `
      CREATE TABLE order_watches (
        id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        order_no TEXT NOT NULL,
        conversation_ref TEXT NOT NULL,
        masked INTEGER NOT NULL DEFAULT 0,
        proof TEXT,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        interval_min INTEGER NOT NULL,
        next_check_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_until INTEGER,
        notified INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX order_watches_due ON order_watches (state, next_check_at);
      CREATE INDEX order_watches_order ON order_watches (order_no);
      CREATE UNIQUE INDEX order_watches_one ON order_watches (channel_id, conversation_id, order_no) WHERE state = 'active';`,
  },
  {
    version: 18,
    name: "agents' actions on orders (a code re-issued, a refund, a note): what the bot answers from next",
    sql: `
      CREATE TABLE order_actions (
        id TEXT PRIMARY KEY,
        order_no TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX order_actions_order ON order_actions (order_no, at);`,
  },
  {
    version: 19,
    name: "the console: canned responses shared by agents, tickets claimed by an agent, a handoff's order number (search), a buyer's earlier conversations",
    sql: `
      CREATE TABLE canned_responses (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        causes TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      ALTER TABLE tickets ADD COLUMN claimed_by TEXT;
      ALTER TABLE tickets ADD COLUMN claimed_at TEXT;
      ALTER TABLE handoff_requests ADD COLUMN order_no TEXT;
      UPDATE handoff_requests SET order_no = CASE WHEN json_valid(context) THEN json_extract(context, '$.orderNo') END;
      CREATE INDEX handoff_order ON handoff_requests (order_no);
      CREATE INDEX handoff_user ON handoff_requests (channel_id, user_id, created_at);
      CREATE INDEX handoff_ended ON handoff_requests (state, resolved_at);`,
  },
];
