/**
 * The owner's appeal of a quarantine, on the Diagnostics page: where the appeal stands (open,
 * rejected with the operator's reason, upheld), when the held earnings are forfeited, and — while
 * the node is quarantined and no appeal is open — a form to write one. Everything shown comes
 * from the node's pushed state; only sending the appeal is a call.
 */
import { useId, useState, type FormEvent } from "react";
import { APPEAL_MAX_CHARS, statementProblem } from "../../shared/appeal";
import type { NodeState } from "../../shared/control-api";
import { formatUsd } from "../../shared/money";
import { useNodeStateStore } from "../use-node-state";

type Standing = NodeState["standing"];

const when = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

function AppealStatus(props: { standing: Standing }) {
  const { appeal } = props.standing;
  if (appeal === null) {
    return (
      <p className="muted" data-testid="appeal-none">
        No appeal yet. If this machine was judged wrongly, say why below: the node signs your statement and the operator decides.
      </p>
    );
  }
  if (appeal.status === "open") {
    return (
      <p role="status" data-testid="appeal-status">
        Appeal sent {when(appeal.createdAt)}: waiting for the operator&apos;s decision. Held earnings are kept until then.
      </p>
    );
  }
  if (appeal.status === "rejected") {
    return (
      <p className="form-error" role="alert" data-testid="appeal-status">
        Appeal rejected{appeal.decidedAt === null ? "" : ` ${when(appeal.decidedAt)}`}: {appeal.reason ?? "no reason given"}. The quarantine stays; you may appeal again with more to say.
      </p>
    );
  }
  return (
    <p role="status" data-testid="appeal-status">
      Appeal upheld: the quarantine was lifted and the held earnings become available as usual.
    </p>
  );
}

function AppealForm(props: { connected: boolean }) {
  const store = useNodeStateStore();
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const fieldId = useId();
  const countId = useId();
  const errorId = useId();
  const length = text.trim().length;

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const wrong = statementProblem(text);
    if (wrong !== null) {
      setProblem(`Cannot send this appeal: ${wrong}.`);
      return;
    }
    setProblem(null);
    setSending(true);
    const result = await store.api.appeal(text).catch((error: unknown) => ({ ok: false as const, error: String(error) }));
    setSending(false);
    if (result.ok) setText("");
    else setProblem(result.error);
  }

  return (
    <form className="appeal-form" onSubmit={(event) => void submit(event)} noValidate data-testid="appeal-form">
      <label htmlFor={fieldId} className="field-label">
        Why is the quarantine wrong?
      </label>
      <textarea
        id={fieldId}
        className="input"
        rows={5}
        value={text}
        disabled={sending}
        aria-describedby={problem === null ? countId : `${errorId} ${countId}`}
        aria-invalid={problem !== null}
        onChange={(event) => setText(event.target.value)}
      />
      <p id={countId} className={length > APPEAL_MAX_CHARS ? "error-text" : "hint"} data-testid="appeal-count">
        {length} of {APPEAL_MAX_CHARS} characters. Signed with this node&apos;s wallet key and sent to the coordinator.
      </p>
      {problem !== null && (
        <p id={errorId} className="error-text" role="alert" data-testid="appeal-error">
          {problem}
        </p>
      )}
      <button type="submit" className="button primary" disabled={sending || !props.connected}>
        {sending ? "Sending…" : "Send appeal"}
      </button>
    </form>
  );
}

/** The appeal card: shown while quarantined, and once more when an appeal was upheld. */
export function AppealCard(props: { standing: Standing; connected: boolean }) {
  const { standing } = props;
  const upheld = standing.quarantine === null && standing.appeal?.status === "upheld";
  if (standing.quarantine === null && !upheld) return null;
  const canAppeal = standing.quarantine !== null && standing.appeal?.status !== "open";
  return (
    <section className="card" aria-labelledby="appeal-heading" data-testid="appeal-card">
      <h2 id="appeal-heading">Appeal the quarantine</h2>
      {standing.sync === "loading" && standing.appeal === null && (
        <p className="muted" role="status" data-testid="appeal-loading">
          Reading this node&apos;s standing from the network…
        </p>
      )}
      {standing.sync === "error" && standing.error !== null && (
        <p className="form-error" role="alert" data-testid="appeal-sync-error">
          {standing.error}
        </p>
      )}
      <AppealStatus standing={standing} />
      {standing.quarantine !== null && standing.forfeitAt !== null && (
        <p className="hint" data-testid="appeal-forfeit">
          {standing.heldMicroUsd ? `${formatUsd(standing.heldMicroUsd)} of held earnings go` : "Held earnings go"} back to the consumers on {when(standing.forfeitAt)} unless an appeal is
          upheld first; an open appeal stops this clock.
        </p>
      )}
      {canAppeal && <AppealForm connected={props.connected} />}
    </section>
  );
}
