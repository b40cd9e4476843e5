/**
 * The inference engine the node serves from, and the model it serves. The worker starts only
 * inside its sandbox unless the owner allowed running without one; it reloads when a setting
 * that the worker reads at load changes, and is swapped for another model on request. Running
 * jobs are handed back before the engine they run on goes away, since their tokens could not
 * reach the coordinator afterwards.
 */
import type { NodeState, SandboxStatus } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { Settings } from "../../shared/settings";
import type { EngineInfo, InferenceEngine } from "./inference";
import type { JobRunner } from "./job-runner";
import type { InstalledModel } from "./models/model-manager";
import type { SettingsStore } from "./settings-store";

export interface EngineSlotOptions {
  /** The model served at start. */
  readonly model: InstalledModel;
  /** Makes the engine for a model (with or without the sandbox, as `sandboxed` says). */
  readonly createEngine: (model: InstalledModel, sandboxed: boolean) => InferenceEngine;
  readonly sandbox: SandboxStatus;
  readonly settings: Pick<SettingsStore, "get">;
  readonly jobs: Pick<JobRunner, "yieldAll" | "settled">;
  /** True once the agent is shutting down: no engine starts then. */
  readonly stopping: () => boolean;
  readonly logger: Logger;
  /** Shows the model and hardware in the node's state (the activity reads this slot too). */
  readonly update: (patch: Partial<NodeState>) => void;
  /** Tells the coordinator the node's status now (which models it serves). */
  readonly sendStatus: () => void;
}

/** The settings the worker takes when it loads, as one comparable key. */
function engineSettingsKey(settings: Settings): string {
  return `${settings.contextSize}/${settings.parallelSequences}/${settings.idleUnloadMinutes}`;
}

/** The node's one engine: started, reloaded, switched and stopped here. */
export class EngineSlot {
  private current: InferenceEngine | null = null;
  private loaded: EngineInfo | null = null;
  private served: InstalledModel;
  private failure: string | null = null;
  private settingsKey: string;

  constructor(private readonly options: EngineSlotOptions) {
    this.served = options.model;
    this.settingsKey = engineSettingsKey(options.settings.get());
  }

  /** The engine, from the moment it is asked to start until it is stopped. */
  get engine(): InferenceEngine | null {
    return this.current;
  }

  /** What the started engine said about itself; null until it has loaded its model. */
  get info(): EngineInfo | null {
    return this.loaded;
  }

  /** The model served, or being loaded. */
  get model(): InstalledModel {
    return this.served;
  }

  /** Why the latest start failed, or null. */
  get startError(): string | null {
    return this.failure;
  }

  /** True when the worker may not run: no sandbox here, and the owner did not allow that. */
  blocked(): boolean {
    return !this.options.sandbox.active && !this.options.settings.get().allowUnsandboxed;
  }

  /** Starts the engine for the served model; throws what the engine threw. */
  async start(): Promise<void> {
    const engine = this.options.createEngine(this.served, this.options.sandbox.active);
    this.current = engine;
    this.failure = null;
    try {
      const info = await engine.start();
      // Replaced or stopped while it loaded: its news is stale.
      if (this.current !== engine) return;
      this.loaded = info;
      this.failure = null;
      const { model, hardware } = info;
      this.options.update({
        model: { id: model.id, label: model.label, path: this.served.path, demo: model.demo, contextSize: model.contextSize },
        hardware: { ...hardware, backendReason: info.backendReason ?? "" },
        demoModel: model.demo,
      });
      this.options.sendStatus();
    } catch (error) {
      if (this.current !== engine) return;
      this.failure = (error as Error).message;
      this.options.update({});
      throw error;
    }
  }

  /** Serves another installed model: hands back running jobs, stops the worker, starts a new one. */
  async switchTo(model: InstalledModel): Promise<void> {
    const { jobs } = this.options;
    jobs.yieldAll();
    await jobs.settled();
    const old = this.current;
    this.current = null;
    this.loaded = null;
    this.served = model;
    // Nothing is served until the new engine has loaded.
    this.options.update({ model: null, demoModel: model.demo });
    this.options.sendStatus();
    await old?.stop();
    if (!this.blocked()) await this.start();
  }

  /**
   * Follows a change of the settings: reloads the worker when a setting it reads at load changed,
   * starts it once it is allowed to run, and stops it at once when the owner withdrew the
   * permission to run without a sandbox. True when a reload began (it updates the state itself).
   */
  applySettings(settings: Settings): boolean {
    const key = engineSettingsKey(settings);
    if (key !== this.settingsKey) {
      this.settingsKey = key;
      if (this.current) {
        this.switchTo(this.served).catch((error: Error) => this.options.logger.error("the worker could not restart", { error: error.message }));
        return true;
      }
    }
    if (!this.blocked() && !this.current && !this.options.stopping()) {
      this.start().catch((error: Error) => this.options.logger.error("the worker could not start", { error: error.message }));
    } else if (this.blocked() && this.current && !this.options.sandbox.active) {
      this.options.jobs.yieldAll();
      const engine = this.current;
      this.current = null;
      this.loaded = null;
      void engine.stop();
    }
    return false;
  }

  /** Frees the GPU memory the model holds (it loads again for the next job), where the engine can. */
  unload(): void {
    const engine = this.current;
    if (!engine?.unload) return;
    engine.unload().catch((error: Error) => this.options.logger.warn("could not unload the model", { error: error.message }));
  }

  /** Stops the engine for good. */
  async stop(): Promise<void> {
    await this.current?.stop();
  }
}
