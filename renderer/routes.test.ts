import { describe, expect, it } from "vitest";
import { hashWithoutToken, readHash, routeFromHash } from "./routes";

describe("hash routes", () => {
  it("names the page of a fragment, the Dashboard for anything else", () => {
    expect(routeFromHash("#/models")).toBe("models");
    expect(routeFromHash("#/settings/")).toBe("settings");
    expect(routeFromHash("#/schedule")).toBe("schedule");
    expect(routeFromHash("#/diagnostics?token=abc")).toBe("diagnostics");
    expect(routeFromHash("#/")).toBe("dashboard");
    expect(routeFromHash("")).toBe("dashboard");
    expect(routeFromHash("#token=abc")).toBe("dashboard");
    expect(routeFromHash("#/wallet")).toBe("wallet");
    expect(routeFromHash("#/earnings")).toBe("earnings");
    expect(routeFromHash("#/nowhere")).toBe("dashboard");
  });

  it("reads the token of a dashboard link next to a route, and keeps the route without it", () => {
    expect(readHash("#token=abc_DEF-1")).toEqual({ path: "", token: "abc_DEF-1" });
    expect(readHash("#/models?token=xyz")).toEqual({ path: "/models", token: "xyz" });
    expect(readHash("#/models")).toEqual({ path: "/models", token: null });
    expect(routeFromHash("#/models?token=xyz")).toBe("models");
    expect(hashWithoutToken("#/models?token=xyz")).toBe("#/models");
    expect(hashWithoutToken("#token=xyz")).toBe("");
  });
});
