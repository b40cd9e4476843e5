import { getLlama } from "node-llama-cpp";
import { writeFileSync } from "node:fs";
const llama = await getLlama({ gpu: false, build: "never", logLevel: "warn", logger: (l, m) => console.log("LOG", l, JSON.stringify(m)) } as any);
const model = await llama.loadModel({ modelPath: "/work/shared/models/stories260K.gguf" });
const context = await model.createContext({ contextSize: 64, threads: 1, sequences: 1 });
console.log("ctx", context.contextSize, model.vocabularyType);
writeFileSync("/tmp/wexp/bad.gguf", "hello not a gguf file at all".repeat(100));
try { await llama.loadModel({ modelPath: "/tmp/wexp/bad.gguf" }); } catch (e) { console.log("ERR", (e as Error).message); }
try { await llama.loadModel({ modelPath: "/tmp/wexp/missing.gguf" }); } catch (e) { console.log("ERR", (e as Error).message); }
