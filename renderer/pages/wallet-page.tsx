/**
 * Wallet: the node's address (copy, QR code), where its key lives or why the keychain cannot
 * give it, withdrawals of its earnings (withdrawal-history.tsx), the backup phrase behind a
 * confirmation, and a restore from a phrase.
 */
import type { NodeState } from "../../shared/control-api";
import { WithdrawalsCard } from "../components/withdrawal-history";
import { useNodeStateStore } from "../use-node-state";
import { WalletAddress } from "../wallet/wallet-address";
import { WalletBackup } from "../wallet/wallet-backup";
import { WalletProblem } from "../wallet/wallet-problem";
import { WalletRestore } from "../wallet/wallet-restore";
import "../wallet/wallet.css";

export function WalletPage(props: { state: NodeState; connected: boolean }) {
  const { wallet, address } = props.state;
  const ready = wallet.state === "ready";
  const { api } = useNodeStateStore();
  return (
    <div className="wallet-page">
      <div className="page-head">
        <h2 id="page-title" className="page-title" tabIndex={-1}>
          Wallet
        </h2>
      </div>
      {ready ? <WalletAddress address={address} store={wallet.store} /> : <WalletProblem wallet={wallet} connected={props.connected} />}
      {ready && (
        <WithdrawalsCard api={api} connected={props.connected} withdrawals={props.state.withdrawals} balanceMicroUsd={props.state.earnings.balanceMicroUsd} />
      )}
      <WalletBackup connected={props.connected} ready={ready} />
      <WalletRestore connected={props.connected} />
    </div>
  );
}
