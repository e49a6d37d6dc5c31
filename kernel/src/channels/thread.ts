// Entry point of the channels thread the kernel starts (see serve.ts).
import { parentPort, workerData } from "node:worker_threads";
import { serveChannels } from "./serve";
import { log } from "../shared/log";
import type { ChannelsData } from "../shared/channels-link";

serveChannels(workerData as ChannelsData, parentPort!).catch((e) => log(`channels failed: ${String(e)}`));
