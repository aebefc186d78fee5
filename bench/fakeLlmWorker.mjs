// A minimal OpenAI-compatible Chat Completions endpoint for bench/run.ts, in its own thread so its
// CPU does not count against the bot: it answers at once with a valid reading (or, for the
// rephraser, the template unchanged), so what the bench measures is our layer, not a model.
import http from 'node:http';
import { parentPort } from 'node:worker_threads';

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const r = JSON.parse(body);
    const system = r.messages[0].content;
    const user = r.messages.at(-1).content;
    const content = system.includes('润色') ? JSON.stringify({ text: user }) : JSON.stringify({ intent: 'order_status', signals: { notResolved: true } });
    const out = JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 0,
      model: r.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
      usage: { prompt_tokens: Math.ceil((system.length + user.length) / 1.5), completion_tokens: 20, total_tokens: 0 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
