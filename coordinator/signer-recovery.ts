/**
 * The address that signed a 32-byte digest, recovered with libsecp256k1 through the `secp256k1`
 * package (prebuilt N-API bindings for Linux x64, macOS arm64 and Windows x64; on any other
 * platform the package falls back to its own JavaScript code, with the same answers). Every
 * settled job checks one receipt signature on the coordinator's single thread: viem's
 * pure-JavaScript recovery costs about 2 ms, this about 0.05 ms.
 */
import secp256k1 from "secp256k1";
import { bytesToHex, getAddress, hexToBytes, keccak256, type Address, type Hex } from "viem";

const SIGNATURE_HEX = /^0x[0-9a-fA-F]{130}$/;
const DIGEST_HEX = /^0x[0-9a-fA-F]{64}$/;

/**
 * The checksummed address whose key made `signature` (65 bytes r‖s‖v, v 27/28 or 0/1) over
 * `digest`; throws a TypeError on a malformed signature or one that recovers no key.
 */
export function recoverSigner(digest: Hex, signature: string): Address {
  if (!DIGEST_HEX.test(digest)) throw new TypeError("digest must be 32 bytes of hex");
  if (!SIGNATURE_HEX.test(signature)) throw new TypeError("signature must be 65 bytes of hex");
  const bytes = hexToBytes(signature as Hex);
  const v = bytes[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new TypeError(`signature recovery byte ${v} is not 0, 1, 27 or 28`);
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), recovery, hexToBytes(digest), false);
  } catch (err) {
    throw new TypeError(`signature recovers no key: ${err instanceof Error ? err.message : String(err)}`);
  }
  // An Ethereum address is the last 20 bytes of keccak256 of the uncompressed key without its 0x04 prefix.
  const hash = keccak256(publicKey.subarray(1), "bytes");
  return getAddress(bytesToHex(hash.subarray(12)));
}
