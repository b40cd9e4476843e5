/**
 * The macOS profile, checked where it cannot be run: it must parse as an S-expression, deny the
 * network outright, name only real macOS paths or parameters, and use exactly the parameters the
 * wrap passes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_PROFILE_PATH, describeSandboxExec, sandboxExecArgs, sandboxExecParams } from "./sandbox-exec";

type Sexp = string | Sexp[];

/** Reads SBPL text into nested lists; throws on unbalanced parentheses or unterminated strings. */
function parseSbpl(text: string): Sexp[] {
  const stack: Sexp[][] = [[]];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === ";") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "(") {
      const list: Sexp[] = [];
      stack[stack.length - 1]?.push(list);
      stack.push(list);
      i++;
    } else if (c === ")") {
      if (stack.length === 1) throw new Error(`unbalanced ")" at offset ${i}`);
      stack.pop();
      i++;
    } else if (c === '"' || (c === "#" && text[i + 1] === '"')) {
      const start = i;
      i += c === "#" ? 2 : 1;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      if (i >= text.length) throw new Error(`unterminated string at offset ${start}`);
      i++;
      stack[stack.length - 1]?.push(text.slice(start, i));
    } else if (/\s/.test(c)) {
      i++;
    } else {
      const start = i;
      while (i < text.length && !/[\s()";]/.test(text[i] ?? "")) i++;
      stack[stack.length - 1]?.push(text.slice(start, i));
    }
  }
  if (stack.length !== 1) throw new Error(`${stack.length - 1} unclosed "("`);
  return stack[0] ?? [];
}

function atoms(sexp: Sexp): string[] {
  return typeof sexp === "string" ? [sexp] : sexp.flatMap(atoms);
}

function lists(sexp: Sexp): Sexp[][] {
  return typeof sexp === "string" ? [] : [sexp, ...sexp.flatMap(lists)];
}

const unquote = (atom: string) => atom.slice(1, -1);

/** Paths present on every supported macOS (12 and later); anything else must be a parameter. */
const MACOS_PATHS = new Set([
  "/",
  "/System",
  "/usr/lib",
  "/usr/share",
  "/Library/Apple/System/Library",
  "/private/var/db/dyld",
  "/private/var/db/timezone",
  "/private/etc/localtime",
  "/dev/null",
  "/dev/zero",
  "/dev/random",
  "/dev/urandom",
]);

const profileText = readFileSync(DEFAULT_PROFILE_PATH, "utf8");

describe("resources/sandbox/worker.sb", () => {
  const forms = parseSbpl(profileText);

  it("parses as balanced S-expressions, starting with (version 1) and (deny default)", () => {
    expect(forms[0]).toEqual(["version", "1"]);
    expect(forms[1]).toEqual(["deny", "default"]);
    expect(forms.every((form) => Array.isArray(form))).toBe(true);
    // The checker itself rejects broken text.
    expect(() => parseSbpl("(allow file-read* (subpath \"/System\")")).toThrow(/unclosed/);
    expect(() => parseSbpl("(deny default))")).toThrow(/unbalanced/);
    expect(() => parseSbpl('(literal "/dev/null)')).toThrow(/unterminated/);
  });

  it("never allows the network and denies it explicitly, after every allow rule (the last matching rule wins)", () => {
    const allowed = forms.filter((form) => Array.isArray(form) && form[0] === "allow").flatMap((form) => (form as Sexp[]).slice(1).filter((x): x is string => typeof x === "string"));
    expect(allowed.filter((operation) => operation.startsWith("network") || operation === "system-socket")).toEqual([]);
    const denied = forms.filter((form) => Array.isArray(form) && form[0] === "deny").map((form) => (form as Sexp[])[1]);
    expect(denied).toEqual(expect.arrayContaining(["network*", "network-outbound", "network-inbound"]));
    const lastAllow = forms.map((form) => (form as Sexp[])[0]).lastIndexOf("allow");
    const firstNetworkDeny = forms.findIndex((form) => Array.isArray(form) && form[0] === "deny" && form[1] === "network*");
    expect(firstNetworkDeny).toBeGreaterThan(lastAllow);
  });

  it("names only paths that exist on every Mac, or parameters", () => {
    const pathFilters = lists(forms).filter((list) => list[0] === "subpath" || list[0] === "literal");
    expect(pathFilters.length).toBeGreaterThan(10);
    for (const filter of pathFilters) {
      const argument = filter[1];
      if (Array.isArray(argument)) expect(argument[0]).toBe("param");
      else expect(MACOS_PATHS, `${filter[0]} ${argument}`).toContain(unquote(argument ?? ""));
    }
    const strings = atoms(forms).filter((atom) => atom.startsWith('"/'));
    for (const path of strings) expect(MACOS_PATHS).toContain(unquote(path));
  });

  it("writes only to the worker home and the temp folder", () => {
    const writes = forms.filter((form) => Array.isArray(form) && form[0] === "allow" && form[1] === "file-write*") as Sexp[][];
    expect(writes.length).toBe(1);
    expect((writes[0] ?? []).slice(2)).toEqual([
      ["literal", '"/dev/null"'],
      ["subpath", ["param", '"WORKER_HOME"']],
      ["subpath", ["param", '"TMP_DIR"']],
    ]);
  });

  it("uses exactly the parameters the wrap passes", () => {
    const used = new Set(lists(forms).filter((list) => list[0] === "param").map((list) => unquote(list[1] as string)));
    const params = sandboxExecParams({
      appRoot: "/Users/ann/Offpeak.app/Contents/Resources/app",
      modelDirs: ["/Users/ann/.offpeak/models"],
      workerHome: "/Users/ann/.offpeak/worker-home",
      nodeBinary: "/Users/ann/Offpeak.app/Contents/MacOS/Offpeak Helper",
      tmpDir: "/tmp",
      realpath: (path) => (path === "/tmp" ? "/private/tmp" : path),
    });
    const argv = sandboxExecArgs("/p/worker.sb", params, params.NODE_BINARY, ["worker.js"]);
    const passed = argv.flatMap((arg, index) => (argv[index - 1] === "-D" ? [arg.slice(0, arg.indexOf("="))] : []));
    expect(new Set(passed)).toEqual(used);
    expect(argv).toEqual([
      "-f", "/p/worker.sb",
      "-D", "APP_ROOT=/Users/ann/Offpeak.app/Contents/Resources/app",
      "-D", "MODEL_DIR=/Users/ann/.offpeak/models",
      "-D", "MODEL_DIR_2=/Users/ann/.offpeak/models",
      "-D", "WORKER_HOME=/Users/ann/.offpeak/worker-home",
      "-D", "TMP_DIR=/private/tmp",
      "-D", "NODE_BINARY=/Users/ann/Offpeak.app/Contents/MacOS/Offpeak Helper",
      "/Users/ann/Offpeak.app/Contents/MacOS/Offpeak Helper", "worker.js",
    ]);
  });

  it("lets Metal open the GPU and its compiler service", () => {
    const text = atoms(forms).join(" ");
    for (const name of ['"AGXDeviceUserClient"', '"IOSurfaceRootUserClient"', '"com.apple.MTLCompilerService"']) expect(text).toContain(name);
  });

  it("says when a third model folder cannot be read", () => {
    expect(describeSandboxExec(1)).toMatch(/^sandbox-exec: no network/);
    expect(describeSandboxExec(3)).toContain("only the first two of 3 model folders are readable");
  });
});
