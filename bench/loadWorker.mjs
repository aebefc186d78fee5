// Load generator for bench/run.ts, in its own thread so that the client's CPU does not count
// against the server under test. Either one loop of JSON POSTs per target for `ms` (closed loops:
// next request as soon as the answer is in; or paced: one request every `intervalMs`), or, with
// `requests`, closed loops that take prepared raw requests (url + body) in turn until they run out.
import { parentPort, workerData } from 'node:worker_threads';

const { targets, bodies, ms, intervalMs, requests, loops, contentType } = workerData;
const latencies = [];
const answers = [];
const end = performance.now() + ms;
const t0 = performance.now();
if (requests) {
  let next = 0;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < end && next < requests.length) {
        const req = requests[next++];
        const s = performance.now();
        const r = await fetch(req.url, { method: 'POST', headers: { 'content-type': contentType ?? 'text/xml' }, body: req.body });
        const text = await r.text();
        if (!r.ok) throw new Error(`${req.url}: HTTP ${r.status} ${text}`);
        latencies.push(performance.now() - s);
        if (answers.length < 200) answers.push(text);
      }
    }),
  );
} else {
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
}
parentPort.postMessage({ latencies, answers, secs: (performance.now() - t0) / 1000 });
