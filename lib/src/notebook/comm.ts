import { currentSink, type CommChannel, type CommMessage, type CommTargetHandler } from "./sink";

export type { CommChannel as Comm, CommMessage, CommTargetHandler };

/** A comm that goes nowhere, so code written for notebooks also runs in plain Node. */
class DetachedComm implements CommChannel {
  private static counter = 0;
  readonly commId = `detached-${++DetachedComm.counter}`;
  closed = false;
  private closeHandlers: ((data: unknown, msg: CommMessage | null) => void)[] = [];
  constructor(readonly targetName: string) {}
  send(): void {}
  onMsg(): void {}
  onClose(handler: (data: unknown, msg: CommMessage | null) => void): void {
    this.closeHandlers.push(handler);
  }
  close(data?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h(data, null);
  }
}

/**
 * Two-way channels between running code and widgets in the frontend (Jupyter comms).
 * Messages from the frontend arrive while a cell is still running, as long as the cell
 * awaits now and then (e.g. between training steps).
 */
export const comms = {
  /** Opens a comm to a frontend target. Outside a notebook the comm is inert. */
  open(targetName: string, data: unknown = {}, metadata?: Record<string, unknown>): CommChannel {
    const sink = currentSink();
    return sink ? sink.openComm(targetName, data, metadata) : new DetachedComm(targetName);
  },
  /** Accepts comms the frontend opens to `targetName`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    currentSink()?.registerCommTarget(targetName, handler);
  },
  unregisterTarget(targetName: string): void {
    currentSink()?.unregisterCommTarget(targetName);
  },
  /** True when comms reach a frontend. */
  get available(): boolean {
    return currentSink() !== undefined;
  },
};
