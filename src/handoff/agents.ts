/**
 * Agent accounts for the console: passwords as scrypt hashes (never stored or logged in clear),
 * sessions as random tokens of which only a SHA-256 is stored, a CSRF token per session, and an
 * audit trail of sensitive actions (revealing a card code).
 */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Db } from '../storage/db.js';
import { statementCache } from '../storage/statements.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
export const MIN_PASSWORD = 8;

/** Throws when a password is too weak to set (said before anything is asked twice or stored). */
export function requireStrongPassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new Error(`password: at least ${MIN_PASSWORD} characters`);
}

const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const SESSION_HOURS = 12;

export interface Agent {
  id: string;
  username: string;
  displayName: string;
}

export interface AgentSession {
  agent: Agent;
  csrf: string;
  expiresAt: number;
}

/** "scrypt$N$r$p$salt$hash", all base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password.normalize('NFKC'), salt, 32, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const got = await scryptAsync(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

export class AgentStore {
  private readonly dummyHash: Promise<string>;
  /** Prepared once per SQL text (the console and the relay ask the same questions all day). */
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(db: Db) {
    this.sql = statementCache(db);
    // Unknown user names cost as much as wrong passwords (no timing oracle for valid names).
    this.dummyHash = hashPassword(randomBytes(16).toString('hex'));
  }

  async create(username: string, displayName: string, password: string): Promise<Agent> {
    if (!/^[A-Za-z0-9_.-]{2,32}$/.test(username)) throw new Error('user name: 2–32 letters, digits, _ . -');
    requireStrongPassword(password);
    const agent: Agent = { id: randomUUID(), username, displayName: displayName.trim().slice(0, 32) || username };
    const hash = await hashPassword(password);
    this.sql('INSERT INTO agents (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
      agent.id,
      agent.username,
      agent.displayName,
      hash,
      new Date().toISOString(),
    );
    return agent;
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    requireStrongPassword(password);
    const hash = await hashPassword(password);
    const changed = this.sql('UPDATE agents SET password_hash = ? WHERE username = ?').run(hash, username).changes === 1;
    if (changed) this.sql('DELETE FROM agent_sessions WHERE agent_id = (SELECT id FROM agents WHERE username = ?)').run(username);
    return changed;
  }

  count(): number {
    return this.sql('SELECT COUNT(*) FROM agents').pluck().get() as number;
  }

  list(): Agent[] {
    return (
      this.sql('SELECT id, username, display_name FROM agents WHERE disabled = 0 ORDER BY username').all() as Array<{ id: string; username: string; display_name: string }>
    ).map((r) => ({ id: r.id, username: r.username, displayName: r.display_name }));
  }

  get(id: string): Agent | undefined {
    const r = this.sql('SELECT id, username, display_name FROM agents WHERE id = ? AND disabled = 0').get(id) as { id: string; username: string; display_name: string } | undefined;
    return r ? { id: r.id, username: r.username, displayName: r.display_name } : undefined;
  }

  /** A new session (cookie token, CSRF token) when the password is right. */
  async login(username: string, password: string): Promise<{ token: string; session: AgentSession } | undefined> {
    const row = this.sql('SELECT id, username, display_name, password_hash FROM agents WHERE username = ? AND disabled = 0').get(username) as
      | { id: string; username: string; display_name: string; password_hash: string }
      | undefined;
    const ok = await checkPassword(password, row?.password_hash ?? (await this.dummyHash));
    if (!row || !ok) return undefined;
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = Date.now();
    const expiresAt = now + SESSION_HOURS * 3_600_000;
    this.sql('DELETE FROM agent_sessions WHERE expires_at < ?').run(now);
    this.sql('INSERT INTO agent_sessions (id, agent_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(digest(token), row.id, csrf, now, expiresAt);
    return { token, session: { agent: { id: row.id, username: row.username, displayName: row.display_name }, csrf, expiresAt } };
  }

  session(token: string | undefined): AgentSession | undefined {
    if (!token || token.length > 200) return undefined;
    const r = this.sql(
      'SELECT a.id, a.username, a.display_name, s.csrf, s.expires_at FROM agent_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.id = ? AND a.disabled = 0',
    ).get(digest(token)) as { id: string; username: string; display_name: string; csrf: string; expires_at: number } | undefined;
    if (!r || r.expires_at < Date.now()) return undefined;
    return { agent: { id: r.id, username: r.username, displayName: r.display_name }, csrf: r.csrf, expiresAt: r.expires_at };
  }

  logout(token: string): void {
    this.sql('DELETE FROM agent_sessions WHERE id = ?').run(digest(token));
  }

  audit(agentId: string, action: string, subject: string, detail?: string): void {
    this.sql('INSERT INTO agent_audit (agent_id, action, subject, detail, at) VALUES (?, ?, ?, ?, ?)').run(agentId, action, subject, detail ?? null, new Date().toISOString());
  }

  auditLog(limit = 100): Array<{ agentId: string; action: string; subject: string; detail: string | null; at: string }> {
    return (
      this.sql('SELECT agent_id, action, subject, detail, at FROM agent_audit ORDER BY seq DESC LIMIT ?').all(limit) as Array<{
        agent_id: string;
        action: string;
        subject: string;
        detail: string | null;
        at: string;
      }>
    ).map((r) => ({ agentId: r.agent_id, action: r.action, subject: r.subject, detail: r.detail, at: r.at }));
  }
}
