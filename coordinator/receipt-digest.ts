/**
 * The EIP-712 digest of a receipt, built directly from its five fields. The coordinator checks a
 * signed receipt for every job; viem's general `hashTypedData` validates and encodes the type
 * description on every call and costs about as much as the signature recovery itself, while the
 * Receipt type never changes. Equal to `hashTypedData(receiptTypedData(r))` (tested).
 */
import { concat, hashDomain, keccak256, numberToHex, stringToBytes, type Hex } from "viem";
import type { Receipt } from "../shared/protocol";
import { OFFPEAK_DOMAIN, receiptTypes } from "../shared/typed-data";

const RECEIPT_TYPE = `Receipt(${receiptTypes.Receipt.map((f) => `${f.type} ${f.name}`).join(",")})`;
const RECEIPT_TYPE_HASH = keccak256(stringToBytes(RECEIPT_TYPE));
const DOMAIN_SEPARATOR = hashDomain({
  domain: OFFPEAK_DOMAIN,
  types: {
    EIP712Domain: [
      { name: "name", type: "string" },
      { name: "version", type: "string" },
    ],
  },
});

/** The digest a node signs for `receipt` (everything but the signature). */
export function receiptDigest(receipt: Omit<Receipt, "signature">): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(receipt.outputHash)) throw new TypeError("outputHash must be 32 bytes of hex");
  const structHash = keccak256(
    concat([
      RECEIPT_TYPE_HASH,
      keccak256(stringToBytes(receipt.jobId)),
      keccak256(stringToBytes(receipt.model)),
      numberToHex(BigInt(receipt.promptTokens), { size: 32 }),
      numberToHex(BigInt(receipt.completionTokens), { size: 32 }),
      receipt.outputHash as Hex,
    ]),
  );
  return keccak256(concat(["0x1901", DOMAIN_SEPARATOR, structHash]));
}
