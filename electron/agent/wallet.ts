/**
 * The node's wallet: a secp256k1 key whose EVM address is the node's identity. It signs the
 * coordinator's login challenge and every job receipt; the key itself never leaves this module.
 */
import { createHash } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Receipt } from "../../shared/protocol";
import { loginTypedData, receiptTypedData } from "../../shared/typed-data";
import type { KeyStore } from "./key-store";

/** What the agent can do with the wallet: know its address and sign. */
export interface NodeWallet {
  readonly address: `0x${string}`;
  signLogin(nonce: string, coordinatorId: string): Promise<`0x${string}`>;
  signReceipt(receipt: Omit<Receipt, "signature">): Promise<Receipt>;
}

/** Loads the node's key from the store, creating and storing one on first run. */
export async function openWallet(store: KeyStore): Promise<NodeWallet> {
  let key = await store.load();
  if (!key) {
    key = generatePrivateKey();
    await store.save(key);
  }
  const account = privateKeyToAccount(key);
  return {
    address: account.address,
    signLogin: (nonce, coordinatorId) => account.signTypedData(loginTypedData(nonce, coordinatorId)),
    async signReceipt(receipt) {
      const signature = await account.signTypedData(receiptTypedData(receipt));
      return { ...receipt, signature };
    },
  };
}

/** sha256 of the UTF-8 text, 0x-prefixed: the output hash a receipt carries. */
export function outputHash(text: string): `0x${string}` {
  return `0x${createHash("sha256").update(text, "utf8").digest("hex")}`;
}
