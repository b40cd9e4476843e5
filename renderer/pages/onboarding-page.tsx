/**
 * First-run setup: welcome → this machine's verdict → a model → the wallet → when to share and
 * starting at login → start. Each step saves what it chose as the owner moves on; finishing
 * records `onboarded: true`, so it shows once. The step survives a visit to another page.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { NodeState } from "../../shared/control-api";
import type { Settings } from "../../shared/settings";
import type { SharingMode } from "../../shared/sharing-types";
import { HardwareStep } from "../onboarding/hardware-step";
import { ModelStep } from "../onboarding/model-step";
import { defaultChoice, modelChoices, nextStep, ONBOARDING_STEPS, type OnboardingStep } from "../onboarding/onboarding-model";
import { SharingStep } from "../onboarding/sharing-step";
import { StartStep, WelcomeStep } from "../onboarding/welcome-start";
import { WalletStep } from "../onboarding/wallet-step";
import { StatusMessage } from "../components/status-message";
import { useLoader } from "../use-loader";
import { useNodeStateStore } from "../use-node-state";
import "../onboarding/onboarding.css";

const STEP_KEY = "offpeak.setupStep";
const TITLES: Record<OnboardingStep, string> = {
  welcome: "Welcome to Offpeak",
  hardware: "Your machine",
  model: "Pick a model",
  wallet: "Your wallet",
  sharing: "When to share",
  start: "Ready to start",
};

function savedStep(): OnboardingStep {
  const saved = window.sessionStorage.getItem(STEP_KEY);
  return ONBOARDING_STEPS.find((s) => s.id === saved)?.id ?? "welcome";
}

export function OnboardingPage(props: { state: NodeState; connected: boolean; settings: Settings; onFinished(settings: Settings): void }) {
  const store = useNodeStateStore();
  const api = store.api;
  const [step, setStep] = useState<OnboardingStep>(savedStep);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<SharingMode>(props.settings.rules.mode);
  const [launchAtLogin, setLaunchAtLogin] = useState(props.settings.desktop.launchAtLogin);
  const [selected, setSelected] = useState<string | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);

  const models = useLoader(useCallback(() => api.listModels(), [api]));
  const wallet = useLoader(useCallback(() => api.getWallet(), [api]));
  const offered = useMemo(() => (models.loaded.status === "ready" ? modelChoices(models.loaded.value) : null), [models.loaded]);
  const catalog = models.loaded.status === "ready" ? { status: "ready" as const, value: models.loaded.value.catalog } : models.loaded;
  const choice = selected ?? (offered ? defaultChoice(offered.choices) : null);

  useEffect(() => {
    window.sessionStorage.setItem(STEP_KEY, step);
    if (first.current) first.current = false;
    else title.current?.focus();
  }, [step]);

  /** Runs the step's action; moves on only when it worked. */
  async function act(action: () => Promise<{ ok: boolean; error?: string }>, then: () => void): Promise<void> {
    setBusy(true);
    setError(null);
    const result = await action();
    setBusy(false);
    if (!result.ok) setError(result.error ?? "That did not work.");
    else then();
  }

  const ok = async () => ({ ok: true });
  const go = (by: 1 | -1) => {
    const to = nextStep(step, by);
    if (to !== null) setStep(to);
  };

  async function chooseModel() {
    const picked = offered?.choices.find((c) => c.id === choice);
    if (!picked || (picked.kind === "installed" && picked.active)) return ok();
    return picked.kind === "installed" ? api.useModel(picked.id) : api.pullModel(picked.id);
  }

  const saveSharing = () => api.updateSettings({ rules: { ...props.settings.rules, mode }, desktop: { ...props.settings.desktop, launchAtLogin } });

  /** Records the setup as done; `share` switches sharing on or off first (null: leave it). */
  async function finish(share: boolean | null): Promise<void> {
    await act(
      async () => {
        const switched = share === null ? { ok: true } : await api.setSharing(share);
        if (!switched.ok) return switched;
        const saved = await api.updateSettings({ onboarded: true });
        if (saved.ok) {
          window.sessionStorage.removeItem(STEP_KEY);
          props.onFinished(saved.value);
        }
        return saved;
      },
      () => {},
    );
  }

  const disabled = busy || !props.connected;
  const index = ONBOARDING_STEPS.findIndex((s) => s.id === step);
  const next: Partial<Record<OnboardingStep, () => void>> = {
    hardware: () => go(1),
    model: () => void act(chooseModel, () => go(1)),
    wallet: () => go(1),
    sharing: () => void act(saveSharing, () => go(1)),
  };

  return (
    <div className="onboarding" data-testid="onboarding">
      <ol className="setup-steps" aria-label="Setup steps">
        {ONBOARDING_STEPS.map((s, i) => (
          <li key={s.id} className={i < index ? "done" : i === index ? "current" : ""} aria-current={i === index ? "step" : undefined}>
            <span className="step-number" aria-hidden="true">
              {i + 1}
            </span>
            {s.label}
          </li>
        ))}
      </ol>
      <section className="card setup-card" aria-labelledby="page-title">
        <p className="muted">
          Step {index + 1} of {ONBOARDING_STEPS.length}
        </p>
        <h2 id="page-title" className="page-title" tabIndex={-1} ref={title}>
          {TITLES[step]}
        </h2>
        {step === "welcome" && <WelcomeStep disabled={disabled} onStart={() => go(1)} onSkip={() => void finish(null)} />}
        {step === "hardware" && <HardwareStep state={props.state} catalog={catalog} onRetry={models.reload} />}
        {step === "model" &&
          (offered === null ? (
            <StatusMessage kind={models.loaded.status === "error" ? "error" : "loading"} title={models.loaded.status === "error" ? "Could not list the models" : "Looking at the models…"}>
              {models.loaded.status === "error" ? models.loaded.error : undefined}
            </StatusMessage>
          ) : (
            <ModelStep choices={offered.choices} hidden={offered.hidden} selected={choice} downloads={props.state.downloads} disabled={disabled} onSelect={setSelected} />
          ))}
        {step === "wallet" && <WalletStep wallet={wallet.loaded} busy={busy} onRetry={wallet.reload} onUnlock={() => void act(() => api.unlockWallet(), wallet.reload)} />}
        {step === "sharing" && (
          <SharingStep mode={mode} launchAtLogin={launchAtLogin} desktop={window.offpeak !== undefined} disabled={disabled} onMode={setMode} onLaunchAtLogin={setLaunchAtLogin} />
        )}
        {step === "start" && <StartStep mode={mode} model={props.state.model?.label ?? null} disabled={disabled} onFinish={(share) => void finish(share)} />}
        <div aria-live="polite">
          {error !== null && (
            <p className="form-error" role="alert" data-testid="setup-error">
              {error}
            </p>
          )}
        </div>
        {step !== "welcome" && (
          <div className="setup-actions">
            <button type="button" className="button" disabled={busy} onClick={() => go(-1)}>
              Back
            </button>
            {next[step] !== undefined && (
              <button type="button" className="button primary" disabled={disabled || (step === "model" && offered === null)} onClick={next[step]}>
                {busy ? "Saving…" : "Continue"}
              </button>
            )}
          </div>
        )}
      </section>
    </div>
  );
}
