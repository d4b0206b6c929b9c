/**
 * A connection a test puts on a pipe by hand, as the host does for real ones: hand `sink` to
 * the transport's dial (or a pipe pair), then `attach` the pipe. For transport tests beyond the
 * conformance suite (a relay in the middle, say); plugins otherwise only meet `Connection`.
 */
import type { Pipe, PipeSink } from '../contracts/transport';
import { createConnection } from '../connection/connection';
import type { Connection, ConnectionOptions } from '../connection/types';

export interface TestConnection extends Connection {
  /** Where the pipe reports frames, drain and close. */
  readonly sink: PipeSink;
  /** Run the handshake over `pipe` and open. */
  attach(pipe: Pipe): void;
}

export function createTestConnection(options: ConnectionOptions): TestConnection {
  return createConnection(options);
}
