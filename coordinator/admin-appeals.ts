/**
 * The operator's side of appeals, under the admin API:
 *
 *   GET  /admin/appeals[?status=open|upheld|rejected]  → {appeals: [...]} newest first
 *   POST /admin/appeals/<id>/uphold                    → the appeal, upheld: the quarantine and the hold are lifted
 *   POST /admin/appeals/<id>/reject {reason}           → the appeal, rejected: the quarantine stays, the node is told why
 *
 * Upholding is the same as releasing the node (Reputation.release, whose hook marks the open
 * appeal upheld and tells the node), so the two can never disagree.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { STANDING_NOTICES } from "../shared/appeal";
import type { Logger } from "../shared/logger";
import { appealById, listAppeals, rejectAppeal, upholdOpenAppeal } from "./appeals";
import type { Database } from "./db";
import { HttpError, parseBody, readJson, sendJson } from "./http-util";
import type { NodeHub } from "./node-hub";
import { errorBody } from "./openai-format";
import type { Reputation } from "./reputation";

export interface AdminAppealsDeps {
  readonly db: Database;
  readonly reputation: Pick<Reputation, "release">;
  readonly hub: Pick<NodeHub, "sendToAddress">;
  readonly logger: Logger;
  readonly clock: () => Date;
}

const rejectBody = z.object({ reason: z.string().trim().min(1).max(480) }).strict();
const statusParam = z.enum(["open", "upheld", "rejected"]);

/** Serves `/admin/appeals…` (the admin API has checked the token). */
export class AdminAppeals {
  constructor(private readonly deps: AdminAppealsDeps) {}

  async list(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = new URL(req.url ?? "/", "http://coordinator").searchParams.get("status");
    const status = raw === null ? null : statusParam.safeParse(raw);
    if (status !== null && !status.success) throw new HttpError(400, errorBody("status must be open, upheld or rejected.", "invalid_request_error", "invalid_value", "status"));
    sendJson(res, 200, { appeals: await listAppeals(this.deps.db, status?.data ?? null) });
  }

  async uphold(res: ServerResponse, id: string): Promise<void> {
    const appeal = await this.open(id);
    // The release hook marks the appeal upheld, lifts the hold and tells the node.
    if (!(await this.deps.reputation.release(appeal.address))) await upholdOpenAppeal(this.deps.db, appeal.address, this.deps.clock());
    this.deps.logger.info("appeal upheld", { appealId: id, address: appeal.address });
    sendJson(res, 200, await appealById(this.deps.db, id));
  }

  async reject(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const body = parseBody(rejectBody, await readJson(req));
    await this.open(id);
    const rejected = await rejectAppeal(this.deps.db, id, body.reason, this.deps.clock());
    if (!rejected) throw closed(id);
    this.deps.hub.sendToAddress(rejected.address, { type: "error", code: STANDING_NOTICES.appealRejected, message: `appeal rejected: ${body.reason}` });
    this.deps.logger.info("appeal rejected", { appealId: id, address: rejected.address });
    sendJson(res, 200, rejected);
  }

  private async open(id: string) {
    const appeal = await appealById(this.deps.db, id);
    if (!appeal) throw new HttpError(404, errorBody(`Appeal ${id.slice(0, 40)} not found.`, "invalid_request_error", "not_found"));
    if (appeal.status !== "open") throw closed(id);
    return appeal;
  }
}

const closed = (id: string) => new HttpError(409, errorBody(`Appeal ${id} is already decided.`, "invalid_request_error", "appeal_closed"));
