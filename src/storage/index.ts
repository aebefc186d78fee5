/**
 * The storage seam. Everything the bot keeps goes through here: repositories per feature (async,
 * the same SQL on both backends: ./sql/), one unit of work per turn (./unitOfWork.ts) and what
 * instances share (./cluster.ts). `DATABASE_URL=postgres://…` picks PostgreSQL (several instances);
 * otherwise one SQLite file (one process). Nothing outside src/storage/ imports a database driver.
 */
import type { Storage as BotStorage } from 'botbuilder';
import type pino from 'pino';
import type { DirectLineRepo } from '../channels/directline/store.js';
import type { WeChatRepo } from '../channels/wechat/store.js';
import type { AgentRepo } from '../handoff/agents.js';
import type { HandoffRepo, TranscriptRepo } from '../handoff/index.js';
import type { LlmUsageRepo } from '../llm/client.js';
import type { DemoOrderRepo } from '../orders/demo/demoOrderService.js';
import type { WatchRepo } from '../notify/watches.js';
import type { OrderActionRepo } from '../orders/actions.js';
import type { CannedRepo } from '../handoff/canned.js';
import type { LimiterFactory, VerifyRepo } from '../orders/guards.js';
import type { TicketRepo } from '../tickets/index.js';
import type { AttachmentRepo } from './attachments.js';
import type { Bus, ConversationLock, Leadership, Presence } from './cluster.js';
import type { Sql } from './sql.js';
import { SqlAgentRepo } from './sql/agents.js';
import { SqlAttachmentRepo } from './sql/attachments.js';
import { SqlBotStorage } from './sql/botState.js';
import { SqlDemoOrderRepo } from './sql/demoOrders.js';
import { SqlDirectLineRepo } from './sql/directline.js';
import { SqlVerifyRepo } from './sql/guards.js';
import { SqlHandoffRepo, SqlTranscriptRepo } from './sql/handoffs.js';
import { SqlLlmUsageRepo } from './sql/llmUsage.js';
import { SqlWatchRepo } from './sql/watches.js';
import { SqlOrderActionRepo } from './sql/orderActions.js';
import { SqlCannedRepo } from './sql/canned.js';
import { SqlTicketRepo } from './sql/tickets.js';
import { SqlWeChatRepo } from './sql/wechat.js';

export interface Repos {
  botState: BotStorage;
  handoffs: HandoffRepo;
  transcript: TranscriptRepo;
  agents: AgentRepo;
  tickets: TicketRepo;
  attachments: AttachmentRepo;
  verify: VerifyRepo;
  directLine: DirectLineRepo;
  wechat: WeChatRepo;
  demoOrders: DemoOrderRepo;
  llmUsage: LlmUsageRepo;
  watches: WatchRepo;
  orderActions: OrderActionRepo;
  canned: CannedRepo;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** This instance's name among instances (presence rows, stream ownership, WeChat turns). */
  readonly instance: string;
  /** Where the data is (a file path, or the URL without its password), for log lines. */
  readonly where: string;
  readonly sql: Sql;
  readonly repos: Repos;
  readonly lock: ConversationLock;
  readonly bus: Bus;
  readonly leader: Leadership;
  readonly presence: Presence;
  /** Makes a rate limit (in memory for SQLite's one process, in the database for PostgreSQL). */
  readonly limiter: LimiterFactory;
  /** Whether the instance named `instance` is still running (it holds its liveness lock). */
  alive(instance: string): Promise<boolean>;
  /** An installation-wide value made once and kept (signing keys). */
  setting(key: string, make: () => string): Promise<string>;
  /** The schema version applied, and the one this code migrates to (readiness). */
  schema(): Promise<{ version: number; latest: number }>;
  close(): Promise<void>;
}

export function reposOn(sql: Sql): Repos {
  return {
    botState: new SqlBotStorage(sql),
    handoffs: new SqlHandoffRepo(sql),
    transcript: new SqlTranscriptRepo(sql),
    agents: new SqlAgentRepo(sql),
    tickets: new SqlTicketRepo(sql),
    attachments: new SqlAttachmentRepo(sql),
    verify: new SqlVerifyRepo(sql),
    directLine: new SqlDirectLineRepo(sql),
    wechat: new SqlWeChatRepo(sql),
    demoOrders: new SqlDemoOrderRepo(sql),
    llmUsage: new SqlLlmUsageRepo(sql),
    watches: new SqlWatchRepo(sql),
    orderActions: new SqlOrderActionRepo(sql),
    canned: new SqlCannedRepo(sql),
  };
}

export interface StorageOptions {
  /** postgres://… — PostgreSQL; unset — SQLite at `databaseFile`. */
  databaseUrl?: string;
  databaseFile: string;
  logger: pino.Logger;
  /** PostgreSQL pool size (connections per instance). */
  poolSize?: number;
  /** This instance's name (default: the process's); tests run several in one process. */
  instance?: string;
}

export async function openStore(opts: StorageOptions): Promise<Store> {
  if (opts.databaseUrl) {
    const { openPostgres } = await import('./postgres/index.js');
    return openPostgres(opts.databaseUrl, opts);
  }
  const { openSqlite } = await import('./sqlite/index.js');
  return openSqlite(opts.databaseFile, opts);
}
