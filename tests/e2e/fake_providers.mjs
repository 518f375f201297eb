// Fake OpenAI and Anthropic servers that speak each documented wire format, for the e2e
// tests. `mode` per request comes from the last user message: "stream-break" makes the
// OpenAI fake reset the connection after two chunks; "echo TEXT" answers TEXT, streamed in
// 3-character pieces (so that a placeholder in it is split across chunks).
import http from 'node:http';

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      try { resolve({ raw, json: JSON.parse(raw.toString('utf8')) }); } catch (e) { reject(e); }
    });
  });
}

async function readJson(req) {
  return (await readBody(req)).json;
}

function answerWords(messages) {
  const text = lastUserText(messages);
  if (!text.startsWith('echo ')) return ['Hello', ' from', ' the', ' fake', ' upstream', '.'];
  return text.slice(5).match(/[\s\S]{1,3}/g) ?? [];
}

function lastUserText(messages) {
  const last = [...messages].reverse().find((m) => m.role === 'user');
  return typeof last?.content === 'string' ? last.content : '';
}

export function startOpenAiFake() {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const { raw, json: body } = await readBody(req);
    seen.push({ url: req.url, headers: req.headers, body, raw });
    const words = answerWords(body.messages);
    const base = { id: 'chatcmpl-fake', created: 1700000000, model: body.model };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        ...base, object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 },
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (o) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...o })}\n\n`);
    send({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const breakIt = lastUserText(body.messages) === 'stream-break';
    for (const [i, w] of words.entries()) {
      if (breakIt && i === 2) { res.socket.destroy(); return; }
      send({ choices: [{ index: 0, delta: { content: w }, finish_reason: null }] });
      await new Promise((r) => setTimeout(r, 5));
    }
    send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (body.stream_options?.include_usage) {
      send({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 } });
    }
    res.end('data: [DONE]\n\n');
  });
  return listen(server, seen);
}

export function startAnthropicFake() {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const body = await readJson(req);
    seen.push({ url: req.url, headers: req.headers, body });
    const text = 'Bonjour from Claude.';
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'msg_fake', type: 'message', role: 'assistant', model: body.model,
        content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null,
        usage: { input_tokens: 11, output_tokens: 5 },
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const ev = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);
    ev('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, usage: { input_tokens: 11, output_tokens: 1 } } });
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    ev('ping', {});
    for (const part of ['Bonjour', ' from', ' Claude.']) {
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: part } });
    }
    ev('content_block_stop', { index: 0 });
    ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
    ev('message_stop', {});
    res.end();
  });
  return listen(server, seen);
}

function listen(server, seen) {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port }));
  });
}
