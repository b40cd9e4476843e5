/** The real command runner: output, failure, timeout; never a shell. */
import { describe, expect, it } from "vitest";
import { createCommandRunner } from "./run-command";

const run = createCommandRunner();

describe("createCommandRunner", () => {
  it("returns the program's output", async () => {
    expect(await run(process.execPath, ["-e", "process.stdout.write('ok 42')"])).toEqual({ ok: true, stdout: "ok 42" });
  });

  it("reports a failing program with its first error line", async () => {
    const result = await run(process.execPath, ["-e", "console.error('no driver'); process.exit(9)"]);
    expect(result).toEqual({ ok: false, reason: "failed", message: expect.stringContaining("no driver") });
  });

  it("stops a program that runs past its timeout", async () => {
    const result = await run(process.execPath, ["-e", "setTimeout(() => {}, 10000)"], { timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: "timeout" });
  });

  it("passes arguments as they are, with no shell to expand them", async () => {
    const result = await run(process.execPath, ["-e", "process.stdout.write(process.argv[1])", "$HOME;echo hi"]);
    expect(result).toEqual({ ok: true, stdout: "$HOME;echo hi" });
  });
});
