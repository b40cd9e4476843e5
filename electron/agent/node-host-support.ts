/**
 * Small pieces of putting a node together: which folders the sandboxed worker may read, and how
 * catalog models are judged for this machine.
 */
import { dirname } from "node:path";
import type { NodeState } from "../../shared/control-api";
import { judgeCatalogEntry, readMachineProfile, type ComputeBackend, type MachineProfile } from "./models/machine-profile";
import type { CatalogEntry, ModelJudgement } from "./models/model-manager";
import type { DataPaths } from "./data-dir";

/** The folders holding models the worker may read: the models folder, the demo's, and `--model`'s. */
export function modelDirsFor(paths: DataPaths, modelPath: string): string[] {
  return [...new Set([paths.models, paths.demo, dirname(modelPath)])];
}

/**
 * Judges catalog models against this machine. The GPU side comes from the worker once it has
 * loaded (the agent never starts node-llama-cpp itself); until then the CPU and free memory count.
 */
export class MachineJudge {
  private profile: MachineProfile | null = null;
  private backend: string | null = null;

  /** Reads the profile for the hardware in `state` when it changed. */
  async refresh(hardware: NodeState["hardware"]): Promise<void> {
    const backend = (hardware?.backend ?? "cpu") as ComputeBackend;
    if (this.profile && this.backend === backend) return;
    this.backend = backend;
    this.profile = await readMachineProfile({ known: { backend, vramBytes: hardware?.vramBytes ?? null } });
  }

  /** The verdict for one catalog entry. */
  judge = (entry: CatalogEntry): ModelJudgement => {
    if (!this.profile) return { verdict: "fits-slowly", reason: "Checking this machine…" };
    return judgeCatalogEntry(entry, this.profile);
  };
}
