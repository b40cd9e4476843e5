/**
 * The payout chain as the payout worker sees it: an ERC-20 token and a treasury account on an
 * EVM chain reached over JSON-RPC, through viem. It signs transfers without sending them (so the
 * worker can record a transaction before it exists anywhere else), broadcasts signed ones, and
 * reads receipts. Errors say whether the chain refused (`ChainRefusal`) or could not be reached
 * (anything else); messages never carry the RPC address, which often holds an API key.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  decodeErrorResult,
  defineChain,
  encodeFunctionData,
  erc20Abi,
  HttpRequestError,
  http,
  keccak256,
  parseAbi,
  TimeoutError,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** OpenZeppelin 5's ERC-20 errors (ERC-6093), so a refused transfer reads as what it is. */
const TOKEN_ABI = [
  ...erc20Abi,
  ...parseAbi([
    "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
    "error ERC20InvalidReceiver(address receiver)",
    "error ERC20InvalidSender(address sender)",
  ]),
] as const;

/** The chain said no: the transfer or transaction cannot go through as it is. */
export class ChainRefusal extends Error {}

/** A transfer signed by the treasury and not yet broadcast. */
export interface SignedTransfer {
  readonly raw: Hex;
  readonly hash: Hex;
}

/** What the worker needs of the chain. */
export interface PayoutChainClient {
  readonly treasury: Address;
  chainId(): Promise<number>;
  tokenDecimals(): Promise<number>;
  tokenBalance(owner: Address): Promise<bigint>;
  /** The treasury's next nonce counting transactions still in the pool. */
  pendingNonce(): Promise<number>;
  /** Transactions of the treasury already in blocks. */
  minedNonce(): Promise<number>;
  /** Simulates, then signs `transfer(to, amount)` with `nonce`; a ChainRefusal when the token would refuse it. */
  signTransfer(to: Address, amount: bigint, nonce: number): Promise<SignedTransfer>;
  /** Sends a signed transaction; a ChainRefusal when the node refuses it. */
  broadcast(raw: Hex): Promise<void>;
  /** Whether the chain knows the transaction (in the pool or in a block). */
  knows(hash: Hex): Promise<boolean>;
  /** The transaction's outcome and its confirmations, or null while it is not in a block. */
  receipt(hash: Hex): Promise<{ readonly success: boolean; readonly blockNumber: bigint; readonly confirmations: number } | null>;
}

/** Whether an error means the RPC could not be reached or did not answer in time. */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof BaseError)) return !(error instanceof ChainRefusal);
  return error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null;
}

/** The token's error in revert data, when the data names one of TOKEN_ABI's errors. */
function decodeTokenError(data: unknown): { errorName: string; args: readonly unknown[] } | null {
  if (typeof data !== "string" || !/^0x[0-9a-fA-F]{8}/.test(data)) return null;
  try {
    const decoded = decodeErrorResult({ abi: TOKEN_ABI, data: data as Hex });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return null;
  }
}

/** The revert of a failed call: viem decodes it for nodes that answer "execution reverted"; others (ganache) only carry the data. */
function tokenRevert(error: BaseError): { errorName: string; args: readonly unknown[] } | "undecoded" | null {
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    if (reverted.data) return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    return decodeTokenError(reverted.raw) ?? "undecoded";
  }
  const carrier = error.walk((e) => decodeTokenError((e as { data?: unknown }).data) !== null);
  return carrier ? decodeTokenError((carrier as { data?: unknown }).data) : null;
}

/** A short reason for the owner and the log, without URLs or request bodies. */
export function chainReason(error: unknown): string {
  if (error instanceof ChainRefusal) return error.message;
  if (!(error instanceof BaseError)) return error instanceof Error ? error.message : String(error);
  const revert = tokenRevert(error);
  if (revert === "undecoded") return "the token refused the transfer";
  if (revert?.errorName === "ERC20InsufficientBalance") {
    const [, balance, needed] = revert.args as readonly [Address, bigint, bigint];
    return `the treasury holds ${balance} token units and ${needed} are needed`;
  }
  if (revert) return `the token refused the transfer (${revert.errorName})`;
  return error.shortMessage;
}

function refusal(error: unknown): unknown {
  return isUnreachable(error) ? error : new ChainRefusal(chainReason(error));
}

/** Connects to the chain at `rpcUrl` as the treasury `treasuryKey`, paying in the token at `token`. */
export function connectPayoutChain(options: { rpcUrl: string; chainId: number; token: Address; treasuryKey: Hex; timeoutMs?: number }): PayoutChainClient {
  const chain = defineChain({
    id: options.chainId,
    name: `chain ${options.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  // Retries belong to the worker's loop, which knows what a retry may repeat.
  const transport = http(options.rpcUrl, { retryCount: 0, timeout: options.timeoutMs ?? 15_000 });
  const account = privateKeyToAccount(options.treasuryKey);
  const reader = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ account, chain, transport });
  const token = options.token;

  return {
    treasury: account.address,
    chainId: () => reader.getChainId(),
    tokenDecimals: () => reader.readContract({ address: token, abi: TOKEN_ABI, functionName: "decimals" }),
    tokenBalance: (owner) => reader.readContract({ address: token, abi: TOKEN_ABI, functionName: "balanceOf", args: [owner] }),
    pendingNonce: () => reader.getTransactionCount({ address: account.address, blockTag: "pending" }),
    minedNonce: () => reader.getTransactionCount({ address: account.address, blockTag: "latest" }),
    async signTransfer(to, amount, nonce) {
      try {
        await reader.simulateContract({ account, address: token, abi: TOKEN_ABI, functionName: "transfer", args: [to, amount] });
        const data = encodeFunctionData({ abi: TOKEN_ABI, functionName: "transfer", args: [to, amount] });
        const request = await wallet.prepareTransactionRequest({ to: token, data, nonce, value: 0n });
        const raw = await wallet.signTransaction(request);
        return { raw, hash: keccak256(raw) };
      } catch (error) {
        throw refusal(error);
      }
    },
    async broadcast(raw) {
      try {
        await wallet.sendRawTransaction({ serializedTransaction: raw });
      } catch (error) {
        throw refusal(error);
      }
    },
    async knows(hash) {
      try {
        await reader.getTransaction({ hash });
        return true;
      } catch (error) {
        if (error instanceof TransactionNotFoundError) return false;
        throw error;
      }
    },
    async receipt(hash) {
      let found;
      try {
        found = await reader.getTransactionReceipt({ hash });
      } catch (error) {
        if (error instanceof TransactionReceiptNotFoundError) return null;
        throw error;
      }
      const head = await reader.getBlockNumber();
      return { success: found.status === "success", blockNumber: found.blockNumber, confirmations: Number(head - found.blockNumber + 1n) };
    },
  };
}
