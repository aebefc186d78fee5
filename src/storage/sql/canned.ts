/** Canned responses in SQL (both backends); see src/handoff/canned.ts. Causes are kept as a comma-separated list. */
import type { CannedInput, CannedRepo, CannedResponse } from '../../handoff/canned.js';
import type { Sql } from '../sql.js';

interface Row {
  id: string;
  title: string;
  body: string;
  causes: string;
  created_by: string;
  updated_by: string;
  created_at: number | string;
  updated_at: number | string;
}
const toCanned = (r: Row): CannedResponse => ({
  id: r.id,
  title: r.title,
  body: r.body,
  causes: (r.causes ? r.causes.split(',') : []) as CannedResponse['causes'],
  createdBy: r.created_by,
  updatedBy: r.updated_by,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});
const COLS = 'id, title, body, causes, created_by, updated_by, created_at, updated_at';

export class SqlCannedRepo implements CannedRepo {
  constructor(private readonly sql: Sql) {}

  async list(): Promise<CannedResponse[]> {
    return (await this.sql.all<Row>(`SELECT ${COLS} FROM canned_responses ORDER BY title, id LIMIT 500`)).map(toCanned);
  }

  async get(id: string): Promise<CannedResponse | undefined> {
    const r = await this.sql.get<Row>(`SELECT ${COLS} FROM canned_responses WHERE id = ?`, [id]);
    return r ? toCanned(r) : undefined;
  }

  async insert(c: CannedResponse): Promise<void> {
    await this.sql.run(`INSERT INTO canned_responses (${COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      c.id,
      c.title,
      c.body,
      c.causes.join(','),
      c.createdBy,
      c.updatedBy,
      c.createdAt,
      c.updatedAt,
    ]);
  }

  async update(id: string, input: CannedInput, agentId: string, at: number): Promise<boolean> {
    return (
      (await this.sql.run('UPDATE canned_responses SET title = ?, body = ?, causes = ?, updated_by = ?, updated_at = ? WHERE id = ?', [
        input.title,
        input.body,
        input.causes.join(','),
        agentId,
        at,
        id,
      ])) === 1
    );
  }

  async remove(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM canned_responses WHERE id = ?', [id])) === 1;
  }
}
