import { describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logger";
import { sharingRulesSchema, type SharingDecision, type Signals } from "../../shared/sharing-types";
import { NO_SIGNALS, unknownSignals } from "./node-state";
import { SharingMonitor } from "./sharing-monitor";
import type { SignalSampler } from "./signals/signal-sampler";

/** A sampler whose samples the test releases one by one. */
class GatedSampler implements SignalSampler {
  started = 0;
  inFlight = 0;
  maxInFlight = 0;
  private releases: (() => void)[] = [];
  async sample(): Promise<Signals> {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    this.inFlight--;
    return unknownSignals(Date.now());
  }
  availability() {
    return NO_SIGNALS;
  }
  release(): void {
    this.releases.shift()?.();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 5));

function monitorOver(sampler: SignalSampler, options: { intervalMs?: number; sampleTimeoutMs?: number } = {}) {
  const decisions: SharingDecision[] = [];
  let rules = sharingRulesSchema.parse({});
  const listeners = new Set<() => void>();
  const monitor = new SharingMonitor({
    sampler,
    rules: () => rules,
    onRulesChange: (l) => (listeners.add(l), () => listeners.delete(l)),
    target: { applyDecision: (d) => decisions.push(d) },
    logger: silentLogger,
    ...options,
  });
  const setRules = (patch: Partial<typeof rules>) => {
    rules = { ...rules, ...patch };
    for (const l of listeners) l();
  };
  return { monitor, decisions, setRules, listeners };
}

describe("sharing monitor", () => {
  it("never samples twice at once: pokes during a sample ask for exactly one more", async () => {
    const sampler = new GatedSampler();
    const { monitor, decisions } = monitorOver(sampler, { intervalMs: 60_000 });
    const started = monitor.start();
    await tick();
    const pokes = [monitor.poke(), monitor.poke(), monitor.poke()];
    sampler.release();
    await tick();
    expect(sampler.started).toBe(2);
    sampler.release();
    await Promise.all([started, ...pokes]);
    expect(sampler.maxInFlight).toBe(1);
    expect(decisions).toHaveLength(2);
    await monitor.stop();
  });

  it("samples on its interval and stops with the node", async () => {
    let samples = 0;
    const sampler: SignalSampler = { sample: async () => (samples++, unknownSignals(Date.now())), availability: () => NO_SIGNALS };
    const { monitor, listeners } = monitorOver(sampler, { intervalMs: 20 });
    await monitor.start();
    for (let i = 0; i < 100 && samples < 4; i++) await tick();
    expect(samples).toBeGreaterThanOrEqual(4);
    await monitor.stop();
    const after = samples;
    await new Promise((r) => setTimeout(r, 80));
    expect(samples).toBe(after);
    expect(listeners.size).toBe(0);
  });

  it("gives up a sample that hangs and keeps deciding", async () => {
    const sampler: SignalSampler = { sample: () => new Promise(() => {}), availability: () => NO_SIGNALS };
    const { monitor, decisions } = monitorOver(sampler, { intervalMs: 60_000, sampleTimeoutMs: 30 });
    const started = Date.now();
    await monitor.start();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(decisions).toHaveLength(0);
    await monitor.stop();
  });

  it("decides again at once when the rules change, from the last signals", async () => {
    let samples = 0;
    const sampler: SignalSampler = { sample: async () => (samples++, unknownSignals(Date.now())), availability: () => NO_SIGNALS };
    const { monitor, decisions, setRules } = monitorOver(sampler, { intervalMs: 60_000 });
    await monitor.start();
    expect(decisions.at(-1)?.share).toBe(true);
    setRules({ pausedUntil: Date.now() + 60_000 });
    expect(decisions.at(-1)).toMatchObject({ share: false, reason: expect.stringMatching(/^Paused until/) });
    setRules({ pausedUntil: null });
    expect(decisions.at(-1)?.share).toBe(true);
    expect(samples).toBe(1);
    await monitor.stop();
  });
});
