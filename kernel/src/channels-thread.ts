// Entry point of the channels thread the kernel starts (see channels.ts).
import { parentPort, workerData } from "node:worker_threads";
import { runChannels } from "./channels";
import type { ChannelsData, FromChannels } from "./thread-link";

const port = parentPort!;
runChannels(workerData as ChannelsData, port).catch((e) => port.postMessage({ type: "log", text: `channels failed: ${String(e)}` } satisfies FromChannels));
