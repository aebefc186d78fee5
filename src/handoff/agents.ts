/**
 * Agent accounts for the console: passwords as scrypt hashes (never stored or logged in clear),
 * sessions as random tokens of which only a SHA-256 is stored, a CSRF token per session, and an
 * audit trail of sensitive actions (revealing a card code).
 */
import { createHash, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

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

export interface SessionRow {
  agent: Agent;
  csrf: string;
  expiresAt: number;
}
export interface AuditEntry {
  agentId: string;
  action: string;
  subject: string;
  detail: string | null;
  at: string;
}

/** Where accounts and sessions are kept (storage/sql/agents.ts); sessions are found by the token's digest. */
export interface AgentRepo {
  insert(agent: Agent, passwordHash: string, createdAt: string): Promise<void>;
  /** Also ends the agent's sessions; false when there is no such user. */
  setPasswordHash(username: string, passwordHash: string): Promise<boolean>;
  count(): Promise<number>;
  list(): Promise<Agent[]>;
  get(id: string): Promise<Agent | undefined>;
  withHash(username: string): Promise<(Agent & { passwordHash: string }) | undefined>;
  /** Adds a session (and drops expired ones). */
  addSession(digest: string, agentId: string, csrf: string, now: number, expiresAt: number): Promise<void>;
  session(digest: string): Promise<SessionRow | undefined>;
  dropSession(digest: string): Promise<void>;
  audit(e: Omit<AuditEntry, 'detail'> & { detail?: string }): Promise<void>;
  auditLog(limit: number): Promise<AuditEntry[]>;
}

export class AgentStore {
  private readonly dummyHash: Promise<string>;

  constructor(private readonly repo: AgentRepo) {
    // Unknown user names cost as much as wrong passwords (no timing oracle for valid names).
    this.dummyHash = hashPassword(randomBytes(16).toString('hex'));
  }

  async create(username: string, displayName: string, password: string): Promise<Agent> {
    if (!/^[A-Za-z0-9_.-]{2,32}$/.test(username)) throw new Error('user name: 2–32 letters, digits, _ . -');
    requireStrongPassword(password);
    const agent: Agent = { id: randomUUID(), username, displayName: displayName.trim().slice(0, 32) || username };
    await this.repo.insert(agent, await hashPassword(password), new Date().toISOString());
    return agent;
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    requireStrongPassword(password);
    return this.repo.setPasswordHash(username, await hashPassword(password));
  }

  count(): Promise<number> {
    return this.repo.count();
  }

  list(): Promise<Agent[]> {
    return this.repo.list();
  }

  get(id: string): Promise<Agent | undefined> {
    return this.repo.get(id);
  }

  /** A new session (cookie token, CSRF token) when the password is right. */
  async login(username: string, password: string): Promise<{ token: string; session: AgentSession } | undefined> {
    const row = await this.repo.withHash(username);
    const ok = await checkPassword(password, row?.passwordHash ?? (await this.dummyHash));
    if (!row || !ok) return undefined;
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = Date.now();
    const expiresAt = now + SESSION_HOURS * 3_600_000;
    await this.repo.addSession(digest(token), row.id, csrf, now, expiresAt);
    return { token, session: { agent: { id: row.id, username: row.username, displayName: row.displayName }, csrf, expiresAt } };
  }

  async session(token: string | undefined): Promise<AgentSession | undefined> {
    if (!token || token.length > 200) return undefined;
    const r = await this.repo.session(digest(token));
    if (!r || r.expiresAt < Date.now()) return undefined;
    return r;
  }

  logout(token: string): Promise<void> {
    return this.repo.dropSession(digest(token));
  }

  audit(agentId: string, action: string, subject: string, detail?: string): Promise<void> {
    return this.repo.audit({ agentId, action, subject, detail, at: new Date().toISOString() });
  }

  auditLog(limit = 100): Promise<AuditEntry[]> {
    return this.repo.auditLog(limit);
  }
}
