/**
 * The consumers of the coordinator load bench: N concurrent loops of plain `fetch` streamed
 * requests for a fixed time. Plain fetch, not the official openai client, so the client's own
 * parsing does not count against either server.
 */

/** One streamed request to make, over and over. */
export interface LoadTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What a run of the consumers measured. */
export interface LoadResult {
  /** Streamed requests completed (status 200, body ended by `data: [DONE]`). */
  readonly completed: number;
  readonly failed: number;
  /** The first failure seen, to say why. */
  readonly firstFailure: string | null;
  readonly seconds: number;
  /** Per completed request: time to the first byte of the body, ms. */
  readonly ttfbMs: number[];
  /** Per completed request: time to the end of the body, ms. */
  readonly totalMs: number[];
}

const REQUEST_TIMEOUT_MS = 15_000;

async function oneRequest(target: LoadTarget): Promise<{ ttfb: number; total: number }> {
  const t0 = performance.now();
  const res = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (res.status !== 200 || !res.body) throw new Error(`status ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let ttfb = 0;
  let tail = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (ttfb === 0) ttfb = performance.now() - t0;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-32);
  }
  const total = performance.now() - t0;
  if (!tail.endsWith("data: [DONE]\n\n")) throw new Error(`stream ended without [DONE]: …${JSON.stringify(tail)}`);
  return { ttfb, total };
}

/** Runs `concurrency` consumer loops against `target` for `seconds`; requests in flight at the end finish. */
export async function runConsumers(target: LoadTarget, concurrency: number, seconds: number): Promise<LoadResult> {
  const ttfbMs: number[] = [];
  const totalMs: number[] = [];
  let failed = 0;
  let firstFailure: string | null = null;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let lastEnd = started;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          const r = await oneRequest(target);
          ttfbMs.push(r.ttfb);
          totalMs.push(r.total);
        } catch (err) {
          failed++;
          firstFailure ??= String(err);
        }
        lastEnd = performance.now();
      }
    }),
  );
  return { completed: totalMs.length, failed, firstFailure, seconds: (lastEnd - started) / 1000, ttfbMs, totalMs };
}

/** Fetches one streamed answer whole and returns its SSE events (each `data: …\n\n`). */
export async function captureEvents(target: LoadTarget): Promise<string[]> {
  const res = await fetch(target.url, { method: "POST", headers: target.headers, body: target.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`capture: status ${res.status}: ${text.slice(0, 200)}`);
  return text
    .split("\n\n")
    .filter((e) => e.length > 0)
    .map((e) => `${e}\n\n`);
}
