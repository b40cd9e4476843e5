import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS } from "../shared/settings";
import { scheduleSummary } from "../shared/sharing-policy";
import { addOwnApp, draftDiffers, draftFromRules, rulesFromDraft } from "./schedule-draft";
import { cellsBetween, paintCells } from "./schedule-grid-model";

const saved = { ...DEFAULT_SETTINGS.rules, minFreeMemoryBytes: 1.5 * 2 ** 30, pausedUntil: 1_900_000_000_000 };

describe("schedule draft", () => {
  it("round-trips the saved rules and is not dirty until something changes", () => {
    const draft = draftFromRules(saved);
    expect(draft.minFreeMemoryGb).toBe("1.5");
    expect(rulesFromDraft(draft, saved)).toEqual({ ok: true, rules: saved });
    expect(draftDiffers(draft, saved)).toBe(false);
    expect(draftDiffers({ ...draft, switches: { ...draft.switches, pauseForGames: false } }, saved)).toBe(true);
  });

  it("turns painted weeknights into windows and a sentence", () => {
    const draft = draftFromRules(saved);
    let grid = draft.grid;
    for (let row = 0; row < 5; row++) grid = paintCells(grid, cellsBetween({ row, col: 44 }, { row, col: 47 }), true);
    const result = rulesFromDraft({ ...draft, mode: "schedule", grid }, saved);
    if (!result.ok) throw new Error("valid draft refused");
    expect(result.rules.windows).toHaveLength(5);
    expect(result.rules.windows[0]).toEqual({ day: 1, startMinute: 1320, endMinute: 1440 });
    expect(result.rules.pausedUntil).toBe(saved.pausedUntil);
    expect(scheduleSummary(result.rules)).toBe("Shares weekdays 22:00–24:00");
    expect(draftDiffers({ ...draft, mode: "schedule", grid }, saved)).toBe(true);
  });

  it("refuses fields that do not parse, naming them", () => {
    const draft = { ...draftFromRules(saved), idleMinutes: "0", minFreeMemoryGb: "lots" };
    expect(rulesFromDraft(draft, saved)).toEqual({
      ok: false,
      errors: { idleMinutes: expect.stringContaining("1 to 1,440"), minFreeMemoryGb: expect.stringContaining("0 to 1024") },
    });
    expect(draftDiffers(draft, saved)).toBe(true);
  });

  it("adds an app once, trimmed", () => {
    expect(addOwnApp(["blender"], "  Premiere Pro ")).toEqual(["blender", "Premiere Pro"]);
    expect(addOwnApp(["blender"], "Blender")).toEqual(["blender"]);
    expect(addOwnApp([], "   ")).toEqual([]);
  });
});
