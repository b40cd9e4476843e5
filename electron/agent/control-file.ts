/**
 * The small file through which `offpeak status` (and other commands) find the node running on
 * this machine: its control server's address and per-session token, readable by the owner only.
 */
import { readFile, rm, writeFile, rename } from "node:fs/promises";
import { z } from "zod";

export const controlFileSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  token: z.string().min(16),
  dashboardUrl: z.string(),
  startedAt: z.number(),
});
export type ControlFile = z.infer<typeof controlFileSchema>;

/** Writes the control file atomically with mode 0600. */
export async function writeControlFile(path: string, content: ControlFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(content), { mode: 0o600 });
  await rename(tmp, path);
}

/** Reads the control file, or explains why there is no running node to talk to. */
export async function readControlFile(path: string): Promise<{ ok: true; value: ControlFile } | { ok: false; error: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return { ok: false, error: `no node is running with this data folder (no ${path}); start one with "offpeak up" or "offpeak node"` };
  }
  try {
    const parsed = controlFileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { ok: true, value: parsed.data };
  } catch {
    // fall through
  }
  return { ok: false, error: `the control file ${path} is damaged; restart the node` };
}

/** Removes the control file if it still belongs to this process. */
export async function removeControlFile(path: string, pid = process.pid): Promise<void> {
  const current = await readControlFile(path);
  if (current.ok && current.value.pid === pid) await rm(path, { force: true });
}
