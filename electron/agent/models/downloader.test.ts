import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateDemoModel } from "./demo-model";
import { startModelTestServer, type ModelTestServer } from "./download-test-server";
import { DownloadError, downloadModel, sha256FromEtag, type DownloadProgressUpdate } from "./downloader";

let model: Buffer;
let modelSha: string;
let server: ModelTestServer;
let dir: string;
const FILE = "/owner/repo/resolve/main/tiny.gguf";

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), "offpeak-dl-model-"));
  const generated = await generateDemoModel({ path: join(scratch, "tiny.gguf"), shape: "tiny", type: "f32" });
  model = await readFile(generated.path);
  modelSha = generated.sha256;
  await rm(scratch, { recursive: true, force: true });
  server = await startModelTestServer();
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "offpeak-dl-"));
  server.files.clear();
  server.requests.length = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const dest = (): string => join(dir, "tiny.gguf");
const url = (): string => `${server.baseUrl}${FILE}`;

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

describe("downloadModel", () => {
  it("downloads, verifies the hash and installs the file, reporting monotonic progress up to the total", async () => {
    server.files.set(FILE, { body: model, chunkBytes: 32 * 1024, chunkDelayMs: 15 });
    const events: DownloadProgressUpdate[] = [];
    const result = await downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha, onProgress: (p) => events.push(p) });

    expect(result.sha256).toBe(modelSha);
    expect(result.verifiedAgainst).toBe("expected");
    expect(result.summary.architecture).toBe("llama");
    expect((await readFile(dest())).equals(model)).toBe(true);
    expect(existsSync(`${dest()}.part`)).toBe(false);
    expect(events.length).toBeGreaterThan(2);
    for (let i = 1; i < events.length; i++) expect(events[i]!.receivedBytes).toBeGreaterThanOrEqual(events[i - 1]!.receivedBytes);
    const last = events[events.length - 1]!;
    expect(last.receivedBytes).toBe(model.length);
    expect(last.totalBytes).toBe(model.length);
    expect(events.some((e) => e.bytesPerSecond > 0)).toBe(true);
  });

  it("keeps the partial file when the connection is cut, then resumes it with a Range request", async () => {
    const cutAt = 200_000;
    server.files.set(FILE, { body: model, cutAfterBytes: cutAt, chunkBytes: 50_000 });
    const first = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha }));
    expect(first.kind).toBe("network");
    expect(first.partKept).toBe(true);
    expect(first.message).toMatch(/resumes/);
    const partBytes = (await stat(`${dest()}.part`)).size;
    expect(partBytes).toBeGreaterThan(0);
    expect(partBytes).toBeLessThanOrEqual(cutAt);
    expect(existsSync(dest())).toBe(false);

    const events: DownloadProgressUpdate[] = [];
    await downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha, onProgress: (p) => events.push(p) });
    expect(server.requests.map((r) => r.range)).toEqual([null, `bytes=${partBytes}-`]);
    expect(events[0]!.receivedBytes).toBe(partBytes);
    expect((await readFile(dest())).equals(model)).toBe(true);
  });

  it("starts over when the server ignores the Range request", async () => {
    await writeFile(`${dest()}.part`, Buffer.from("garbage that is not the start of the model"));
    server.files.set(FILE, { body: model, noRange: true });
    await downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha });
    expect(server.requests[0]!.range).not.toBeNull();
    expect((await readFile(dest())).equals(model)).toBe(true);
  });

  it("verifies a partial file that is already complete when the server answers 416", async () => {
    await writeFile(`${dest()}.part`, model);
    server.files.set(FILE, { body: model });
    const result = await downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha });
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${model.length}-`]);
    expect(result.bytes).toBe(model.length);
    expect((await readFile(dest())).equals(model)).toBe(true);
  });

  it("deletes a file whose hash does not match and says so", async () => {
    server.files.set(FILE, { body: model });
    const wrong = "0".repeat(64);
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: wrong }));
    expect(error.kind).toBe("checksum");
    expect(error.message).toContain(`expected ${wrong}, got ${modelSha}; the file was deleted`);
    expect(existsSync(dest())).toBe(false);
    expect(existsSync(`${dest()}.part`)).toBe(false);
  });

  it("refuses before writing a byte when the disk is too small", async () => {
    server.files.set(FILE, { body: model });
    const error = await failure(
      downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha, freeBytes: async () => 1_200_000, diskMarginBytes: 1_000_000 }),
    );
    expect(error.kind).toBe("disk");
    expect(error.message).toMatch(/^Not enough disk space: needs 1\.\d MB, 1\.2 MB free on /);
    expect(existsSync(`${dest()}.part`)).toBe(false);
    expect(existsSync(dest())).toBe(false);
  });

  it("refuses without connecting when the announced size does not fit", async () => {
    server.files.set(FILE, { body: model });
    const error = await failure(
      downloadModel({ url: url(), dest: dest(), expectedSha256: null, expectedBytes: 4_100_000_000, freeBytes: async () => 1_200_000_000, diskMarginBytes: 0 }),
    );
    expect(error.message).toBe(`Not enough disk space: needs 4.1 GB, 1.2 GB free on ${dir}`);
    expect(server.requests).toHaveLength(0);
  });

  it("reports a server error and keeps the partial file for a resume", async () => {
    await writeFile(`${dest()}.part`, model.subarray(0, 1000));
    server.files.set(FILE, { body: model, status: 500 });
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha }));
    expect(error.kind).toBe("http");
    expect(error.message).toContain("answered 500");
    expect(error.partKept).toBe(true);
    expect((await stat(`${dest()}.part`)).size).toBe(1000);
  });

  it("reports a missing file (404) and deletes any partial file", async () => {
    await writeFile(`${dest()}.part`, model.subarray(0, 1000));
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: null }));
    expect(error.kind).toBe("not-found");
    expect(error.message).toContain("answered 404 (the file is not there)");
    expect(existsSync(`${dest()}.part`)).toBe(false);
  });

  it("checks the hash against the server's X-Linked-Etag, following a redirect", async () => {
    server.files.set("/cdn/tiny.gguf", { body: model, etag: "not-a-sha" });
    server.files.set(FILE, { body: Buffer.alloc(0), redirectTo: "/cdn/tiny.gguf", linkedEtag: modelSha });
    const result = await downloadModel({ url: url(), dest: dest(), expectedSha256: null });
    expect(result.verifiedAgainst).toBe("server");
    expect((await readFile(dest())).equals(model)).toBe(true);
  });

  it("deletes the file when the server's X-Linked-Etag does not match", async () => {
    const other = createHash("sha256").update("something else").digest("hex");
    server.files.set(FILE, { body: model, linkedEtag: other });
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: null }));
    expect(error.kind).toBe("checksum");
    expect(error.message).toContain(`expected ${other}, got ${modelSha}; the file was deleted`);
    expect(existsSync(dest())).toBe(false);
  });

  it("deletes a download that is not a GGUF model and gives the reason", async () => {
    const page = Buffer.from("<!doctype html><html><body>Sign in to continue</body></html>");
    server.files.set(FILE, { body: page, etag: createHash("sha256").update(page).digest("hex") });
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: null }));
    expect(error.kind).toBe("not-gguf");
    expect(error.message).toMatch(/is not a GGUF model file \(it starts with "<!doctype html>/);
    expect(error.message).toContain("the file was deleted");
    expect(existsSync(dest())).toBe(false);
  });

  it("gives up on a stalled connection, keeping what arrived", async () => {
    server.files.set(FILE, { body: model, stallAfterBytes: 100_000 });
    const error = await failure(downloadModel({ url: url(), dest: dest(), expectedSha256: modelSha, stallTimeoutMs: 300 }));
    expect(error.kind).toBe("stalled");
    expect(error.message).toContain("no data for");
    expect((await stat(`${dest()}.part`)).size).toBeGreaterThan(0);
  });

  it("stops when cancelled and keeps the partial file", async () => {
    server.files.set(FILE, { body: model, chunkBytes: 16 * 1024, chunkDelayMs: 20 });
    const controller = new AbortController();
    const promise = downloadModel({
      url: url(),
      dest: dest(),
      expectedSha256: modelSha,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.receivedBytes > 50_000) controller.abort();
      },
    });
    const error = await failure(promise);
    expect(error.kind).toBe("cancelled");
    expect(error.partKept).toBe(true);
    expect((await stat(`${dest()}.part`)).size).toBeGreaterThan(50_000);
    expect(existsSync(dest())).toBe(false);
  });
});

describe("sha256FromEtag", () => {
  it("accepts quoted and weak sha256 ETags and ignores others", () => {
    expect(sha256FromEtag(`"${modelSha}"`)).toBe(modelSha);
    expect(sha256FromEtag(`W/"${modelSha.toUpperCase()}"`)).toBe(modelSha);
    expect(sha256FromEtag('"5d41402abc4b2a76b9719d911017c592"')).toBeNull();
    expect(sha256FromEtag(null)).toBeNull();
  });
});
