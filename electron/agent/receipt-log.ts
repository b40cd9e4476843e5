/**
 * The node's own record of what it is owed: an append-only JSON-lines file in the data folder
 * with one line per receipt it signed (the receipt's fields, the finish reason, when and for
 * which coordinator) and one per credit the coordinator announced. It never holds a prompt or an
 * output: only what the receipt itself carries. The owner compares it with the coordinator's
 * records (earnings-reconcile.ts).
 */
import { appendFile, readFile } from "node:fs/promises";
import { z } from "zod";
import { receiptSchema, finishReasonSchema, type Receipt } from "../../shared/protocol";

/** How the signed part ended: a finish reason, or "broke-off" for the part of a job handed back mid-answer. */
const endingSchema = z.union([finishReasonSchema, z.literal("broke-off")]);
export type ReceiptEnding = z.infer<typeof endingSchema>;

const signedLineSchema = receiptSchema.extend({
  type: z.literal("signed"),
  ending: endingSchema,
  signedAt: z.number().int().nonnegative(),
  /** The coordinator the receipt went to (its WebSocket URL). */
  coordinator: z.string().max(2000),
});

const creditLineSchema = z.object({
  type: z.literal("credit"),
  jobId: z.string().min(1).max(100),
  amountMicroUsd: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  at: z.number().int().nonnegative(),
});

const lineSchema = z.discriminatedUnion("type", [signedLineSchema, creditLineSchema]);

/** A receipt this node signed, with the credit the coordinator announced for it (if any). */
export interface LocalReceipt extends Receipt {
  readonly ending: ReceiptEnding;
  readonly signedAt: number;
  readonly coordinator: string;
  /** What the coordinator's `credit` message said it credited, or null when none arrived. */
  readonly creditedMicroUsd: number | null;
}

/** Where the agent records receipts as it signs them (the job runner's side of the log). */
export interface ReceiptRecorder {
  recordSigned(receipt: Receipt, ending: ReceiptEnding): Promise<void>;
}

/** The record: appends go to the file in order; reads come from memory after the first load. */
export class ReceiptLog implements ReceiptRecorder {
  private loaded: Promise<{ receipts: Map<string, LocalReceipt>; damaged: number; endsClean: boolean }> | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly coordinator: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends a signed receipt. */
  recordSigned(receipt: Receipt, ending: ReceiptEnding): Promise<void> {
    const { jobId, model, promptTokens, completionTokens, outputHash, signature } = receipt;
    return this.append({ type: "signed", jobId, model, promptTokens, completionTokens, outputHash, signature, ending, signedAt: this.now(), coordinator: this.coordinator });
  }

  /** Appends the coordinator's word that it credited `amountMicroUsd` for `jobId`. */
  recordCredit(jobId: string, amountMicroUsd: number): Promise<void> {
    return this.append({ type: "credit", jobId, amountMicroUsd, at: this.now() });
  }

  /** Every receipt recorded for this coordinator, and how many lines could not be read. */
  async read(): Promise<{ receipts: LocalReceipt[]; damagedLines: number }> {
    const state = await this.load();
    return { receipts: [...state.receipts.values()].filter((r) => r.coordinator === this.coordinator), damagedLines: state.damaged };
  }

  private append(raw: z.infer<typeof lineSchema>): Promise<void> {
    const write = this.writes.then(async () => {
      // What is written must read back: a malformed receipt is refused before it reaches the file.
      const line = lineSchema.parse(raw);
      const state = await this.load();
      // A line cut short by a crash must not swallow the next one.
      const prefix = state.endsClean ? "" : "\n";
      await appendFile(this.path, `${prefix}${JSON.stringify(line)}\n`, { mode: 0o600 });
      state.endsClean = true;
      apply(state.receipts, line);
    });
    // A failed write is reported to its caller and does not block the ones after it.
    this.writes = write.catch(() => {});
    return write;
  }

  private load() {
    this.loaded ??= (async () => {
      let text = "";
      try {
        text = await readFile(this.path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      const receipts = new Map<string, LocalReceipt>();
      let damaged = 0;
      for (const raw of text.split("\n")) {
        if (raw.trim() === "") continue;
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          damaged++;
          continue;
        }
        const parsed = lineSchema.safeParse(json);
        if (parsed.success) apply(receipts, parsed.data);
        else damaged++;
      }
      return { receipts, damaged, endsClean: text === "" || text.endsWith("\n") };
    })();
    this.loaded.catch(() => {
      this.loaded = null;
    });
    return this.loaded;
  }
}

function apply(receipts: Map<string, LocalReceipt>, line: z.infer<typeof lineSchema>): void {
  if (line.type === "signed") {
    const { type: _type, ...receipt } = line;
    receipts.set(line.jobId, { ...receipt, creditedMicroUsd: receipts.get(line.jobId)?.creditedMicroUsd ?? null });
    return;
  }
  const receipt = receipts.get(line.jobId);
  if (receipt) receipts.set(line.jobId, { ...receipt, creditedMicroUsd: line.amountMicroUsd });
}
