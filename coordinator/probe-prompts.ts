/**
 * Known-answer prompts: ordinary requests (a story to continue, a question in a chat), built
 * from parts so there are tens of thousands of them, run greedily. Each has a key from which the
 * same prompt and sampling can be built again, so answers learned for it survive a restart.
 */
import type { JobInput, Sampling } from "../shared/protocol";

const NAMES = ["Lily", "Ben", "Mia", "Tom", "Sara", "Max", "Anna", "Leo", "Zoe", "Sam", "Ella", "Jack"];
const CREATURES = ["little dog", "old cat", "small bird", "brave mouse", "happy frog", "tiny fox", "big bear", "shy rabbit", "red fish", "kind duck"];
const PLACES = ["in the park", "by the sea", "in a big forest", "at school", "in the garden", "near the river", "on a farm", "in the town"];
const OPENINGS = ["Once upon a time,", "One day,", "Long ago,", "Every morning,", "On a sunny day,", "It was a cold night."];
const QUESTIONS = [
  "Tell me a short story about",
  "Can you write a few sentences about",
  "Write a bedtime story about",
  "Please describe a day of",
  "What happens when you meet",
];
const SYSTEMS = ["You are a helpful assistant.", "You write short stories for children.", "Answer in plain words."];
/** Output lengths a real request would ask for. */
const LENGTHS = [24, 32, 40, 48, 64];

/** A known-answer prompt. */
export interface ProbeSpec {
  /** Stable name of this prompt and sampling ("c.3.7.2.5.1" / "h.1.2.4.0.3"). */
  readonly key: string;
  readonly input: JobInput;
  readonly sampling: Sampling;
}

const pick = <T>(list: readonly T[], i: number): T => list[((i % list.length) + list.length) % list.length] as T;

/** Builds the prompt of `key`; undefined for a key this code did not make. */
export function probeFromKey(key: string): ProbeSpec | undefined {
  const m = /^([ch])\.(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(key);
  if (!m) return undefined;
  const [a, b, c, d, e] = m.slice(2).map(Number) as [number, number, number, number, number];
  const sampling: Sampling = { maxTokens: pick(LENGTHS, e), temperature: 0, topP: 1, stop: [] };
  if (m[1] === "c") {
    const prompt = `${pick(OPENINGS, a)} ${pick(NAMES, b)} and a ${pick(CREATURES, c)} were ${pick(PLACES, d)}.`;
    return { key, input: { kind: "completion", prompt }, sampling };
  }
  const messages = [
    { role: "system" as const, content: pick(SYSTEMS, d) },
    { role: "user" as const, content: `${pick(QUESTIONS, a)} ${pick(NAMES, b)} and a ${pick(CREATURES, c)}.` },
  ];
  return { key, input: { kind: "chat", messages }, sampling };
}

/** A new known-answer prompt drawn with `random` (0 ≤ random() < 1). */
export function randomProbe(random: () => number): ProbeSpec {
  const n = (size: number) => Math.floor(random() * size);
  const kind = random() < 0.5 ? "c" : "h";
  const first = kind === "c" ? n(OPENINGS.length) : n(QUESTIONS.length);
  const fourth = kind === "c" ? n(PLACES.length) : n(SYSTEMS.length);
  const key = `${kind}.${first}.${n(NAMES.length)}.${n(CREATURES.length)}.${fourth}.${n(LENGTHS.length)}`;
  return probeFromKey(key) as ProbeSpec;
}
