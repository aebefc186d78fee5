/** Tokens the LLM used per shop day, in the counters table (both backends): one total for every instance. */
import type { LlmUsageRepo } from '../../llm/client.js';
import type { Sql } from '../sql.js';

export class SqlLlmUsageRepo implements LlmUsageRepo {
  constructor(private readonly sql: Sql) {}

  async add(day: string, tokens: number): Promise<number> {
    const row = await this.sql.get<{ value: number }>(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value RETURNING value',
      [`llm-tokens:${day}`, tokens],
    );
    return Number(row?.value ?? tokens);
  }

  async total(day: string): Promise<number> {
    return Number((await this.sql.get<{ value: number }>('SELECT value FROM counters WHERE name = ?', [`llm-tokens:${day}`]))?.value ?? 0);
  }
}
