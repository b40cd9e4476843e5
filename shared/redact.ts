/**
 * Takes secrets out of text an owner may send to someone else (an exported log): private keys,
 * Offpeak API keys, bearer and session tokens, backup phrases, prompts and completions; EVM
 * addresses are shortened to their first and last four digits. Pure; no Node or DOM.
 */
import { wordlist } from "@scure/bip39/wordlists/english";

/** "0x1234…abcd": enough to recognise an address, not to copy it. */
export function shortenAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** JSON fields whose value is what a consumer asked or the model answered. */
const CONTENT_FIELDS = ["prompt", "prompts", "messages", "content", "completion", "text", "input", "output", "phrase", "mnemonic", "privateKey", "key", "token", "apiKey", "password"];

const RULES: readonly { readonly pattern: RegExp; readonly replace: string | ((match: string) => string) }[] = [
  // A session link's token (#token=… or ?token=…).
  { pattern: /([#?&]token=)[^&\s"'<>]+/gi, replace: "$1[redacted]" },
  // Authorization headers and bearer tokens.
  { pattern: /\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, replace: "$1[redacted]" },
  // Offpeak API keys.
  { pattern: /\bsk-offpeak-[A-Za-z0-9_-]+/g, replace: "sk-offpeak-[redacted]" },
  // Private keys and other 32-byte secrets: 0x and 64 hex digits (before addresses, which are shorter).
  { pattern: /\b0x[0-9a-fA-F]{64}\b/g, replace: "[redacted key]" },
  // EVM addresses: 0x and exactly 40 hex digits.
  { pattern: /\b0x[0-9a-fA-F]{40}\b/g, replace: (match) => shortenAddress(match) },
  // JSON fields that carry prompts, answers or secrets: "prompt": "…" (string values, escapes included).
  {
    pattern: new RegExp(`("(?:${CONTENT_FIELDS.join("|")})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, "gi"),
    replace: '$1"[redacted]"',
  },
  // key=value forms of the same fields in plain log lines.
  { pattern: new RegExp(`(?<![#?&])\\b((?:${CONTENT_FIELDS.join("|")})=)("[^"]*"|[^\\s&]+)`, "gi"), replace: "$1[redacted]" },
];

const BIP39_WORDS: ReadonlySet<string> = new Set(wordlist);
/** Runs of at least 12 lowercase words, the candidates for a backup phrase. */
const WORD_RUN = /\b[a-z]{3,8}(?:\s+[a-z]{3,8}){11,}\b/g;

/** Replaces each stretch of 12 or more BIP-39 words in a run of words: a backup phrase. */
function redactPhrases(run: string): string {
  const words = run.split(/(\s+)/);
  const out: string[] = [];
  let stretch: string[] = [];
  const flush = () => {
    const count = stretch.filter((part) => !/^\s+$/.test(part)).length;
    if (count >= 12) {
      // Keep the spaces around the phrase, not the phrase.
      const leading = /^\s+$/.test(stretch[0] ?? "") ? stretch.shift() : undefined;
      const trailing = /^\s+$/.test(stretch.at(-1) ?? "") ? stretch.pop() : undefined;
      out.push(leading ?? "", "[redacted phrase]", trailing ?? "");
    } else out.push(...stretch);
    stretch = [];
  };
  for (const part of words) {
    if (/^\s+$/.test(part) || BIP39_WORDS.has(part)) stretch.push(part);
    else {
      flush();
      out.push(part);
    }
  }
  flush();
  return out.join("");
}

/** The text with every secret replaced and every address shortened. */
export function redactText(text: string): string {
  let out = text;
  for (const rule of RULES) {
    out = typeof rule.replace === "string" ? out.replace(rule.pattern, rule.replace) : out.replace(rule.pattern, rule.replace);
  }
  return out.replace(WORD_RUN, redactPhrases);
}
