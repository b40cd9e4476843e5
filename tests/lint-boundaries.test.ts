import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("process boundaries are enforced by lint", () => {
  it("refuses electron in the agent, the worker and the CLI", async () => {
    for (const file of ["electron/agent/x.ts", "electron/worker/x.ts", "electron/cli/x.ts"]) {
      expect(await violations(file, 'import { app } from "electron";\nexport const a = app;\n')).toHaveLength(1);
      expect(await violations(file, 'import Store from "electron-store";\nexport const a = Store;\n')).toHaveLength(1);
    }
  });

  it("allows electron in main and preload only", async () => {
    expect(await violations("electron/main/x.ts", 'import { app } from "electron";\nexport const a = app;\n')).toHaveLength(0);
    expect(await violations("electron/preload/x.ts", 'import { contextBridge } from "electron";\nexport const a = contextBridge;\n')).toHaveLength(0);
  });

  it("keeps shared/ runtime-neutral and the renderer and coordinator to their own folders", async () => {
    expect(await violations("shared/x.ts", 'import { readFile } from "node:fs";\nexport const a = readFile;\n')).toHaveLength(1);
    expect(await violations("shared/x.ts", 'import { b } from "../coordinator/db";\nexport const a = b;\n')).toHaveLength(1);
    expect(await violations("renderer/x.tsx", 'import { b } from "../electron/agent/node-agent";\nexport const a = b;\n')).toHaveLength(1);
    expect(await violations("renderer/x.tsx", 'import { b } from "../shared/money";\nexport const a = b;\n')).toHaveLength(0);
    expect(await violations("coordinator/x.ts", 'import { b } from "../electron/agent/wallet";\nexport const a = b;\n')).toHaveLength(1);
    expect(await violations("coordinator/x.ts", 'import { b } from "../shared/protocol";\nexport const a = b;\n')).toHaveLength(0);
  });
});
