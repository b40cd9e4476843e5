/**
 * Prompts and answers never reach a log: the coordinator's, the agent's or the worker's, at the
 * most verbose level, through a whole job.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../shared/logger";
import { startTestNetwork, type TestNetwork } from "./support/network";

describe("logs", () => {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
  let net: TestNetwork;
  beforeAll(async () => {
    net = await startTestNetwork({ logger });
  });
  afterAll(async () => {
    await net?.close();
  });

  it("hold no prompt text, no output text and no key, even with every level on", async () => {
    const marker = "zebra-umbrella-quartz-7731";
    const plain = await net.client.completions.create({ model: net.modelId, prompt: `Secret plan ${marker}`, max_tokens: 12, temperature: 0 });
    const chat = await net.client.chat.completions.create({
      model: net.modelId,
      messages: [{ role: "user", content: `Tell nobody ${marker}` }],
      max_tokens: 12,
    });
    const tooLong = await net.client.completions.create({ model: net.modelId, prompt: `${marker} `.repeat(200), max_tokens: 4 }).catch((e: Error) => e);
    expect(tooLong).toBeInstanceOf(Error);
    expect(lines.length).toBeGreaterThan(0);
    const everything = lines.join("\n");
    expect(everything).not.toContain(marker);
    for (const text of [plain.choices[0]?.text, chat.choices[0]?.message.content]) {
      if (text && text.trim().length >= 12) expect(everything).not.toContain(text.trim());
    }
    expect(everything).not.toContain(net.apiKey);
  });
});
