/** Agent accounts, sessions (by token digest) and the audit trail, in SQL (both backends). */
import type { Agent, AgentRepo, AuditEntry, SessionRow } from '../../handoff/agents.js';
import type { Sql } from '../sql.js';

type AgentRow = { id: string; username: string; display_name: string };
const toAgent = (r: AgentRow): Agent => ({ id: r.id, username: r.username, displayName: r.display_name });

export class SqlAgentRepo implements AgentRepo {
  constructor(private readonly sql: Sql) {}

  async insert(agent: Agent, passwordHash: string, createdAt: string): Promise<void> {
    await this.sql.run('INSERT INTO agents (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)', [
      agent.id,
      agent.username,
      agent.displayName,
      passwordHash,
      createdAt,
    ]);
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return this.sql.tx(async () => {
      const changed = (await this.sql.run('UPDATE agents SET password_hash = ? WHERE username = ?', [passwordHash, username])) === 1;
      if (changed) await this.sql.run('DELETE FROM agent_sessions WHERE agent_id = (SELECT id FROM agents WHERE username = ?)', [username]);
      return changed;
    });
  }

  async count(): Promise<number> {
    return Number((await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM agents'))?.n ?? 0);
  }

  async list(): Promise<Agent[]> {
    return (await this.sql.all<AgentRow>('SELECT id, username, display_name FROM agents WHERE disabled = 0 ORDER BY username')).map(toAgent);
  }

  async get(id: string): Promise<Agent | undefined> {
    const r = await this.sql.get<AgentRow>('SELECT id, username, display_name FROM agents WHERE id = ? AND disabled = 0', [id]);
    return r ? toAgent(r) : undefined;
  }

  async withHash(username: string): Promise<(Agent & { passwordHash: string }) | undefined> {
    const r = await this.sql.get<AgentRow & { password_hash: string }>('SELECT id, username, display_name, password_hash FROM agents WHERE username = ? AND disabled = 0', [
      username,
    ]);
    return r ? { ...toAgent(r), passwordHash: r.password_hash } : undefined;
  }

  async addSession(digest: string, agentId: string, csrf: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run('DELETE FROM agent_sessions WHERE expires_at < ?', [now]);
    await this.sql.run('INSERT INTO agent_sessions (id, agent_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [digest, agentId, csrf, now, expiresAt]);
  }

  async session(digest: string): Promise<SessionRow | undefined> {
    const r = await this.sql.get<AgentRow & { csrf: string; expires_at: number }>(
      'SELECT a.id, a.username, a.display_name, s.csrf, s.expires_at FROM agent_sessions s JOIN agents a ON a.id = s.agent_id WHERE s.id = ? AND a.disabled = 0',
      [digest],
    );
    return r ? { agent: toAgent(r), csrf: r.csrf, expiresAt: Number(r.expires_at) } : undefined;
  }

  async dropSession(digest: string): Promise<void> {
    await this.sql.run('DELETE FROM agent_sessions WHERE id = ?', [digest]);
  }

  async audit(e: Omit<AuditEntry, 'detail'> & { detail?: string }): Promise<void> {
    await this.sql.run('INSERT INTO agent_audit (agent_id, action, subject, detail, at) VALUES (?, ?, ?, ?, ?)', [e.agentId, e.action, e.subject, e.detail ?? null, e.at]);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    const rows = await this.sql.all<{ agent_id: string; action: string; subject: string; detail: string | null; at: string }>(
      'SELECT agent_id, action, subject, detail, at FROM agent_audit ORDER BY seq DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ agentId: r.agent_id, action: r.action, subject: r.subject, detail: r.detail, at: r.at }));
  }
}
