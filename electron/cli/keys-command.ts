/**
 * `offpeak keys create`: asks a coordinator's admin API for a new consumer key.
 */
import { parseUsd } from "../../shared/money";
import type { CliValues } from "./cli-options";
import type { CliIo } from "./main";

/** The coordinator's HTTP base for a ws:// node URL or an http:// URL. */
export function httpBase(coordinatorUrl: string): string {
  const url = new URL(coordinatorUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  else if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`not a coordinator address: ${coordinatorUrl}`);
  return `${url.protocol}//${url.host}`;
}

/** Creates a consumer key and prints it as OPENAI_API_KEY=…. */
export async function runKeysCommand(values: CliValues, io: CliIo): Promise<number> {
  if (!values.coordinator || !values["admin-token"] || !values["credit-usd"]) {
    io.err("offpeak keys create: --coordinator URL, --admin-token T and --credit-usd N are required");
    return 2;
  }
  const creditMicroUsd = parseUsd(values["credit-usd"]);
  const response = await fetch(`${httpBase(values.coordinator)}/admin/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${values["admin-token"]}` },
    body: JSON.stringify({ creditMicroUsd }),
  });
  const body = (await response.json().catch(() => null)) as { key?: string; error?: { message?: string } } | null;
  if (!response.ok || !body?.key) {
    io.err(`offpeak keys create: the coordinator refused (${response.status}): ${body?.error?.message ?? "no reason given"}`);
    return 1;
  }
  io.out(`OPENAI_API_KEY=${body.key}`);
  return 0;
}
