/**
 * The running job's token count reaches the node's state while the job runs (the Earnings page's
 * live rate reads it), at most twice a second.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger";
import { jobMessage, ScriptedEngine } from "./agent-fakes.fixture";
import { FileKeyStore } from "./key-store";
import { JobRunner, type JobMessage } from "./job-runner";
import { openWallet } from "./wallet";

describe("job progress", () => {
  it("reports the tokens of a running job every half second, not every token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "offpeak-progress-"));
    try {
      const engine = new ScriptedEngine();
      engine.words = Array.from({ length: 24 }, (_, i) => ` w${i}`);
      engine.tickMs = 50;
      const reports: number[] = [];
      const runner = new JobRunner({
        wallet: await openWallet(new FileKeyStore(dir)),
        logger: silentLogger,
        send: () => true,
        now: Date.now,
        events: { onRunning: (jobs) => reports.push(jobs[0]?.completionTokens ?? -1), onFinished: () => {} },
      });
      const started = Date.now();
      runner.run(jobMessage("p1", 24) as JobMessage, engine);
      await runner.settled();
      const elapsed = Date.now() - started;
      const during = reports.filter((n) => n > 0);
      expect(during.length).toBeGreaterThanOrEqual(1);
      // One report per half second of the job at most, however slow the machine made it.
      expect(during.length).toBeLessThanOrEqual(Math.floor(elapsed / 500) + 1);
      expect(during).toEqual([...during].sort((a, b) => a - b));
      expect(Math.max(...during)).toBeLessThan(24);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
