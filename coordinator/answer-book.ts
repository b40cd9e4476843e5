/**
 * The expected answers of known-answer prompts, learned from the network: per model, backend
 * class (greedy output differs between Metal, CUDA, Vulkan and CPU arithmetic) and prompt, the
 * answer (output hash and token count) that at least `quorum` distinct nodes gave and that most
 * nodes gave. A trusted node's answer counts as established on its own. Until an answer is
 * established, nodes that answered wait for their verdict; once it is, each is judged.
 */

/** What a node answered: the hash of its output and the tokens it claimed for it. */
export interface Answer {
  readonly hash: string;
  readonly tokens: number;
}

/** A verdict on one answer. */
export type Judgement = { readonly verdict: "pass" } | { readonly verdict: "fail"; readonly reason: string } | { readonly verdict: "pending" };

/** A verdict reached for a node that answered earlier. */
export interface Settled {
  readonly address: string;
  readonly judgement: Judgement;
}

interface Slot {
  readonly observed: Map<string, Answer>;
  expected: Answer | null;
}

const signature = (a: Answer) => `${a.hash}:${a.tokens}`;

/** Judges `answer` against the expected one. */
export function judge(answer: Answer, expected: Answer): Judgement {
  if (answer.hash === expected.hash && answer.tokens === expected.tokens) return { verdict: "pass" };
  if (answer.hash === expected.hash) return { verdict: "fail", reason: `claimed ${answer.tokens} tokens for a known answer of ${expected.tokens} tokens` };
  return { verdict: "fail", reason: "answered a known-answer check with text other than the known answer" };
}

/** The slot name of a prompt for a model on a backend class. */
export function slotOf(model: string, backend: string, key: string): string {
  return `${model}\u0000${backend}\u0000${key}`;
}

/** Learned answers and the answers still being learned. */
export class AnswerBook {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly quorum: number,
    private readonly trusted: ReadonlySet<string> = new Set(),
  ) {
    if (!Number.isInteger(quorum) || quorum < 1) throw new RangeError("quorum must be a positive integer");
  }

  /** The expected answer of a slot, once learned. */
  expected(slot: string): Answer | null {
    return this.slots.get(slot)?.expected ?? null;
  }

  /** True when `address`'s answers are known answers on their own. */
  trusts(address: string): boolean {
    return this.trusted.has(address.toLowerCase());
  }

  /** True when `address` already answered the slot. */
  answered(slot: string, address: string): boolean {
    return this.slots.get(slot)?.observed.has(address.toLowerCase()) ?? false;
  }

  /** The prompt keys known for a model and backend: learned ones, and ones still being learned. */
  keys(model: string, backend: string): { established: string[]; learning: string[] } {
    const prefix = `${model}\u0000${backend}\u0000`;
    const established: string[] = [];
    const learning: string[] = [];
    for (const [slot, s] of this.slots) {
      if (!slot.startsWith(prefix)) continue;
      (s.expected ? established : learning).push(slot.slice(prefix.length));
    }
    return { established, learning };
  }

  /** Puts back an answer recorded earlier (no verdicts: they were reached then). */
  restore(slot: string, address: string, answer: Answer): void {
    const s = this.slot(slot);
    s.observed.set(address.toLowerCase(), answer);
    if (!s.expected) s.expected = this.learn(s, address.toLowerCase());
  }

  /**
   * Records a node's answer. Returns its verdict (pending while the answer is being learned) and
   * the verdicts this answer made possible for nodes that answered before.
   */
  observe(slot: string, address: string, answer: Answer): { judgement: Judgement; settled: Settled[] } {
    const a = address.toLowerCase();
    const s = this.slot(slot);
    if (s.expected) {
      s.observed.set(a, answer);
      return { judgement: judge(answer, s.expected), settled: [] };
    }
    s.observed.set(a, answer);
    const expected = this.learn(s, a);
    if (!expected) return { judgement: { verdict: "pending" }, settled: [] };
    s.expected = expected;
    const settled: Settled[] = [];
    for (const [other, given] of s.observed) if (other !== a) settled.push({ address: other, judgement: judge(given, expected) });
    return { judgement: judge(answer, expected), settled };
  }

  private slot(name: string): Slot {
    let s = this.slots.get(name);
    if (!s) {
      s = { observed: new Map(), expected: null };
      this.slots.set(name, s);
    }
    return s;
  }

  /** The answer a slot's observations establish, if any. */
  private learn(s: Slot, latest: string): Answer | null {
    const byTrusted = this.trusted.has(latest) ? s.observed.get(latest) : undefined;
    if (byTrusted) return byTrusted;
    const counts = new Map<string, { answer: Answer; n: number }>();
    for (const answer of s.observed.values()) {
      const entry = counts.get(signature(answer)) ?? { answer, n: 0 };
      entry.n++;
      counts.set(signature(answer), entry);
    }
    for (const { answer, n } of counts.values()) {
      if (n >= this.quorum && n * 2 > s.observed.size) return answer;
    }
    return null;
  }
}
