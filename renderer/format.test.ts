import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, formatSpeed } from "./format";

describe("figures the Models page shows", () => {
  it("sizes in GB, MB or KB", () => {
    expect(formatBytes(42 * 1024 ** 3)).toBe("42 GB");
    expect(formatBytes(1.5 * 1024 ** 3)).toBe("1.5 GB");
    expect(formatBytes(398 * 1024 ** 2)).toBe("398 MB");
    expect(formatBytes(12 * 1024)).toBe("12 KB");
    expect(formatSpeed(10 * 1024 ** 2)).toBe("10 MB/s");
  });

  it("time left the way people say it", () => {
    expect(formatDuration(30)).toBe("30 s");
    expect(formatDuration(179)).toBe("3 min");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(4800)).toBe("1 h 20 min");
  });
});
