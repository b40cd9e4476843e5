import { describe, expect, it } from "vitest";
import { redactText, shortenAddress } from "./redact";

const KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
const PHRASE = "abandon ability able about above absent absorb abstract absurd abuse access accident";

describe("redacting an exported log", () => {
  it("removes private keys (0x and 64 hex digits)", () => {
    const out = redactText(`loaded wallet key=${KEY} ok\nraw ${KEY.toUpperCase().replace("0X", "0x")}`);
    expect(out).not.toMatch(/4c0883a6/i);
    expect(out).toContain("[redacted");
  });

  it("shortens addresses to 0x1234…abcd", () => {
    expect(shortenAddress(ADDRESS)).toBe("0x2c75…5c23");
    expect(redactText(`node ${ADDRESS} logged in`)).toBe("node 0x2c75…5c23 logged in");
  });

  it("removes Offpeak API keys and bearer tokens", () => {
    const out = redactText('consumer key sk-offpeak-AbC123_xyz-987 used; header "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc"');
    expect(out).toBe('consumer key sk-offpeak-[redacted] used; header "Authorization: Bearer [redacted]"');
  });

  it("removes the token of a dashboard link", () => {
    expect(redactText("dashboard http://127.0.0.1:4242/#token=s3cr3t-T0ken_x")).toBe("dashboard http://127.0.0.1:4242/#token=[redacted]");
    expect(redactText("open http://127.0.0.1:4242/#/models?token=abc&x=1")).toBe("open http://127.0.0.1:4242/#/models?token=[redacted]&x=1");
  });

  it("removes backup phrases of 12 and 24 words", () => {
    expect(redactText(`phrase was ${PHRASE}.`)).toBe("phrase was [redacted phrase].");
    const long = `${PHRASE} ${PHRASE}`;
    expect(redactText(long)).toBe("[redacted phrase]");
  });

  it("keeps ordinary log lines as they are", () => {
    const line = "2026-01-01T12:00:00.000Z info worker ready {\"model\":\"offpeak-demo-tiny\",\"tokensPerSecond\":41.5} Paused: Cyberpunk 2077 is running";
    expect(redactText(line)).toBe(line);
    const sentence = "the worker was restarted after it stopped answering within the time it was given";
    expect(redactText(sentence)).toBe(sentence);
  });

  it("removes prompts and completions logged as JSON fields or key=value", () => {
    const out = redactText('job {"jobId":"job_1","prompt":"my secret \\"plan\\"","messages":[1],"completion":"the answer"} prompt=hello');
    expect(out).toBe('job {"jobId":"job_1","prompt":"[redacted]","messages":[1],"completion":"[redacted]"} prompt=[redacted]');
    expect(out).not.toMatch(/secret|answer|hello/);
  });
});

describe("backup phrases among other words", () => {
  it("redacts only the phrase's words, keeping the words around it", () => {
    expect(redactText(`restored from ${PHRASE} successfully`)).toBe("restored from [redacted phrase] successfully");
  });

  it("leaves a run of fewer than twelve phrase words", () => {
    const eleven = PHRASE.split(" ").slice(0, 11).join(" ");
    expect(redactText(`words ${eleven} words`)).toBe(`words ${eleven} words`);
  });
});
