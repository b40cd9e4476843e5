/**
 * The demo model's SentencePiece-style vocabulary: control tokens, the 256 byte tokens (so any
 * text tokenizes), the SentencePiece space, printable ASCII, common English words, then
 * generated unique pieces up to the requested size.
 */

/** llama.cpp token types. */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** SentencePiece's word-boundary marker (U+2581). */
export const SPM_SPACE = "\u2581";

/** A vocabulary in the three parallel arrays GGUF stores. */
export interface DemoVocabulary {
  readonly tokens: readonly string[];
  readonly scores: Float32Array;
  readonly tokenTypes: Int32Array;
  /** Index of the first normal (type 1) token; everything before it is control or byte. */
  readonly firstNormalToken: number;
}

const COMMON_WORDS = (
  "the a and to of was in he she it that his her they said with on for you at but had one day " +
  "there once upon time little big girl boy named lily tim ben mom dad friend friends play played " +
  "wanted saw very happy sad went go home tree park ball dog cat bird sun red blue green " +
  "is are be have not all so up out when what can could would like look looked help helped " +
  "made make new good fun toy car box house water sky fly run ran jump jumped smile smiled " +
  "love loved each other together then after before again every nice kind small old long " +
  "found find took take came come this from them were will we my your me him i an into " +
  "do did get got about over by no yes back just know knew how who why where here now"
).split(" ");

const CONSONANTS = "bcdfghjklmnprstvwyz".split("");
const VOWELS = "aeiou".split("");
const SUFFIXES = ["", "n", "r", "s", "t", "l", "ng", "st", "nd", "ck"];

function* generatedPieces(): Generator<string> {
  const syllables: string[] = [];
  for (const c of CONSONANTS) for (const v of VOWELS) for (const s of SUFFIXES) syllables.push(c + v + s);
  for (const s of syllables) {
    yield s;
    yield SPM_SPACE + s;
  }
  for (const a of syllables) {
    for (const b of syllables) {
      yield a + b;
      yield SPM_SPACE + a + b;
    }
  }
  throw new Error("demo vocabulary size exceeds the generated pieces");
}

/** Builds a vocabulary of exactly `size` unique tokens (at least 512). */
export function buildDemoVocabulary(size: number): DemoVocabulary {
  if (!Number.isInteger(size) || size < 512) throw new Error(`vocabulary size must be an integer of at least 512, got ${size}`);
  const tokens: string[] = [];
  const types: number[] = [];
  const seen = new Set<string>();
  const add = (piece: string, type: number): void => {
    if (tokens.length >= size || seen.has(piece)) return;
    seen.add(piece);
    tokens.push(piece);
    types.push(type);
  };
  add("<unk>", TokenType.UNKNOWN);
  add("<s>", TokenType.CONTROL);
  add("</s>", TokenType.CONTROL);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, TokenType.BYTE);
  const firstNormalToken = tokens.length;
  add(SPM_SPACE, TokenType.NORMAL);
  for (let c = 33; c < 127; c++) add(String.fromCharCode(c), TokenType.NORMAL);
  for (const w of COMMON_WORDS) add(SPM_SPACE + w, TokenType.NORMAL);
  for (const w of COMMON_WORDS) add(w, TokenType.NORMAL);
  if (tokens.length < size) {
    for (const piece of generatedPieces()) {
      add(piece, TokenType.NORMAL);
      if (tokens.length >= size) break;
    }
  }
  const scores = new Float32Array(size);
  for (let i = firstNormalToken; i < size; i++) scores[i] = -(i - firstNormalToken);
  return { tokens, scores, tokenTypes: Int32Array.from(types), firstNormalToken };
}
