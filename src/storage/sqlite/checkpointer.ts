/**
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoints, every ~1,000 pages one
 * unlucky commit copies the WAL into the database and fsyncs it on the main thread, stalling every
 * conversation for milliseconds (the Direct Line bench showed it as half the cost of an append).
 * Here the bot's connection never checkpoints; a worker thread with its own connection runs a
 * PASSIVE checkpoint (never blocks writers or readers) every `intervalMs`, and a last one on stop.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';

// The worker is CommonJS source (an eval'd worker), so it runs the same under tsx, node and vitest.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// A RESTART checkpoint holds the write lock while it waits for readers: never wait long, so the
// bot's writes are held up for the copy of a few frames at most. Busy now means: try next time.
db.pragma('busy_timeout = ' + workerData.busyMs);
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // Under steady writes a passive checkpoint never catches up, and the WAL only rewinds once one
    // has: when it has grown long, take the write lock briefly (the frames are already copied).
    if (r && r.log >= workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    // Busy means the bot is writing: the next tick tries again. Anything else is worth a log line.
    if (!err || err.code !== 'SQLITE_BUSY') parentPort.postMessage({ error: String((err && err.message) || err) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /**
   * Asks the worker for a last checkpoint and to close; resolves once the worker has exited (its
   * connection closed, the WAL and shared-memory files gone with it). Safe to call before or after
   * closing the bot's connection, and more than once.
   */
  stop(): Promise<void>;
}

/** Starts background checkpoints for a file database; a no-op for in-memory ones. */
export function startCheckpointer(db: Db, opts: { intervalMs?: number; restartFrames?: number; busyMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  if (db.memory || !db.name || db.name === ':memory:') return { stop: async () => undefined };
  db.pragma('wal_autocheckpoint = 0');
  // Once a checkpoint has caught up, SQLite rewinds the WAL; this keeps the file itself small too.
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file: db.name, driver, busyMs: opts.busyMs ?? 20, intervalMs: opts.intervalMs ?? 1000, restartFrames: opts.restartFrames ?? 4000 },
  });
  worker.unref(); // never keeps the process alive
  worker.on('message', (m: { error?: string }) => void (m.error && opts.onError?.(m.error)));
  worker.on('error', (err) => opts.onError?.(err.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping = false;
  return {
    stop() {
      if (!stopping) {
        stopping = true;
        worker.ref(); // whoever waits for the stop keeps the process alive until the worker is gone
        worker.postMessage('stop');
      }
      return exited;
    },
  };
}
