import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Receipt } from "../../shared/protocol";
import { ReceiptLog } from "./receipt-log";

const COORDINATOR = "ws://127.0.0.1:4000/v1/node";

function receipt(jobId: string, completionTokens = 8): Receipt {
  return { jobId, model: "tiny", promptTokens: 3, completionTokens, outputHash: `0x${"cd".repeat(32)}`, signature: `0x${"ef".repeat(65)}` };
}

describe("the node's receipt record", () => {
  let dir: string;
  let path: string;
  let now = 1_000;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "offpeak-receipts-"));
    path = join(dir, "receipts.jsonl");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps signed receipts and announced credits across restarts, owner-readable only", async () => {
    const log = new ReceiptLog(path, COORDINATOR, () => now);
    await log.recordSigned(receipt("j1"), "stop");
    now = 2_000;
    await log.recordSigned(receipt("j2", 5), "broke-off");
    await log.recordCredit("j1", 1_234);
    await log.recordCredit("unknown-job", 99);

    const reopened = await new ReceiptLog(path, COORDINATOR).read();
    expect(reopened.damagedLines).toBe(0);
    expect(reopened.receipts).toEqual([
      { ...receipt("j1"), ending: "stop", signedAt: 1_000, coordinator: COORDINATOR, creditedMicroUsd: 1_234 },
      { ...receipt("j2", 5), ending: "broke-off", signedAt: 2_000, coordinator: COORDINATOR, creditedMicroUsd: null },
    ]);
    if (process.platform !== "win32") expect((await stat(path)).mode & 0o777).toBe(0o600);
    // Only the receipt's fields: one key set per kind of line.
    const keys = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((line) => Object.keys(JSON.parse(line) as object).sort().join(","));
    expect(new Set(keys)).toEqual(
      new Set([
        "completionTokens,coordinator,ending,jobId,model,outputHash,promptTokens,signature,signedAt,type",
        "amountMicroUsd,at,jobId,type",
      ]),
    );
  });

  it("counts damaged lines without losing the next receipt after a line cut short", async () => {
    await writeFile(path, `${JSON.stringify({ type: "signed", ...receipt("j0"), ending: "stop", signedAt: 5, coordinator: COORDINATOR })}\nnot json\n{"type":"signed","jobId":"x"}\n{"type":"sig`);
    const log = new ReceiptLog(path, COORDINATOR, () => now);
    await log.recordSigned(receipt("j3"), "length");
    const again = await new ReceiptLog(path, COORDINATOR).read();
    expect(again.receipts.map((r) => r.jobId)).toEqual(["j0", "j3"]);
    expect(again.damagedLines).toBe(3);
  });

  it("reads only the receipts sent to its own coordinator", async () => {
    await new ReceiptLog(path, "ws://other:1/v1/node").recordSigned(receipt("elsewhere"), "stop");
    const log = new ReceiptLog(path, COORDINATOR);
    await log.recordSigned(receipt("here"), "stop");
    expect((await log.read()).receipts.map((r) => r.jobId)).toEqual(["here"]);
  });

  it("refuses a receipt that is not one and writes nothing", async () => {
    const log = new ReceiptLog(path, COORDINATOR);
    await log.recordSigned(receipt("ok"), "stop");
    await expect(log.recordSigned({ ...receipt("bad"), completionTokens: -1 }, "stop")).rejects.toThrow();
    await expect(log.recordSigned(receipt("after"), "stop")).resolves.toBeUndefined();
    expect((await readFile(path, "utf8")).trim().split("\n")).toHaveLength(2);
  });

  it("reports a record it cannot write to its caller", async () => {
    const log = new ReceiptLog(join(dir, "missing-folder", "receipts.jsonl"), COORDINATOR);
    await expect(log.recordSigned(receipt("j"), "stop")).rejects.toThrow(/ENOENT/);
  });
});
