/**
 * The page the desktop window loads carries a strict Content-Security-Policy: its own scripts
 * and styles only, no inline or eval'd code, no plugins, no forms posting elsewhere, and network
 * access only to the node's own control server on this machine.
 */
import { describe, expect, it } from "vitest";
import type { Plugin } from "vite";
import { config } from "../renderer/vite.config";

function policy(): Map<string, string> {
  const plugin = (config.plugins ?? []).flat().find((p): p is Plugin => typeof p === "object" && p !== null && "name" in p && p.name === "offpeak-csp");
  if (!plugin) throw new Error("the renderer build has no CSP plugin");
  expect(plugin.apply).toBe("build");
  const transform = plugin.transformIndexHtml as () => { tag: string; attrs: Record<string, string> }[];
  const [meta] = transform();
  expect(meta).toMatchObject({ tag: "meta", attrs: { "http-equiv": "Content-Security-Policy" } });
  const directives = (meta?.attrs.content ?? "").split(";").map((d) => d.trim().split(/\s+/));
  return new Map(directives.map(([name, ...values]) => [name ?? "", values.join(" ")]));
}

describe("the window's Content-Security-Policy", () => {
  it("allows only the app's own scripts and styles, and no inline or eval'd code", () => {
    const csp = policy();
    expect(csp.get("default-src")).toBe("'self'");
    expect(csp.get("script-src")).toBe("'self'");
    expect(csp.get("style-src")).toBe("'self'");
    const sources = [...csp.values()].join(" ").split(" ");
    expect(sources.filter((source) => /unsafe|^\*$|^https?:|^blob:/.test(source))).toEqual([]);
  });

  it("blocks plugins, base rewriting and form posts, and connects only to this machine", () => {
    const csp = policy();
    expect(csp.get("object-src")).toBe("'none'");
    expect(csp.get("base-uri")).toBe("'none'");
    expect(csp.get("form-action")).toBe("'none'");
    for (const source of (csp.get("connect-src") ?? "").split(" ")) {
      expect(source).toMatch(/^('self'|ws:\/\/127\.0\.0\.1:\*|ws:\/\/localhost:\*)$/);
    }
  });
});
