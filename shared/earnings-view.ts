/**
 * A node's earnings as the coordinator reports them over HTTP (`GET /v1/nodes/<address>/earnings`,
 * see coordinator/earnings-api.ts) and as the agent shows them to its owner through ControlApi's
 * `getEarnings`: balances, a series for the chart, per-job records, and the reconciliation of
 * the coordinator's records with the receipts this node signed. Amounts are integer µUSD, times
 * epoch milliseconds.
 */
import { z } from "zod";

const micro = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const count = micro;
const time = z.number().int().nonnegative();

/** Headers of a signed earnings request: the signing time (epoch ms) and the EIP-712 signature. */
export const EARNINGS_TIMESTAMP_HEADER = "x-offpeak-timestamp";
export const EARNINGS_SIGNATURE_HEADER = "x-offpeak-signature";
/** How far the signing time of an earnings request may be from the coordinator's clock. */
export const EARNINGS_REQUEST_MAX_AGE_MS = 5 * 60_000;
/** Most records one page of the earnings API holds. */
export const EARNINGS_PAGE_MAX = 200;

export const earningsBalancesSchema = z.object({
  availableMicroUsd: micro,
  pendingMicroUsd: micro,
  heldMicroUsd: micro,
  withdrawnMicroUsd: micro,
  lifetimeMicroUsd: micro,
  todayMicroUsd: micro,
});
export type EarningsBalances = z.infer<typeof earningsBalancesSchema>;

/** One bar of the chart: what was credited from `start` for an hour or a day. */
export const earningsBucketSchema = z.object({ start: time, microUsd: micro, jobs: count });
export type EarningsBucket = z.infer<typeof earningsBucketSchema>;

/**
 * Where a credit stands: inside its verification window, frozen by a hold, withdrawable, or
 * taken back and refunded to the consumer because the node failed a verification.
 */
export const creditStateSchema = z.enum(["pending", "held", "available", "refunded"]);
export type CreditState = z.infer<typeof creditStateSchema>;

/** A credit refunded to the job's consumer: when, the credit taken back, and the coordinator's reason. */
export const creditRefundSchema = z.object({
  at: time,
  /** What the node had been credited for the job (now 0 to it). */
  microUsd: micro,
  reason: z.string().max(600),
});
export type CreditRefund = z.infer<typeof creditRefundSchema>;

/**
 * What the node asks the earnings API to include (`?include=`): a coordinator sends refunded
 * credits only when asked, so a node that does not know that state never receives it.
 */
export const EARNINGS_INCLUDE_REFUNDED = "refunded";

/** One job the coordinator credited to the node, with the receipt it rests on. */
export const creditedJobSchema = z.object({
  jobId: z.string().max(100),
  at: time,
  model: z.string().max(200),
  promptTokens: count,
  completionTokens: count,
  /** What the credit is worth to the node now: 0 once refunded. */
  amountMicroUsd: micro,
  state: creditStateSchema,
  availableAt: time,
  outputHash: z.string().max(100),
  signature: z.string().max(1000),
  /** Set when the state is "refunded"; absent from coordinators that predate refunds. */
  refund: creditRefundSchema.nullable().default(null),
});
export type CreditedJob = z.infer<typeof creditedJobSchema>;

/** The coordinator's answer to a signed earnings request. */
export const nodeEarningsReportSchema = z.object({
  address: z.string(),
  balances: earningsBalancesSchema,
  hold: z.object({ reason: z.string(), since: time }).nullable(),
  verificationWindowMs: time,
  feeBps: z.number().int().min(0).max(10_000),
  /** Price of the model asked for (`?model=`), or of every model when none was named. */
  price: z.object({ inputMicroUsdPerMTok: micro, outputMicroUsdPerMTok: micro }),
  /** The last 48 hours, one bucket per UTC hour, oldest first. */
  hourly: z.array(earningsBucketSchema),
  /** The last 30 days, one bucket per UTC day, oldest first. */
  daily: z.array(earningsBucketSchema),
  /** Credited jobs, newest first. */
  jobs: z.array(creditedJobSchema).max(EARNINGS_PAGE_MAX),
  /** Pass as `?cursor=` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type NodeEarningsReport = z.infer<typeof nodeEarningsReportSchema>;

/** The periods the Earnings page and `offpeak earnings` show. */
export const earningsRangeSchema = z.enum(["24h", "7d", "30d"]);
export type EarningsRange = z.infer<typeof earningsRangeSchema>;

/** Length of each range in ms. */
export const EARNINGS_RANGE_MS: Readonly<Record<EarningsRange, number>> = {
  "24h": 24 * 3_600_000,
  "7d": 7 * 24 * 3_600_000,
  "30d": 30 * 24 * 3_600_000,
};

/**
 * A job as the owner sees it after reconciliation: credited (pending, held, available), credited
 * then refunded to its consumer after a failed verification ("refunded"), signed here but unknown
 * to the coordinator ("missing"), just signed and not settled yet ("in-flight"), credited by the
 * coordinator without a receipt in this node's record ("unrecorded"), or not compared because
 * the coordinator could not be asked about it ("unchecked").
 */
export const earningsRowStateSchema = z.enum(["pending", "held", "available", "refunded", "in-flight", "missing", "unrecorded", "unchecked"]);
export type EarningsRowState = z.infer<typeof earningsRowStateSchema>;

export const earningsRowSchema = z.object({
  jobId: z.string(),
  at: time,
  model: z.string(),
  promptTokens: count,
  completionTokens: count,
  /** What the coordinator credited (null when it has no credit for the job). */
  amountMicroUsd: micro.nullable(),
  state: earningsRowStateSchema,
  availableAt: time.nullable(),
  outputHash: z.string(),
  signature: z.string(),
  /** A difference between the two records of this job, in words ("tokens: 12 here, 10 at the coordinator"). */
  difference: z.string().nullable(),
  /** The refund to the consumer, for a refunded job. */
  refund: creditRefundSchema.nullable().default(null),
});
export type EarningsRow = z.infer<typeof earningsRowSchema>;

/** What comparing the node's receipts with the coordinator's records found, over the range. */
export const reconciliationSchema = z.object({
  /** Receipts this node signed in the range. */
  signed: count,
  /** Receipts the coordinator credited, by the credit's state. */
  pending: count,
  held: count,
  available: count,
  /** Credited, then refunded to their consumers after a failed verification. */
  refunded: count.default(0),
  /** Signed moments ago; the coordinator may still be settling them. */
  inFlight: count,
  /** Signed here, not credited by the coordinator. */
  missingAtCoordinator: count,
  /** Credited by the coordinator, with no receipt in this node's record. */
  missingLocally: count,
  /** Jobs whose two records disagree (tokens, output hash, amount). */
  differences: count,
  /** Lines of the local record that could not be read. */
  damagedLines: count,
  /** True when the coordinator had more records than were compared. */
  truncated: z.boolean(),
  /** The findings as sentences, for the page and the command line; empty when all agree. */
  notes: z.array(z.string()),
});
export type Reconciliation = z.infer<typeof reconciliationSchema>;

/** What `getEarnings(range)` answers. */
export const earningsViewSchema = z.object({
  range: earningsRangeSchema,
  generatedAt: time,
  address: z.string(),
  /** Null with `coordinatorError` when the coordinator could not be asked. */
  coordinator: z
    .object({
      balances: earningsBalancesSchema,
      hold: z.object({ reason: z.string(), since: time }).nullable(),
      verificationWindowMs: time,
      feeBps: z.number().int().min(0).max(10_000),
      price: z.object({ inputMicroUsdPerMTok: micro, outputMicroUsdPerMTok: micro }),
    })
    .nullable(),
  coordinatorError: z.string().nullable(),
  /** The chart: hourly buckets for 24h, daily ones for 7d and 30d, oldest first. */
  series: z.object({ unit: z.enum(["hour", "day"]), points: z.array(earningsBucketSchema) }),
  /** Jobs in the range, newest first (at most {@link EARNINGS_VIEW_MAX_ROWS}). */
  rows: z.array(earningsRowSchema),
  /** Jobs in the range in all (rows may show fewer). */
  totalRows: count,
  reconciliation: reconciliationSchema,
});
export type EarningsView = z.infer<typeof earningsViewSchema>;

/** Most rows an earnings view carries. */
export const EARNINGS_VIEW_MAX_ROWS = 200;
