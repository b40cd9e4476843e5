/**
 * How a command talks to the node running on this machine: its control server's HTTP API,
 * found through the control file in the data folder, with the per-session token.
 */
import { readControlFile } from "../agent/control-file";
import { prepareDataDir, resolveDataDir } from "../agent/data-dir";

/** The node's answer, or why there is none and the exit code to leave with. */
export type NodeApiReply = { ok: true; status: number; body: unknown } | { ok: false; exitCode: number; error: string };

/** Calls `method path` on the running node's control API with an optional JSON body. */
export async function callNodeApi(dataDir: string | undefined, method: string, path: string, body?: unknown): Promise<NodeApiReply> {
  const paths = await prepareDataDir(resolveDataDir(dataDir));
  const control = await readControlFile(paths.controlFile);
  if (!control.ok) return { ok: false, exitCode: 3, error: control.error };
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${control.value.port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${control.value.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return { ok: false, exitCode: 3, error: `the node that wrote ${paths.controlFile} is not answering (pid ${control.value.pid}); it may have stopped` };
  }
  return { ok: true, status: response.status, body: await response.json().catch(() => null) };
}

/** The error sentence of a refused call's `{"error": "…"}` body. */
export function apiError(body: unknown, status: number): string {
  if (typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string") return (body as { error: string }).error;
  return `the node answered ${status}`;
}
