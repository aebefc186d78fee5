/** A versioned schema change; each backend has its own list (sqlite/migrations.ts, postgres/migrations.ts). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}
