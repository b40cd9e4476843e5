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
  readonly verbose?: boolean;
}
