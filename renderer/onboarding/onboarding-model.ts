/**
 * The first-run setup as data: its steps, the plain verdict on this machine's hardware, and the
 * models worth offering. Pure functions of the node's state and models view, tested on their own.
 */
import type { CatalogModelView, InstalledModelView, ModelsView, NodeState } from "../../shared/control-api";
import { backendLabel, formatBytes } from "../format";

export const ONBOARDING_STEPS = [
  { id: "welcome", label: "Welcome" },
  { id: "hardware", label: "Your machine" },
  { id: "model", label: "Model" },
  { id: "wallet", label: "Wallet" },
  { id: "sharing", label: "When to share" },
  { id: "start", label: "Start" },
] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number]["id"];

/** The step after / before `step` (null past either end). */
export function nextStep(step: OnboardingStep, by: 1 | -1): OnboardingStep | null {
  const index = ONBOARDING_STEPS.findIndex((s) => s.id === step) + by;
  return ONBOARDING_STEPS[index]?.id ?? null;
}

export interface HardwareVerdict {
  readonly tone: "good" | "ok" | "poor" | "unknown";
  readonly title: string;
  readonly detail: string;
}

/** One sentence on whether this machine is worth sharing, from its hardware and the catalog's verdicts. */
export function hardwareVerdict(hardware: NodeState["hardware"], catalog: readonly CatalogModelView[] | null): HardwareVerdict {
  if (hardware === null || catalog === null) return { tone: "unknown", title: "Checking this machine…", detail: "Looking at its processor, graphics and memory." };
  const fits = catalog.filter((m) => m.verdict === "fits");
  const slow = catalog.filter((m) => m.verdict === "fits-slowly");
  const memory = `${formatBytes(hardware.memoryBytes)} of memory${hardware.vramBytes !== null ? `, ${formatBytes(hardware.vramBytes)} of video memory` : ""}`;
  const engine = hardware.gpu !== null ? `${hardware.gpu} through ${backendLabel(hardware.backend)}` : backendLabel(hardware.backend);
  if (fits.length > 0) {
    const phrase = fits.length === 1 ? "model runs" : "models run";
    return { tone: "good", title: `Good for sharing: ${fits.length} ${phrase} well here.`, detail: `${engine}, ${memory}.` };
  }
  if (slow.length > 0) {
    return {
      tone: "ok",
      title: "It works, slowly: models run on the processor.",
      detail: `${hardware.backendReason || "No supported graphics card was found."} ${memory}. It earns less than a machine with a supported GPU.`,
    };
  }
  return {
    tone: "poor",
    title: "Too small for the catalog's models.",
    detail: `${memory}. It can still serve the small demo model, which earns little.`,
  };
}

/** A model the setup offers: one already here, or one of the catalog that fits. */
export type ModelChoice =
  | { readonly kind: "installed"; readonly id: string; readonly name: string; readonly active: boolean; readonly note: string }
  | { readonly kind: "catalog"; readonly id: string; readonly name: string; readonly note: string; readonly recommended: boolean };

/**
 * The installed models first (the one served now marked), then the catalog's models that fit,
 * best first; models that do not fit are left out and counted.
 */
export function modelChoices(view: ModelsView): { readonly choices: readonly ModelChoice[]; readonly hidden: number } {
  const installed = view.installed.map((m: InstalledModelView): ModelChoice => ({
    kind: "installed",
    id: m.id,
    name: m.name,
    active: m.active,
    note: `${m.active ? "Served now" : "Installed"} · ${formatBytes(m.bytes)}${m.demo ? " · demo model, earns little" : ""}`,
  }));
  const rank = { fits: 0, "fits-slowly": 1, "does-not-fit": 2 } as const;
  const usable = view.catalog.filter((m) => !m.installed && m.verdict !== "does-not-fit").sort((a, b) => rank[a.verdict] - rank[b.verdict]);
  const firstFit = usable.find((m) => m.verdict === "fits");
  const catalog = usable.map((m): ModelChoice => ({
    kind: "catalog",
    id: m.id,
    name: m.name,
    note: `${m.verdictReason} · ${formatBytes(m.sizeBytes)} download`,
    recommended: m === firstFit,
  }));
  return { choices: [...installed, ...catalog], hidden: view.catalog.filter((m) => !m.installed && m.verdict === "does-not-fit").length };
}

/** The choice selected at first: the recommended download, else the model served now. */
export function defaultChoice(choices: readonly ModelChoice[]): string | null {
  const recommended = choices.find((c) => c.kind === "catalog" && c.recommended);
  if (recommended) return recommended.id;
  return choices.find((c) => c.kind === "installed" && c.active)?.id ?? choices[0]?.id ?? null;
}
