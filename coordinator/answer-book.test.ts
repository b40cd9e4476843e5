import { describe, expect, it } from "vitest";
import { AnswerBook, judge, slotOf } from "./answer-book";

const A = { hash: "0xaa", tokens: 4 };
const B = { hash: "0xbb", tokens: 4 };
const INFLATED = { hash: "0xaa", tokens: 8 };
const slot = slotOf("m", "cpu", "c.1.2.3.4.0");

describe("judge", () => {
  const cases = [
    { given: A, expected: A, verdict: "pass" },
    { given: B, expected: A, verdict: "fail", reason: /other than the known answer/ },
    { given: INFLATED, expected: A, verdict: "fail", reason: /claimed 8 tokens for a known answer of 4 tokens/ },
  ] as const;
  for (const c of cases) {
    it(`${c.verdict}s ${JSON.stringify(c.given)} against ${JSON.stringify(c.expected)}`, () => {
      const j = judge(c.given, c.expected);
      expect(j.verdict).toBe(c.verdict);
      if ("reason" in c) expect(j.verdict === "fail" && j.reason).toMatch(c.reason);
    });
  }
});

describe("AnswerBook", () => {
  it("waits for a quorum, then judges the earlier answers and every later one", () => {
    const book = new AnswerBook(2);
    expect(book.observe(slot, "0xC", B)).toEqual({ judgement: { verdict: "pending" }, settled: [] });
    expect(book.observe(slot, "0xH1", A)).toEqual({ judgement: { verdict: "pending" }, settled: [] });
    const third = book.observe(slot, "0xH2", A);
    expect(third.judgement).toEqual({ verdict: "pass" });
    expect(third.settled).toEqual([
      { address: "0xc", judgement: { verdict: "fail", reason: expect.stringMatching(/other than/) } },
      { address: "0xh1", judgement: { verdict: "pass" } },
    ]);
    expect(book.expected(slot)).toEqual(A);
    expect(book.observe(slot, "0xI", INFLATED).judgement).toMatchObject({ verdict: "fail" });
    expect(book.keys("m", "cpu")).toEqual({ established: ["c.1.2.3.4.0"], learning: [] });
    expect(book.keys("m", "cuda")).toEqual({ established: [], learning: [] });
  });

  it("learns the answer most nodes gave, and nothing from an even split", () => {
    const book = new AnswerBook(2);
    book.observe(slot, "a", A);
    book.observe(slot, "b", B);
    book.observe(slot, "c", B);
    expect(book.expected(slot)).toEqual(B);
    const tie = new AnswerBook(2);
    for (const [who, answer] of [["a", A], ["b", B], ["c", A]] as const) tie.observe(slotOf("m", "cpu", "k"), who, answer);
    expect(tie.expected(slotOf("m", "cpu", "k"))).toEqual(A);
    const split = new AnswerBook(3);
    for (const [who, answer] of [["a", A], ["b", B], ["c", A], ["d", B]] as const) split.observe(slotOf("m", "cpu", "k"), who, answer);
    expect(split.expected(slotOf("m", "cpu", "k"))).toBeNull();
  });

  it("takes a trusted node's answer as known on its own", () => {
    const book = new AnswerBook(2, new Set(["0xtrusted"]));
    expect(book.observe(slot, "0xTrusted", A).judgement).toEqual({ verdict: "pass" });
    expect(book.observe(slot, "0xother", B).judgement).toMatchObject({ verdict: "fail" });
  });

  it("restores recorded answers without judging them again", () => {
    const book = new AnswerBook(2);
    book.restore(slot, "a", A);
    book.restore(slot, "b", A);
    expect(book.expected(slot)).toEqual(A);
    expect(book.answered(slot, "A")).toBe(true);
    expect(book.observe(slot, "c", B).judgement).toMatchObject({ verdict: "fail" });
  });
});
