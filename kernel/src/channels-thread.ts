// Entry point of the channels thread the kernel starts (see channels.ts).
import { parentPort, workerData } from "node:worker_threads";
import { runChannels } from "./channels";
import { log } from "./log";
import type { ChannelsData } from "./thread-link";

runChannels(workerData as ChannelsData, parentPort!).catch((e) => log(`channels failed: ${String(e)}`));
