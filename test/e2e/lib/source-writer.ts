// A client that keeps changing the source while the task replicates: inserts, updates and deletes at a
// steady, bounded rate, and says exactly what it did so the target can be checked for it.
import type mysql from 'mysql2/promise';
import { mysqlAdmin } from '../../helpers/db';

export interface WriterTally {
  inserted: number;
  updated: number;
  deleted: number;
}

export class SourceWriter {
  readonly tally: WriterTally = { inserted: 0, updated: 0, deleted: 0 };
  private running = true;
  private loop?: Promise<void>;
  private error?: unknown;

  private constructor(private readonly conn: mysql.Connection) {}

  /** Starts writing to Sakila in `database`: about `perSecond` statements a second, at most `maxOps`. */
  static async start(database: string, perSecond = 5, maxOps = 2000): Promise<SourceWriter> {
    const w = new SourceWriter(await mysqlAdmin(database));
    w.loop = w.run(1000 / perSecond, maxOps).catch((e) => { w.error = e; });
    return w;
  }

  private async run(intervalMs: number, maxOps: number): Promise<void> {
    for (let i = 0; this.running && i < maxOps; i++) {
      if (i % 5 === 4) {
        // Delete the oldest actor this writer added (no film refers to it).
        const [r] = await this.conn.query("DELETE FROM actor WHERE first_name = 'E2E' ORDER BY actor_id LIMIT 1");
        this.tally.deleted += (r as { affectedRows: number }).affectedRows;
      } else if (i % 2 === 0) {
        await this.conn.query("INSERT INTO actor (first_name, last_name) VALUES ('E2E', ?)", [`WRITER ${i} ü ' \\ "`]);
        this.tally.inserted++;
      } else {
        const [r] = await this.conn.query('UPDATE film SET rental_rate = rental_rate + 0.01, description = CONCAT(description, ?) WHERE film_id = ?',
          ['.', (i % 1000) + 1]);
        this.tally.updated += (r as { affectedRows: number }).affectedRows;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  async stop(): Promise<WriterTally> {
    this.running = false;
    await this.loop;
    await this.conn.end().catch(() => undefined);
    if (this.error) throw this.error;
    return this.tally;
  }
}
