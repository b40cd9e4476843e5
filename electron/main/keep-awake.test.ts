/** Keeping the machine awake only while jobs run, against the fake `powerSaveBlocker`. */
import { beforeEach, describe, expect, it } from "vitest";
import { createFakeElectron, type FakeElectron } from "../../tests/fake-electron/electron";
import { createKeepAwake } from "./keep-awake";

let fake: FakeElectron;
beforeEach(() => {
  fake = createFakeElectron();
});

describe("createKeepAwake", () => {
  it("holds nothing until a job starts", () => {
    const keepAwake = createKeepAwake(fake.powerSaveBlocker);
    expect(keepAwake.active).toBe(false);
    expect(fake.powerSaveBlocker.startCalls).toEqual([]);
  });

  it("prevents app suspension from the first job to the end of the last", () => {
    const keepAwake = createKeepAwake(fake.powerSaveBlocker);
    keepAwake.jobStarted();
    keepAwake.jobStarted();
    expect(fake.powerSaveBlocker.startCalls).toEqual(["prevent-app-suspension"]);
    expect([...fake.blockers.values()]).toEqual(["prevent-app-suspension"]);
    keepAwake.jobEnded();
    expect(keepAwake.active).toBe(true);
    keepAwake.jobEnded();
    expect(keepAwake.active).toBe(false);
    expect(fake.blockers.size).toBe(0);
  });

  it("ignores extra ends, and starts again for the next job", () => {
    const keepAwake = createKeepAwake(fake.powerSaveBlocker);
    keepAwake.jobEnded();
    keepAwake.jobStarted();
    keepAwake.jobEnded();
    keepAwake.jobEnded();
    keepAwake.jobStarted();
    expect(keepAwake.active).toBe(true);
    expect(fake.powerSaveBlocker.startCalls).toHaveLength(2);
    keepAwake.jobEnded();
    expect(fake.blockers.size).toBe(0);
  });

  it("releases the blocker on dispose whatever the count", () => {
    const keepAwake = createKeepAwake(fake.powerSaveBlocker);
    keepAwake.jobStarted();
    keepAwake.jobStarted();
    keepAwake.dispose();
    expect(fake.blockers.size).toBe(0);
    keepAwake.jobStarted();
    expect(fake.blockers.size).toBe(1);
  });
});
