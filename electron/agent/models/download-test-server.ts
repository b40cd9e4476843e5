/**
 * A local HTTP file server for download tests (127.0.0.1, port 0): Range requests, ETags,
 * redirects, and faults on demand (a connection cut mid-way, an error status, a stall).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One file the server serves, with the faults to inject. */
export interface ServedFile {
  body: Buffer;
  /** Sent as ETag (quoted). */
  etag?: string;
  /** Sent as X-Linked-Etag (quoted), as Hugging Face does. */
  linkedEtag?: string;
  /** Answer this status with an empty body instead of the file. */
  status?: number;
  /** Send this many bytes, then destroy the socket; applies to the next request only. */
  cutAfterBytes?: number;
  /** Send this many bytes, then send nothing more while the connection stays open. */
  stallAfterBytes?: number;
  /** Ignore Range headers (always answer 200 with the whole file). */
  noRange?: boolean;
  /** Answer 302 to this path of the same server (X-Linked-Etag is sent on the redirect). */
  redirectTo?: string;
  /** Bytes per write and pause between writes, to make a download take a little time. */
  chunkBytes?: number;
  chunkDelayMs?: number;
}

/** A request the server received. */
export interface SeenRequest {
  readonly path: string;
  readonly range: string | null;
}

/** The running server. */
export interface ModelTestServer {
  readonly baseUrl: string;
  readonly files: Map<string, ServedFile>;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function send(req: IncomingMessage, res: ServerResponse, file: ServedFile): Promise<void> {
  const size = file.body.length;
  let start = 0;
  const range = file.noRange ? null : (req.headers.range ?? null);
  const headers: Record<string, string | number> = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
  if (file.etag) headers.etag = `"${file.etag}"`;
  if (file.linkedEtag) headers["x-linked-etag"] = `"${file.linkedEtag}"`;
  if (range) {
    const match = /^bytes=(\d+)-$/.exec(range);
    start = match ? Number(match[1]) : size;
    if (start >= size) {
      res.writeHead(416, { ...headers, "content-range": `bytes */${size}` });
      res.end();
      return;
    }
    res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${size - 1}/${size}`, "content-length": size - start });
  } else {
    res.writeHead(200, { ...headers, "content-length": size });
  }
  const cut = file.cutAfterBytes;
  delete file.cutAfterBytes;
  const stopAt = Math.min(size, cut !== undefined ? start + cut : file.stallAfterBytes !== undefined ? start + file.stallAfterBytes : size);
  const step = file.chunkBytes ?? 64 * 1024;
  for (let offset = start; offset < stopAt; offset += step) {
    const chunk = file.body.subarray(offset, Math.min(stopAt, offset + step));
    await new Promise<void>((r) => res.write(chunk, () => r()));
    if (file.chunkDelayMs) await sleep(file.chunkDelayMs);
    if (res.destroyed) return;
  }
  if (cut !== undefined) {
    await sleep(50);
    res.socket?.destroy();
    return;
  }
  if (file.stallAfterBytes !== undefined) return; // keep the connection open, sending nothing
  res.end();
}

/** Starts the server with no files; add them to `files` by path ("/owner/repo/resolve/main/x.gguf"). */
export async function startModelTestServer(): Promise<ModelTestServer> {
  const files = new Map<string, ServedFile>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    requests.push({ path, range: req.headers.range ?? null });
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Entry not found");
      return;
    }
    if (file.redirectTo) {
      const headers: Record<string, string> = { location: file.redirectTo };
      if (file.linkedEtag) headers["x-linked-etag"] = `"${file.linkedEtag}"`;
      res.writeHead(302, headers);
      res.end();
      return;
    }
    if (file.status) {
      res.writeHead(file.status, { "content-type": "text/plain" });
      res.end(`status ${file.status}`);
      return;
    }
    send(req, res, file).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
