// The request whose outputs are being produced: output of a cell, of its callbacks and of
// comm handlers goes to the last execute_request, as in ipykernel.
import type { Header, Message } from "../shared/wire";

export class CurrentRequest {
  message: Message | undefined;
  allowStdin = false;

  get header(): Header | undefined {
    return this.message?.header;
  }
}
