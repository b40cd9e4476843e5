/**
 * The admin API, guarded by the admin token: consumer keys (create, list, change, revoke, top
 * up), list prices per model, and the nodes with their state and its reason (including
 * quarantine, which the admin can also impose or lift, and what was refunded to consumers for a
 * node's work), and the owners' appeals (admin-appeals.ts). Lifting a quarantine upholds the
 * owner's appeal: the node's held credits that were not refunded become pending again; refunds
 * already made stay.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { Logger } from "../shared/logger";
import { addressSchema } from "../shared/protocol";
import type { Database } from "./db";
import { createApiKey, listApiKeys, revokeApiKey, secretsEqual, topUpApiKey, updateApiKey } from "./api-keys";
import type { HubNode, NodeHub } from "./node-hub";
import type { PriceBook } from "./price-book";
import type { Reputation } from "./reputation";
import { errorBody } from "./openai-format";
import { nodeRefundTotals, type NodeRefundTotals } from "./job-refunds";
import { nodeEarningsIn, nodeHold } from "./node-credits";
import { bearer, HttpError, parseBody, readJson, sendJson } from "./http-util";
import type { AdminAppeals } from "./admin-appeals";

/** What the admin API works with. */
export interface AdminApiDeps {
  readonly db: Database;
  readonly adminToken: string;
  readonly hub: Pick<NodeHub, "candidates">;
  readonly prices: PriceBook;
  readonly reputation: Reputation;
  readonly logger: Logger;
  readonly clock: () => Date;
  /** The owners' appeals (admin-appeals.ts): list, uphold, reject. */
  readonly appeals?: AdminAppeals;
}

const micro = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const rate = z.number().int().positive().max(1_000_000);
const createKeyBody = z.object({ creditMicroUsd: micro, name: z.string().max(200).optional(), ratePerMinute: rate.optional() }).strict();
const updateKeyBody = z.object({ name: z.string().max(200).nullable().optional(), ratePerMinute: rate.nullable().optional() }).strict();
const topUpBody = z.object({ amountMicroUsd: micro.min(1) }).strict();
const priceBody = z.object({ inputMicroUsdPerMTok: micro, outputMicroUsdPerMTok: micro }).strict();
const quarantineBody = z.object({ reason: z.string().trim().min(1).max(480) }).strict();

/** How the coordinator sees a node now, and why. */
export function nodeState(n: HubNode): { state: "quarantined" | "not sharing" | "busy" | "serving" | "idle"; reason: string } {
  if (n.quarantined) return { state: "quarantined", reason: n.quarantineReason ?? "failed verification" };
  if (!n.sharing || n.capacity === 0) return { state: "not sharing", reason: n.statusReason };
  if (n.inFlight >= n.capacity) return { state: "busy", reason: `running ${n.inFlight} of ${n.capacity} jobs` };
  if (n.inFlight > 0) return { state: "serving", reason: `running ${n.inFlight} of ${n.capacity} jobs` };
  return { state: "idle", reason: n.statusReason };
}

const NO_REFUNDS: NodeRefundTotals = { jobs: 0, parts: 0, microUsd: 0 };

const notFound = (what: string) => new HttpError(404, errorBody(`${what} not found.`, "invalid_request_error", "not_found"));

/** Serves `/admin/…`. */
export class AdminApi {
  constructor(private readonly deps: AdminApiDeps) {}

  /** Answers one admin request (the caller has matched the /admin/ prefix). */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    const token = bearer(req);
    if (!token || !secretsEqual(token, this.deps.adminToken)) throw new HttpError(401, errorBody("Admin token required.", "invalid_request_error", "invalid_api_key"));
    const parts = path.split("/").slice(2).map(decodeURIComponent);
    const [section, id, action] = parts;
    const routes: [boolean, Record<string, () => Promise<void>>][] = [
      [section === "keys" && parts.length === 1, { GET: () => this.keys(res), POST: () => this.createKey(req, res) }],
      [section === "keys" && parts.length === 2, { GET: () => this.key(res, id as string), PATCH: () => this.updateKey(req, res, id as string) }],
      [section === "keys" && parts.length === 3 && action === "revoke", { POST: () => this.revokeKey(res, id as string) }],
      [section === "keys" && parts.length === 3 && action === "topup", { POST: () => this.topUp(req, res, id as string) }],
      [section === "prices" && parts.length === 1, { GET: async () => sendJson(res, 200, this.deps.prices.list()) }],
      [section === "prices" && parts.length === 2, { PUT: () => this.setPrice(req, res, id as string) }],
      [section === "nodes" && parts.length === 1, { GET: async () => sendJson(res, 200, { nodes: await this.nodes() }) }],
      [section === "nodes" && parts.length === 2, { GET: () => this.node(res, id as string) }],
      [section === "nodes" && parts.length === 3 && action === "quarantine", { POST: () => this.quarantine(req, res, id as string) }],
      [section === "nodes" && parts.length === 3 && action === "release", { POST: () => this.release(res, id as string) }],
      ...this.appealRoutes(req, res, parts),
    ];
    const route = routes.find(([matches]) => matches)?.[1];
    if (!route) throw new HttpError(404, errorBody(`Unknown route: ${method} ${path}`, "invalid_request_error", "unknown_url"));
    const handler = route[method];
    if (!handler) {
      throw new HttpError(405, errorBody(`Method ${method} is not allowed on ${path}.`, "invalid_request_error", "method_not_allowed"), { allow: Object.keys(route).join(", ") });
    }
    await handler();
  }

  private appealRoutes(req: IncomingMessage, res: ServerResponse, parts: string[]): [boolean, Record<string, () => Promise<void>>][] {
    const appeals = this.deps.appeals;
    if (!appeals || parts[0] !== "appeals") return [];
    const [, id, action] = parts;
    return [
      [parts.length === 1, { GET: () => appeals.list(req, res) }],
      [parts.length === 3 && action === "uphold", { POST: () => appeals.uphold(res, id as string) }],
      [parts.length === 3 && action === "reject", { POST: () => appeals.reject(req, res, id as string) }],
    ];
  }

  private async keys(res: ServerResponse): Promise<void> {
    sendJson(res, 200, { keys: await listApiKeys(this.deps.db) });
  }

  private async key(res: ServerResponse, id: string): Promise<void> {
    const [key] = await listApiKeys(this.deps.db, id);
    if (!key) throw notFound(`Key ${id}`);
    sendJson(res, 200, key);
  }

  private async createKey(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = parseBody(createKeyBody, await readJson(req));
    const created = await createApiKey(this.deps.db, body.creditMicroUsd, body.name, this.deps.clock(), body.ratePerMinute ?? null);
    this.deps.logger.info("consumer key created", { keyId: created.id, creditMicroUsd: body.creditMicroUsd });
    sendJson(res, 201, created);
  }

  private async updateKey(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = parseBody(updateKeyBody, await readJson(req));
    if (!(await updateApiKey(this.deps.db, id, body))) throw notFound(`Key ${id}`);
    this.deps.logger.info("consumer key changed", { keyId: id, ratePerMinute: body.ratePerMinute });
    await this.key(res, id);
  }

  private async revokeKey(res: ServerResponse, id: string): Promise<void> {
    if (!(await revokeApiKey(this.deps.db, id, this.deps.clock()))) {
      const [key] = await listApiKeys(this.deps.db, id);
      if (!key) throw notFound(`Key ${id}`);
      throw new HttpError(409, errorBody(`Key ${id} is already revoked.`, "invalid_request_error", "already_revoked"));
    }
    this.deps.logger.info("consumer key revoked", { keyId: id });
    await this.key(res, id);
  }

  private async topUp(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = parseBody(topUpBody, await readJson(req));
    if (!(await topUpApiKey(this.deps.db, id, body.amountMicroUsd, this.deps.clock()))) throw notFound(`Active key ${id}`);
    this.deps.logger.info("consumer key topped up", { keyId: id, amountMicroUsd: body.amountMicroUsd });
    await this.key(res, id);
  }

  private async setPrice(req: IncomingMessage, res: ServerResponse, model: string): Promise<void> {
    if (model.length === 0 || model.length > 200) throw new HttpError(400, errorBody("A model id is 1 to 200 characters.", "invalid_request_error", "invalid_value", "model"));
    const body = parseBody(priceBody, await readJson(req));
    await this.deps.prices.set(model, body, this.deps.clock());
    this.deps.logger.info("list price set", { model, ...body });
    sendJson(res, 200, { model, ...this.deps.prices.price(model) });
  }

  private async nodes() {
    const candidates = this.deps.hub.candidates();
    const refunds = await nodeRefundTotals(this.deps.db, candidates.map((n) => n.address));
    return candidates.map((n) => {
      const counters = this.deps.reputation.counters(n.address);
      return {
        address: n.address,
        agent: n.agent,
        ...nodeState(n),
        backend: n.backend,
        models: n.models.map((m) => ({ id: m.id, ...(m.price ? { price: m.price } : {}) })),
        capacity: n.capacity,
        inFlight: n.inFlight,
        rttMs: n.rttMs === null ? null : Math.round(n.rttMs * 10) / 10,
        tokensPerSecond: n.tokensPerSecond === null ? null : Math.round(n.tokensPerSecond * 10) / 10,
        reputation: Math.round(n.reputation * 1000) / 1000,
        reputationParts: this.deps.reputation.parts(n.address),
        checks: { passed: counters.passed, failed: counters.failed },
        answers: { finished: counters.completed, brokenOff: counters.broken },
        quarantine: counters.quarantine ? { reason: counters.quarantine.reason, since: counters.quarantine.since.toISOString() } : null,
        refunds: refunds.get(n.address.toLowerCase()) ?? NO_REFUNDS,
      };
    });
  }

  /** One node, connected or not: its standing, its money and what was refunded for its work. */
  private async node(res: ServerResponse, raw: string): Promise<void> {
    const address = this.address(raw);
    await this.deps.reputation.refresh(address);
    const counters = this.deps.reputation.counters(address);
    const connected = this.deps.hub.candidates().find((n) => n.address === address);
    const hold = await nodeHold(this.deps.db, address);
    sendJson(res, 200, {
      address,
      connected: connected !== undefined,
      ...(connected ? nodeState(connected) : {}),
      checks: { passed: counters.passed, failed: counters.failed },
      quarantine: counters.quarantine ? { reason: counters.quarantine.reason, since: counters.quarantine.since.toISOString() } : null,
      hold: hold ? { reason: hold.reason, since: hold.since.toISOString() } : null,
      earnings: await nodeEarningsIn(this.deps.db, address, this.deps.clock()),
      refunds: (await nodeRefundTotals(this.deps.db, [address])).get(address) ?? NO_REFUNDS,
    });
  }

  private address(raw: string): string {
    const parsed = addressSchema.safeParse(raw);
    if (!parsed.success) throw new HttpError(400, errorBody(`Not a node address: ${raw.slice(0, 60)}`, "invalid_request_error", "invalid_value", "address"));
    return parsed.data.toLowerCase();
  }

  private async quarantine(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const address = this.address(raw);
    const body = parseBody(quarantineBody, await readJson(req));
    await this.deps.reputation.quarantine(address, `by the operator: ${body.reason}`);
    sendJson(res, 200, { address, quarantine: this.deps.reputation.counters(address).quarantine });
  }

  private async release(res: ServerResponse, raw: string): Promise<void> {
    const address = this.address(raw);
    if (!(await this.deps.reputation.release(address))) throw new HttpError(409, errorBody(`Node ${address} is not quarantined.`, "invalid_request_error", "not_quarantined"));
    sendJson(res, 200, { address, quarantine: null });
  }
}
