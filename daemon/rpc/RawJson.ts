// A handler's result already serialized as JSON (a worker's reply, daemon/worker/protocol.ts):
// the connection writes it into the reply frame as it is, with no parse and no second encode.
// A connection that narrows results (a browser app's scope) parses it first.
export class RawJson {
  constructor(readonly json: string) {}
}
