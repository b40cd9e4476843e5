/**
 * The node's wallet secret: its private key and the backup phrase that gives the key back.
 *
 * A new wallet comes from a 24-word BIP-39 phrase, derived at m/44'/60'/0'/0/0 like MetaMask and
 * most EVM wallets, so the phrase also opens the node's address in those wallets. A key made
 * before phrases existed (the interim `node-key` file) has no such phrase: its 32 bytes are
 * written as a 24-word phrase of their own (BIP-39 entropy), shown with a `key:` prefix so a
 * restore knows to take the words as the key itself rather than as a wallet seed.
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from "@scure/bip39";
import { bytesToHex, hexToBytes } from "viem";
import { english, generateMnemonic, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { z } from "zod";

/** A 0x-prefixed 32-byte secp256k1 private key. */
export type PrivateKeyHex = `0x${string}`;

/** How a phrase gives the key back: a standard BIP-39 wallet seed, or the key's own bytes. */
export type PhraseKind = "bip39" | "raw-key";

/** The derivation path of a new wallet: the first account of a MetaMask-style wallet. */
export const WALLET_PATH = "m/44'/60'/0'/0/0";

/** What the key store keeps: one JSON object, in one keychain entry. */
export interface WalletSecret {
  readonly privateKey: PrivateKeyHex;
  /** The words, lowercase, single-spaced, without the `key:` prefix. */
  readonly phrase: string;
  readonly kind: PhraseKind;
}

/** A phrase that cannot be a backup phrase; the message says why without repeating the words. */
export class PhraseError extends Error {}

export const KEY_PATTERN = /^0x[0-9a-f]{64}$/;
const RAW_KEY_PREFIX = /^key:\s*/i;
const WORD_COUNTS = new Set([12, 15, 18, 21, 24]);
const ENGLISH = new Set(english);

const storedSecretSchema = z.object({
  v: z.literal(1),
  kind: z.enum(["bip39", "raw-key"]),
  privateKey: z.string().regex(KEY_PATTERN),
  phrase: z.string().min(1).max(1000),
});

/** A brand-new wallet from a fresh 24-word phrase. */
export function newWalletSecret(): WalletSecret {
  const phrase = generateMnemonic(english, 256);
  return { privateKey: keyFromWalletPhrase(phrase), phrase, kind: "bip39" };
}

/** The secret of a key that has no phrase yet: its 32 bytes become the words. */
export function secretFromRawKey(privateKey: PrivateKeyHex): WalletSecret {
  const key = privateKey.toLowerCase() as PrivateKeyHex;
  if (!KEY_PATTERN.test(key)) throw new PhraseError("not a 32-byte hex key");
  return { privateKey: key, phrase: entropyToMnemonic(hexToBytes(key), english), kind: "raw-key" };
}

/** The phrase as the owner writes it down: raw-key phrases carry the `key:` prefix. */
export function displayPhrase(secret: WalletSecret): string {
  return secret.kind === "raw-key" ? `key: ${secret.phrase}` : secret.phrase;
}

/** The EVM address of a private key. */
export function addressOf(privateKey: PrivateKeyHex): `0x${string}` {
  return privateKeyToAccount(privateKey).address;
}

/**
 * Reads a backup phrase as the owner typed or pasted it (any case and spacing, `key:` prefix
 * for a raw-key phrase). Throws a {@link PhraseError} for anything that is not a valid phrase:
 * an unknown word, a wrong number of words, or a checksum that does not match.
 */
export function secretFromPhrase(text: string): WalletSecret {
  const trimmed = text.normalize("NFKD").trim();
  const rawKey = RAW_KEY_PREFIX.test(trimmed);
  const words = trimmed.replace(RAW_KEY_PREFIX, "").toLowerCase().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) throw new PhraseError("the backup phrase is empty");
  const unknown = words.findIndex((word) => !ENGLISH.has(word));
  if (unknown !== -1) throw new PhraseError(`word ${unknown + 1} is not a word of the BIP-39 English list; check its spelling`);
  if (rawKey ? words.length !== 24 : !WORD_COUNTS.has(words.length)) {
    throw new PhraseError(
      rawKey ? `a key: phrase has 24 words, this one has ${words.length}` : `a backup phrase has 12, 15, 18, 21 or 24 words, this one has ${words.length}`,
    );
  }
  const phrase = words.join(" ");
  if (!validateMnemonic(phrase, english)) {
    throw new PhraseError("the phrase's checksum does not match: a word is wrong or the words are out of order");
  }
  if (!rawKey) return { privateKey: keyFromWalletPhrase(phrase), phrase, kind: "bip39" };
  const privateKey = bytesToHex(mnemonicToEntropy(phrase, english)) as PrivateKeyHex;
  try {
    addressOf(privateKey);
  } catch {
    throw new PhraseError("these words do not make a valid secp256k1 key");
  }
  return { privateKey, phrase, kind: "raw-key" };
}

/** The JSON text a key store keeps. */
export function serializeSecret(secret: WalletSecret): string {
  return JSON.stringify({ v: 1, kind: secret.kind, privateKey: secret.privateKey, phrase: secret.phrase });
}

/**
 * Reads what a key store kept; throws when it is not a secret this app wrote, or when its phrase
 * does not give back its key (a damaged entry is never used: the balance belongs to the old key).
 */
export function parseSecret(text: string): WalletSecret {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error("it is not the JSON this app writes");
  }
  const parsed = storedSecretSchema.safeParse(json);
  if (!parsed.success) throw new Error("it lacks a valid key, phrase or kind");
  const { kind, privateKey, phrase } = parsed.data;
  let fromPhrase: WalletSecret;
  try {
    fromPhrase = secretFromPhrase(kind === "raw-key" ? `key: ${phrase}` : phrase);
  } catch {
    throw new Error("its backup phrase is not valid");
  }
  if (fromPhrase.privateKey !== privateKey) throw new Error("its backup phrase does not give back its key");
  return fromPhrase;
}

function keyFromWalletPhrase(phrase: string): PrivateKeyHex {
  const key = mnemonicToAccount(phrase, { path: WALLET_PATH }).getHdKey().privateKey;
  if (!key) throw new PhraseError("this phrase gives no private key");
  return bytesToHex(key) as PrivateKeyHex;
}
