/**
 * A tiny in-test HTTP server: each request is recorded and answered by the test's
 * handler. Used for the http backend's error paths and the vLLM replay test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Reply = { status?: number; json?: unknown; text?: string } | 'hang' | 'drop';
export type Handler = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startTestServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        /* keep the text */
      }
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(rec);
      const reply = await handler(rec, requests.length - 1);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      const status = reply.status ?? 200;
      if (reply.json !== undefined) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.json));
      } else {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(reply.text ?? '');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** An OpenAI-style echo response for `tokens` with their logprobs (first null), as vLLM and llama-cpp-python send it. */
export function echoResponse(model: string, tokens: string[], logprobs: (number | null)[], generated?: { token: string; logprob: number }) {
  const all = generated ? [...tokens, generated.token] : tokens;
  const lps = generated ? [...logprobs, generated.logprob] : logprobs;
  let offset = 0;
  const text_offset = all.map((t) => {
    const o = offset;
    offset += t.length;
    return o;
  });
  return {
    id: 'cmpl-test',
    object: 'text_completion',
    created: 0,
    model,
    choices: [{ index: 0, text: all.join(''), logprobs: { tokens: all, token_logprobs: lps, top_logprobs: lps.map(() => null), text_offset }, finish_reason: 'length' }],
    usage: { prompt_tokens: tokens.length, completion_tokens: generated ? 1 : 0, total_tokens: all.length },
  };
}

export function modelsResponse(ids: string[]) {
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', owned_by: 'test' })) };
}
