/** The options every `offpeak` command parses (see main.ts for their meaning). */
export interface CliValues {
  readonly model?: string;
  readonly "data-dir"?: string;
  readonly port?: string;
  readonly host?: string;
  readonly db?: string;
  readonly coordinator?: string;
  readonly "admin-token"?: string;
  readonly "credit-usd"?: string;
  readonly json?: boolean;
  /** `pause --for 1h|30m|2h30m`. */
  readonly for?: string;
  /** `pause --until HH:MM` (local time). */
  readonly until?: string;
  readonly verbose?: boolean;
}
