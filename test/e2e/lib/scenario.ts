// What a scenario is and what it gets: the workbench, the code-server, the workspace and the test databases.
import type { CodeServer } from './code-server';
import type { Workbench } from './workbench';

export interface DbServer {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface E2EContext {
  wb: Workbench;
  server: CodeServer;
  /** The folder open in the workbench; task files land in its .ferry/. */
  workspace: string;
  mysql: DbServer;
  pg: DbServer;
  /** The MariaDB database holding Sakila (loaded before the run). */
  sourceDb: string;
  /** The empty PostgreSQL database the migration goes to. */
  targetDb: string;
  /** Names the scenarios agree on (connection and task names), so later scenarios find earlier work. */
  names: { mysqlConnection: string; pgConnection: string; task: string };
  /** Facts one scenario leaves for the next (e.g. the edited table's id). */
  notes: Map<string, string>;
}

export interface Scenario {
  /** A sentence about what the user does and sees. */
  name: string;
  /** Folder of its screenshots under test/e2e/screenshots/. */
  dir: string;
  /** Upper bound of its run time; the runner fails it (and goes on) when exceeded. */
  timeoutMs: number;
  run(ctx: E2EContext): Promise<void>;
}

/** Assertion failure with the values compared, for the one-line scenario report. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
