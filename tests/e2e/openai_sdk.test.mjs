// The official openai client, unchanged, against a real hearth process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { startOpenAiFake, startAnthropicFake } from './fake_providers.mjs';

let openaiFake, anthropicFake, hearth, client, baseURL, redis, cacheBackend, auditLog;
const apiKey = 'sk-e2e-test-key';

// The real tiny model from ../shared/models, served by the embedded node when present.
const modelsDir = process.env.HEARTH_TEST_MODELS ||
  path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../shared/models');
const tinyModel = path.join(modelsDir, 'stories260K.gguf');
const haveModel = fs.existsSync(tinyModel);

async function waitForHealth(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`hearth did not become healthy at ${url}`);
}

async function waitForPort(port, ms) {
  const net = await import('node:net');
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

// The cache: a real redis-server when one is installed (persistence off, in a temp dir),
// else the in-process backend.
async function startCache(dir) {
  const binary = process.env.HEARTH_REDIS_SERVER || '/usr/bin/redis-server';
  if (!fs.existsSync(binary)) return { backend: 'memory', yaml: 'cache: {backend: memory}' };
  const port = await freePort();
  redis = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--logfile', path.join(dir, 'redis.log')], { stdio: 'ignore' });
  await waitForPort(port, 10000);
  return { backend: 'redis', yaml: `cache: {backend: redis, redis: {url: "redis://127.0.0.1:${port}/0", timeout_ms: 100}}` };
}

async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  openaiFake = await startOpenAiFake();
  anthropicFake = await startAnthropicFake();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hearth-e2e-'));
  const config = path.join(dir, 'hearth.yaml');
  const cache = await startCache(dir);
  cacheBackend = cache.backend;
  // A policy that redacts e-mail addresses on the way to the cloud and denies one data class.
  const policies = path.join(dir, 'policies.yaml');
  fs.writeFileSync(policies, `version: 1
rules:
  - id: secret-denied
    when: {header: {x-data-class: secret}}
    then: {route: deny, message: "Secret data stays home."}
  - id: default
    then: {route: cloud_allowed, redact: [email]}
`);
  auditLog = path.join(dir, 'audit', 'egress.jsonl');
  fs.writeFileSync(config, `
server: {listen: 127.0.0.1:${port}, workers: 2, drain_timeout: 2s}
auth:
  enabled: true
  keys: [{app: e2e, team: qa, key_env: E2E_KEY}]
upstreams:
  - {name: fake-openai, kind: openai, base_url: "http://127.0.0.1:${openaiFake.port}/v1", api_key_env: FAKE_OPENAI_KEY}
  - {name: fake-claude, kind: anthropic, base_url: "http://127.0.0.1:${anthropicFake.port}", api_key_env: FAKE_ANTHROPIC_KEY}
models:
  - {name: gpt-test, routes: [fake-openai:gpt-4o-mini]}
  - {name: claude-test, routes: [fake-claude:claude-3-5-haiku-latest]}
${haveModel ? '  - {name: local-test, routes: [local:tiny]}' : ''}
${haveModel ? `local: {memory_budget: 256MiB, models: [{name: tiny, path: "${tinyModel}", context: 256, slots: 8}]}` : ''}
router: {retry: {max_retries: 0}}
log: {access_log: off}
policies: ${policies}
audit: {path: ${auditLog}, hmac_key_env: E2E_AUDIT_KEY}
${cache.yaml}
`);
  hearth = spawn(process.env.HEARTH_BIN, ['serve', '--config', config], {
    env: { ...process.env, E2E_KEY: apiKey, E2E_AUDIT_KEY: 'e2e-audit-key-0123456789', FAKE_OPENAI_KEY: 'sk-upstream-openai', FAKE_ANTHROPIC_KEY: 'sk-upstream-claude' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  baseURL = `http://127.0.0.1:${port}/v1`;
  await waitForHealth(`http://127.0.0.1:${port}/healthz`, 10000);
  client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
});

after(async () => {
  if (hearth && hearth.exitCode === null) {
    const exited = new Promise((r) => hearth.once('exit', (code) => r(code)));
    hearth.kill('SIGTERM');
    assert.equal(await exited, 0, 'hearth exits 0 on SIGTERM');
  }
  openaiFake?.server.close();
  anthropicFake?.server.close();
  redis?.kill('SIGKILL');
});

test('chat completion through hearth', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], seed: 7, user: 'u1' })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'Hello from the fake upstream.');
  assert.equal(data.choices[0].finish_reason, 'stop');
  assert.equal(data.usage.total_tokens, 13);
  assert.equal(response.headers.get('x-hearth-route'), 'upstream:fake-openai');
  assert.ok(response.headers.get('x-hearth-request-id'));
  const sent = openaiFake.seen.at(-1);
  assert.equal(sent.body.model, 'gpt-4o-mini', 'public name rewritten to the upstream model');
  assert.equal(sent.body.seed, 7, 'unknown-to-hearth fields pass through');
  assert.equal(sent.headers.authorization, 'Bearer sk-upstream-openai', 'upstream key, not the client key');
});

test('streamed chat completion with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.equal(text, 'Hello from the fake upstream.');
  assert.equal(finish, 'stop');
  assert.equal(usage?.completion_tokens, 6);
});

test('an OpenAI client talks to an Anthropic upstream', async () => {
  const done = await client.chat.completions.create({
    model: 'claude-test', messages: [{ role: 'system', content: 'Be French.' }, { role: 'user', content: 'hi' }],
  });
  assert.equal(done.choices[0].message.content, 'Bonjour from Claude.');
  assert.equal(done.choices[0].finish_reason, 'stop');
  assert.equal(done.usage.prompt_tokens, 11);
  const sent = anthropicFake.seen.at(-1);
  assert.equal(sent.body.system, 'Be French.');
  assert.equal(sent.headers['x-api-key'], 'sk-upstream-claude');

  const stream = await client.chat.completions.create({
    model: 'claude-test', messages: [{ role: 'user', content: 'hi' }], stream: true,
  });
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.equal(text, 'Bonjour from Claude.');
  assert.equal(finish, 'stop');
});

test('a stream that breaks mid-way ends in an error, never a silent truncation', async () => {
  const stream = await client.chat.completions.create({
    model: 'gpt-test', messages: [{ role: 'user', content: 'stream-break' }], stream: true,
  });
  let text = '';
  await assert.rejects(async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  }, (err) => err instanceof OpenAI.APIError);
  assert.equal(text, 'Hello from', 'chunks before the break arrived');
});

test('errors reach the SDK as typed API errors', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.NotFoundError && err.code === 'model_not_found',
  );
  const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL, maxRetries: 0 });
  await assert.rejects(
    bad.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.AuthenticationError,
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-test', messages: 'not-a-list' }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'messages',
  );
});

test('models list shows the public names', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids.sort(), haveModel ? ['claude-test', 'gpt-test', 'local-test'] : ['claude-test', 'gpt-test']);
});

// Reads a streamed chat completion the way an app does, with the response headers.
async function readStream(request) {
  const { data: stream, response } = await client.chat.completions.create(request).withResponse();
  const out = { text: '', finish: null, usage: null, role: null, ids: new Set(),
                cache: response.headers.get('x-hearth-cache'), route: response.headers.get('x-hearth-route') };
  for await (const chunk of stream) {
    out.ids.add(chunk.id);
    if (chunk.usage) out.usage = chunk.usage;
    for (const choice of chunk.choices) {
      out.role = choice.delta?.role ?? out.role;
      out.text += choice.delta?.content ?? '';
      out.finish = choice.finish_reason ?? out.finish;
    }
  }
  return out;
}

test('a cached stream replays through the SDK: same text, same finish_reason, same usage', async () => {
  const request = {
    model: 'gpt-test', messages: [{ role: 'user', content: 'cache me, please' }], temperature: 0,
    stream: true, stream_options: { include_usage: true },
  };
  const original = await readStream(request);
  assert.equal(original.cache, 'miss', `first time: a miss (${cacheBackend})`);
  assert.equal(original.route, 'upstream:fake-openai');

  // The entry is written before [DONE]; with Redis the write may still be in flight.
  let replay;
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = openaiFake.seen.length;
    replay = await readStream(request);
    if (replay.cache === 'hit') {
      assert.equal(openaiFake.seen.length, before, 'a hit never reaches the upstream');
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(replay.cache, 'hit');
  assert.equal(replay.route, 'cache');
  assert.equal(replay.role, 'assistant');
  assert.equal(replay.text, original.text);
  assert.equal(replay.text, 'Hello from the fake upstream.');
  assert.equal(replay.finish, original.finish);
  assert.deepEqual(replay.usage, original.usage);
  assert.equal(replay.ids.size, 1, 'one id across the replayed chunks');
  assert.ok(![...replay.ids][0].startsWith('chatcmpl-fake'), 'a fresh id');

  // The same entry answers a non-streamed request too.
  const { data, response } = await client.chat.completions
    .create({ ...request, stream: false, stream_options: undefined }).withResponse();
  assert.equal(response.headers.get('x-hearth-cache'), 'hit');
  assert.equal(data.choices[0].message.content, original.text);
  assert.equal(data.choices[0].finish_reason, original.finish);
  assert.equal(data.usage.total_tokens, original.usage.total_tokens);
});

test('Cache-Control: no-cache goes to the upstream', async () => {
  const request = { model: 'gpt-test', messages: [{ role: 'user', content: 'fresh please' }], seed: 3 };
  await client.chat.completions.create(request);
  const before = openaiFake.seen.length;
  const { response } = await client.chat.completions
    .create(request, { headers: { 'Cache-Control': 'no-cache' } }).withResponse();
  assert.equal(response.headers.get('x-hearth-cache'), 'stored');
  assert.equal(openaiFake.seen.length, before + 1);
});

test('8 concurrent streams from the local node all finish, each with a finish_reason',
  { skip: haveModel ? false : `no test model at ${tinyModel}` }, async () => {
    // The model loads in the background: wait until /readyz says it is ready.
    const readyz = baseURL.replace('/v1', '/readyz');
    const end = Date.now() + 10000;
    for (;;) {
      const body = await (await fetch(readyz)).json();
      if (body.local.models[0].state === 'ready') break;
      assert.ok(Date.now() < end, `local model not ready: ${JSON.stringify(body.local)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const prompts = ['Once upon a time', 'The cat', 'Tom had a red ball', 'Lily went to the park',
      'One day', 'The sun', 'A little bird', 'Max and Sue'];
    const results = await Promise.all(prompts.map((content, i) => readStream({
      model: 'local-test', messages: [{ role: 'user', content }], stream: true,
      stream_options: { include_usage: true }, max_tokens: 20 + i, temperature: 0.7, seed: i,
    })));
    for (const [i, r] of results.entries()) {
      assert.equal(r.route, 'local:tiny');
      assert.ok(['stop', 'length'].includes(r.finish), `stream ${i} finished with ${r.finish}`);
      assert.equal(r.role, 'assistant');
      assert.equal(r.ids.size, 1, 'one id per stream');
      assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 20 + i, JSON.stringify(r.usage));
      if (r.finish === 'length') assert.equal(r.usage.completion_tokens, 20 + i);
      assert.ok(r.text.length > 0);
    }
    // Greedy through the SDK is deterministic: the same request twice gives the same text.
    const again = { model: 'local-test', messages: [{ role: 'user', content: 'The dog' }], max_tokens: 16,
      temperature: 0, stream: true };
    const [a, b] = await Promise.all([readStream(again), readStream(again)]);
    assert.equal(a.text, b.text);
  });

test('redaction: the cloud sees placeholders, the SDK reads the originals back, streamed and whole', async () => {
  const prompt = 'echo write to ada@example.com and bob@example.org now';
  const expected = 'write to ada@example.com and bob@example.org now';
  const { data: stream, response } = await client.chat.completions
    .create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }], stream: true })
    .withResponse();
  assert.equal(response.headers.get('x-hearth-rule'), 'default');
  let text = '';
  let pieces = 0;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) text += choice.delta?.content ?? '';
    pieces += 1;
  }
  assert.equal(text, expected);
  assert.ok(pieces > 10, 'the answer came in many small chunks, placeholders split across them');
  const sent = openaiFake.seen.at(-1);
  const sentText = sent.body.messages.at(-1).content;
  assert.equal(sentText, 'echo write to [EMAIL_1] and [EMAIL_2] now', 'only placeholders left the network');

  // The write-ahead record names the exact bytes the upstream received.
  const records = fs.readFileSync(auditLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ahead = records.filter((r) => r.kind === 'write_ahead').at(-1);
  assert.equal(ahead.sent_sha256, crypto.createHash('sha256').update(sent.raw).digest('hex'));
  assert.deepEqual(ahead.redactions, { email: 2 });

  const whole = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: prompt }] });
  assert.equal(whole.choices[0].message.content, expected);
});

test('a policy denial reaches the SDK as a PermissionDeniedError', async () => {
  await assert.rejects(
    client.chat.completions.create(
      { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] },
      { headers: { 'x-data-class': 'secret' } },
    ),
    (err) => err instanceof OpenAI.PermissionDeniedError && err.message.includes('Secret data stays home.') &&
      err.headers['x-hearth-rule'] === 'secret-denied',
  );
});

test('the audit log written by the run verifies', () => {
  const result = spawnSync(process.env.HEARTH_BIN, ['audit', 'verify', auditLog, '--key-env', 'E2E_AUDIT_KEY'], {
    env: { ...process.env, E2E_AUDIT_KEY: 'e2e-audit-key-0123456789' }, encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /records ok/);
});
