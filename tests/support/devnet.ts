/**
 * Test support: a real local EVM devnet and a real ERC-20 on it. ganache (an npm package) runs
 * in this process on 127.0.0.1 at a free port with deterministic accounts; TestUsd.sol, built on
 * OpenZeppelin's ERC20, is compiled here with solc-js (the compiler bundled in the `solc`
 * package: nothing is downloaded) and deployed with viem.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import ganache from "ganache";
import { createPublicClient, createWalletClient, defineChain, http, type Abi, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

const require = createRequire(import.meta.url);
const CONTRACT_FILE = "TestUsd.sol";

/** The chain id the devnet answers with. */
export const DEVNET_CHAIN_ID = 1337;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

let compiled: { abi: Abi; bytecode: Hex } | null = null;

/** Compiles TestUsd.sol (once per process), resolving OpenZeppelin imports from node_modules. */
export function compileTestUsd(): { abi: Abi; bytecode: Hex } {
  if (compiled) return compiled;
  const solc = require("solc") as { compile(input: string, callbacks: { import(path: string): { contents: string } | { error: string } }): string };
  const source = readFileSync(new URL(CONTRACT_FILE, import.meta.url), "utf8");
  const input = {
    language: "Solidity",
    sources: { [CONTRACT_FILE]: { content: source } },
    // ganache runs the Shanghai rules; newer solc targets Cancun (MCOPY) unless told otherwise.
    settings: { evmVersion: "shanghai", optimizer: { enabled: true, runs: 200 }, outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  };
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import(path) {
        try {
          return { contents: readFileSync(require.resolve(path), "utf8") };
        } catch (error) {
          return { error: `cannot import ${path}: ${(error as Error).message}` };
        }
      },
    }),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`TestUsd.sol does not compile:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const contract = output.contracts[CONTRACT_FILE]?.TestUsd;
  if (!contract) throw new Error("solc produced no TestUsd contract");
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

/** A devnet account: the address and its private key. */
export interface DevnetAccount {
  readonly address: Address;
  readonly key: Hex;
}

/** A running devnet. */
export interface Devnet {
  readonly rpcUrl: string;
  readonly chainId: number;
  /** Deterministic, funded with ether; [0] deploys and mints. */
  readonly accounts: readonly DevnetAccount[];
  /** Deploys a TestUsd with `decimals`, owned by accounts[0]. */
  deployToken(decimals: number, symbol?: string): Promise<Address>;
  mint(token: Address, to: Address, amount: bigint): Promise<void>;
  balanceOf(token: Address, owner: Address): Promise<bigint>;
  /** Mines `blocks` empty blocks. */
  mine(blocks: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts ganache on 127.0.0.1 at a free port. */
export async function startDevnet(): Promise<Devnet> {
  const server = ganache.server({
    logging: { quiet: true },
    wallet: { deterministic: true, totalAccounts: 5 },
    chain: { chainId: DEVNET_CHAIN_ID, hardfork: "shanghai" },
  });
  await server.listen(0, "127.0.0.1");
  const { port } = server.address() as AddressInfo;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const initial = server.provider.getInitialAccounts();
  const accounts = Object.entries(initial).map(([address, a]) => ({ address: privateKeyToAccount(a.secretKey as Hex).address, key: a.secretKey as Hex, raw: address }));
  const chain = defineChain({
    id: DEVNET_CHAIN_ID,
    name: "devnet",
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const reader = createPublicClient({ chain, transport: http(rpcUrl) });
  const owner = accounts[0];
  if (!owner) throw new Error("ganache made no accounts");
  const ownerWallet = createWalletClient({ account: privateKeyToAccount(owner.key), chain, transport: http(rpcUrl) });
  const { abi, bytecode } = compileTestUsd();

  return {
    rpcUrl,
    chainId: DEVNET_CHAIN_ID,
    accounts: accounts.map(({ address, key }) => ({ address, key })),
    async deployToken(decimals, symbol = "TUSD") {
      const hash = await ownerWallet.deployContract({ abi, bytecode, args: [`Test ${symbol}`, symbol, decimals] });
      const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 10_000 });
      if (!receipt.contractAddress || receipt.status !== "success") throw new Error("TestUsd was not deployed");
      return receipt.contractAddress;
    },
    async mint(token, to, amount) {
      const hash = await ownerWallet.writeContract({ address: token, abi, functionName: "mint", args: [to, amount] });
      const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50, timeout: 10_000 });
      if (receipt.status !== "success") throw new Error("mint reverted");
    },
    async balanceOf(token, holder) {
      return (await reader.readContract({ address: token, abi, functionName: "balanceOf", args: [holder] })) as bigint;
    },
    async mine(blocks) {
      for (let i = 0; i < blocks; i++) await server.provider.request({ method: "evm_mine", params: [] });
    },
    close: () => server.close(),
  };
}
