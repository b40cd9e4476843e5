/**
 * The model methods of the control API: list, download, cancel, delete and switch, each
 * answering with a Result a person can read, never throwing across the boundary.
 */
import type { ModelsView, Result } from "../../shared/control-api";
import type { Logger } from "../../shared/logger";
import type { InstalledModel, ModelManager } from "./models/model-manager";

export interface ModelControlsOptions {
  readonly models: ModelManager | undefined;
  /** The file of the model being served. */
  readonly activePath: () => string;
  /** Serves `model` from now on. */
  readonly switchTo: (model: InstalledModel) => Promise<void>;
  readonly logger: Logger;
}

const NO_LIBRARY = "this node does not manage models (no models folder)";

function failure(error: unknown): { ok: false; error: string } {
  return { ok: false, error: error instanceof Error ? error.message : String(error) };
}

/** The agent's model controls. */
export class ModelControls {
  private switching = false;

  constructor(private readonly options: ModelControlsOptions) {}

  async list(): Promise<Result<ModelsView>> {
    const { models } = this.options;
    if (!models) return { ok: false, error: NO_LIBRARY };
    try {
      return { ok: true, value: await models.list(this.options.activePath()) };
    } catch (error) {
      return failure(error);
    }
  }

  async pull(ref: string): Promise<Result<null>> {
    const { models } = this.options;
    if (!models) return { ok: false, error: NO_LIBRARY };
    try {
      await models.pull(ref);
      return { ok: true, value: null };
    } catch (error) {
      return failure(error);
    }
  }

  async cancel(id: string): Promise<Result<null>> {
    const { models } = this.options;
    if (!models) return { ok: false, error: NO_LIBRARY };
    return models.cancel(id) ? { ok: true, value: null } : { ok: false, error: `no download ${id} is running` };
  }

  async remove(id: string): Promise<Result<null>> {
    const { models } = this.options;
    if (!models) return { ok: false, error: NO_LIBRARY };
    try {
      const model = await models.find(id);
      if (!model) return { ok: false, error: `no installed model ${id}` };
      if (model.path === this.options.activePath()) return { ok: false, error: `${id} is being served; switch to another model first` };
      await models.remove(id);
      return { ok: true, value: null };
    } catch (error) {
      return failure(error);
    }
  }

  async use(id: string): Promise<Result<null>> {
    const { models } = this.options;
    if (!models) return { ok: false, error: NO_LIBRARY };
    if (this.switching) return { ok: false, error: "already switching models; try again in a moment" };
    try {
      const model = await models.find(id);
      if (!model) return { ok: false, error: `no installed model ${id}` };
      if (model.path === this.options.activePath()) return { ok: true, value: null };
      this.switching = true;
      this.options.logger.info("switching model", { model: id });
      await this.options.switchTo(model);
      return { ok: true, value: null };
    } catch (error) {
      return failure(error);
    } finally {
      this.switching = false;
    }
  }
}
