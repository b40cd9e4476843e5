/**
 * The owner's appeal against a quarantine, and the node's standing as the coordinator and the UI
 * see it: the quarantine and its reason, the latest appeal (open, upheld, or rejected with the
 * operator's reason), the earnings held and when they are forfeited if no appeal is upheld.
 *
 * The node signs its appeal (EIP-712 `Appeal`, see typed-data.ts) and reads its standing with a
 * signed read (`ReadStanding`); the coordinator tells a connected node of a change with an
 * `error` frame whose code is one of {@link STANDING_NOTICES}, and the node reads its standing again.
 */
import { z } from "zod";
import { addressSchema } from "./protocol";

/** Longest statement an owner may write, in characters. */
export const APPEAL_MAX_CHARS = 1_000;

/** Where a node files its appeal (POST) and reads its standing (GET, signed read). */
export const APPEAL_PATH = "/v1/nodes/appeal";
export const STANDING_PATH = "/v1/nodes/standing";

/** How far a signed appeal or read may be from the coordinator's clock. */
export const APPEAL_SIGNATURE_MAX_AGE_MS = 5 * 60_000;

/** Headers of the signed standing read. */
export const STANDING_HEADERS = { node: "x-offpeak-node", timestamp: "x-offpeak-timestamp", signature: "x-offpeak-signature" } as const;

/** Codes of the coordinator's `error` frames that change a node's standing. */
export const STANDING_NOTICES = {
  quarantined: "quarantined",
  appealRejected: "appeal_rejected",
  quarantineLifted: "quarantine_lifted",
  earningsForfeited: "held_earnings_forfeited",
} as const;

/** The statement as typed: trimmed, 1 to APPEAL_MAX_CHARS characters. */
export const appealStatementSchema = z
  .string()
  .trim()
  .min(1, "write why the quarantine is wrong")
  .max(APPEAL_MAX_CHARS, `a statement is at most ${APPEAL_MAX_CHARS} characters`);

/** Why a statement cannot be sent, in the owner's words, or null. */
export function statementProblem(text: string): string | null {
  const parsed = appealStatementSchema.safeParse(text);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? "not a statement");
}

/** The body of `POST /v1/nodes/appeal`. */
export const appealRequestSchema = z
  .object({
    node: addressSchema,
    statement: appealStatementSchema,
    /** Epoch ms when the node signed. */
    timestamp: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature"),
  })
  .strict();
export type AppealRequest = z.infer<typeof appealRequestSchema>;

/** One appeal as the node and the operator see it. */
export const appealViewSchema = z.object({
  id: z.string(),
  status: z.enum(["open", "upheld", "rejected"]),
  statement: z.string(),
  /** Epoch ms. */
  createdAt: z.number().int(),
  decidedAt: z.number().int().nullable(),
  /** The operator's reason for a rejection. */
  reason: z.string().nullable(),
});
export type AppealView = z.infer<typeof appealViewSchema>;

/** The answer of `GET /v1/nodes/standing`. */
export const standingReportSchema = z.object({
  quarantine: z.object({ reason: z.string(), since: z.number().int() }).nullable(),
  /** The latest appeal of the current quarantine (or the one that ended the last), or null. */
  appeal: appealViewSchema.nullable(),
  heldMicroUsd: z.number().int().nonnegative(),
  /** When the held earnings are forfeited unless an appeal is upheld; null while an appeal is open or nothing is held. */
  forfeitAt: z.number().int().nullable(),
});
export type StandingReport = z.infer<typeof standingReportSchema>;

/** The standing in the node's state: what the coordinator last said, and how the last read went. */
export const nodeStandingSchema = z.object({
  quarantine: z.object({ reason: z.string(), since: z.number().int().nullable() }).nullable(),
  appeal: appealViewSchema.nullable(),
  heldMicroUsd: z.number().int().nonnegative().nullable(),
  forfeitAt: z.number().int().nullable(),
  /** "loading" while the node reads its standing, "error" when the last read failed (what was read stays). */
  sync: z.enum(["idle", "loading", "error"]),
  error: z.string().nullable(),
});
export type NodeStanding = z.infer<typeof nodeStandingSchema>;

/** A node in good standing, as far as it knows. */
export const CLEAR_STANDING: NodeStanding = { quarantine: null, appeal: null, heldMicroUsd: null, forfeitAt: null, sync: "idle", error: null };
