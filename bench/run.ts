/**
 * `npm run bench`: every benchmark, each printing its figures as ratios against a baseline
 * measured in the same run. `BENCH_ROUNDS` sets the number of alternating rounds (default 7);
 * `BENCH_LEDGER_JOBS` the settlements per concurrency level of the ledger bench (default 1000);
 * `BENCH_LOAD_NODES`, `BENCH_LOAD_CONSUMERS`, `BENCH_LOAD_SECONDS` and `BENCH_LOAD_ROUNDS` the
 * coordinator load bench (default 1000 nodes, 64 consumers, 10 s per side in 2 rounds);
 * `BENCH_CHAOS_NODES`, `_CONSUMERS`, `_SECONDS` and `_FAULTS` the chaos bench (bench/chaos.ts).
 */
import { benchWholePath } from "./whole-path";
import { benchWorker } from "./worker";
import { benchYield } from "./yield";
import { benchLedger } from "./ledger";
import { benchCoordinatorLoad, coordinatorLoadOptionsFromEnv } from "./coordinator-load";
import { benchChaos, chaosOptionsFromEnv } from "./chaos";

process.env.NODE_LLAMA_CPP_GPU ??= "false";
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
await benchWholePath(rounds);
await benchWorker(rounds);
await benchYield(Math.max(20, Number(process.env.BENCH_YIELD_TRIALS ?? 20)));
await benchLedger(Math.max(100, Number(process.env.BENCH_LEDGER_JOBS ?? 1_000)));
await benchCoordinatorLoad(coordinatorLoadOptionsFromEnv());
// Last: it exits non-zero when an invariant broke or a request ended BAD under faults.
if ((await benchChaos(chaosOptionsFromEnv())).length > 0) process.exitCode = 1;
