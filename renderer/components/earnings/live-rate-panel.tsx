/** What the node earns right now while it serves a job, as an hourly rate that moves with it. */
import type { NodeState } from "../../../shared/control-api";
import { formatUsd } from "../../../shared/money";
import { liveRate } from "../../earnings-rate";
import { formatTokensPerSecond } from "../../format";

/** An estimate reads best in cents; below a cent an hour, to the µUSD. */
function roundToCents(microUsd: number): number {
  return microUsd >= 10_000 ? Math.round(microUsd / 10_000) * 10_000 : microUsd;
}

/** Renders from the pushed snapshot alone: the agent pushes the job's progress as tokens arrive. */
export function LiveRatePanel(props: { job: NodeState["currentJob"]; terms: { outputMicroUsdPerMTok: number; feeBps: number } | null }) {
  const working = props.job !== null;
  const rate = props.terms ? liveRate(props.job, props.terms) : null;
  return (
    <p className="live-rate" data-testid="live-rate" aria-live="polite">
      {!working
        ? "Not serving a job right now."
        : rate === null
          ? `Serving a job for ${props.job?.model ?? "a model"}…`
          : `Earning now: about ${formatUsd(roundToCents(rate.microUsdPerHour))} per hour (${formatTokensPerSecond(rate.tokensPerSecond)})`}
    </p>
  );
}
