// How fast IOPub output may leave and how much may wait (outputs.ts).
export interface OutputLimits {
  /** Least time between two updates of one display id, in ms. */
  updateInterval: number;
  /** Budget for display updates over a sliding second (they are coalesced meanwhile). */
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** How long stream text is held to be sent in one message, in ms. */
  streamDelay: number;
  /** What may leave over any `window` ms: 80% of jupyter_server's defaults. */
  window: number;
  windowMessages: number;
  windowStreamBytes: number;
  /** Longest stream text in one message, in characters (longer text goes in parts). */
  streamChunk: number;
  /**
   * Most messages and bytes waiting to be sent; past either, outputs are dropped. 20,000
   * messages take about 25 s to leave at the window's rate: a cell that displays in a tight
   * loop gets a notice then, rather than keeping the kernel busy for minutes.
   */
  maxBacklog: number;
  maxBacklogBytes: number;
  /** Backlog above which a cell's `await` waits for the output to drain. */
  holdBacklog: number;
}

export const defaultLimits: OutputLimits = {
  updateInterval: 50,
  messagesPerSecond: 400,
  bytesPerSecond: 400_000,
  streamDelay: 30,
  window: 3000,
  windowMessages: 2400,
  windowStreamBytes: 2_400_000,
  streamChunk: 200_000,
  maxBacklog: 20_000,
  maxBacklogBytes: 512 * 2 ** 20,
  holdBacklog: 2000,
};

/** The limits, with the backlog ceiling (messages) taken from `backlog` when it is a number. */
export function outputLimits(backlog: string | undefined): OutputLimits {
  const n = Number(backlog);
  return backlog && Number.isInteger(n) && n > 0 ? { ...defaultLimits, maxBacklog: n } : defaultLimits;
}

