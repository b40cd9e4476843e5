import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exportFileName, exportRedactedLogs } from "./log-export";
import { createFileLogger, logFiles } from "./log-file";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "offpeak-logs-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the log file", () => {
  it("writes one JSON line per event at or above its level", () => {
    const logger = createFileLogger({ dir: path.join(dir, "logs"), minLevel: "info", now: () => new Date("2026-01-01T00:00:00Z") });
    logger.debug("hidden");
    logger.info("worker ready", { model: "offpeak-demo-tiny" });
    logger.error("job failed");
    const lines = readFileSync(logger.file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { time: "2026-01-01T00:00:00.000Z", level: "info", message: "worker ready", fields: { model: "offpeak-demo-tiny" } },
      { time: "2026-01-01T00:00:00.000Z", level: "error", message: "job failed" },
    ]);
  });

  it("rotates by size and keeps a bounded number of files", async () => {
    const logger = createFileLogger({ dir, maxBytes: 1000, keep: 2 });
    for (let i = 0; i < 200; i++) logger.info("a line of the log", { i });
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(["offpeak.1.log", "offpeak.2.log", "offpeak.log"]);
    for (const name of names) expect(statSync(path.join(dir, name)).size).toBeLessThanOrEqual(1000);
    // The newest line is in offpeak.log; the oldest kept is in offpeak.2.log.
    expect(readFileSync(path.join(dir, "offpeak.log"), "utf8")).toContain('"i":199');
    expect(logFiles(dir, 2).map((f) => path.basename(f))).toEqual(["offpeak.2.log", "offpeak.1.log", "offpeak.log"]);
  });

  it("continues the size count of a file left by an earlier run", () => {
    createFileLogger({ dir, maxBytes: 300 }).info("x".repeat(200));
    createFileLogger({ dir, maxBytes: 300 }).info("y".repeat(200));
    expect(existsSync(path.join(dir, "offpeak.1.log"))).toBe(true);
  });
});

describe("exporting the logs", () => {
  it("writes one redacted file with every log, oldest first", async () => {
    const logs = path.join(dir, "logs");
    const logger = createFileLogger({ dir: logs, maxBytes: 400, keep: 3 });
    logger.info("first line", { address: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" });
    logger.info("dashboard http://127.0.0.1:4000/#token=abcdef123456");
    logger.warn("consumer key sk-offpeak-secret_123 was refused", { key: `0x${"ab".repeat(32)}` });
    const out = await exportRedactedLogs({ logDir: logs, outDir: path.join(dir, "out"), now: new Date(2026, 0, 31, 14, 5), appVersion: "0.1.0" });
    expect(path.basename(out)).toBe("offpeak-logs-2026-01-31-1405.txt");
    const text = readFileSync(out, "utf8");
    expect(text.indexOf("first line")).toBeLessThan(text.indexOf("consumer key"));
    expect(text).toContain("0x2c75…5c23");
    expect(text).not.toMatch(/abcdef123456|secret_123|abab|2c7536E3605D9C16/);
    expect(text).toMatch(/^Offpeak logs 0\.1\.0/);
  });

  it("says so when there is no log yet", async () => {
    const out = await exportRedactedLogs({ logDir: path.join(dir, "none"), outDir: dir });
    expect(readFileSync(out, "utf8")).toContain("(no log lines yet)");
  });

  it("names the file after the local time", () => {
    expect(exportFileName(new Date(2026, 11, 5, 9, 7))).toBe("offpeak-logs-2026-12-05-0907.txt");
  });
});
