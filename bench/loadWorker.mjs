// Load generator for bench/run.ts, in its own thread so that the client's CPU does not count
// against the server under test. One loop of POST requests per target for `ms`: closed loops
// (next request as soon as the answer is in), or paced ones (one request every `intervalMs`).
import { parentPort, workerData } from 'node:worker_threads';

const { targets, bodies, ms, intervalMs } = workerData; // targets: [{ url, token? }], one per concurrent loop
const latencies = [];
const end = performance.now() + ms;
const t0 = performance.now();
await Promise.all(
  targets.map(async (t, k) => {
    const first = t0 + (intervalMs ? (k * intervalMs) / targets.length : 0); // spread the loops out
    for (let i = 0; performance.now() < end; i++) {
      if (intervalMs) {
        const due = first + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const s = performance.now();
      const r = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) },
        body: JSON.stringify(bodies[i % bodies.length]),
      });
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`${t.url}: HTTP ${r.status}`);
      latencies.push(performance.now() - s);
    }
  }),
);
parentPort.postMessage({ latencies, secs: (performance.now() - t0) / 1000 });
