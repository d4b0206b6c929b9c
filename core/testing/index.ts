/** Test kit for transport authors: the in-memory reference transport and the conformance suite. */
export {
  createMemoryPipePair,
  createMemoryTransport,
  memoryTransport,
  memoryTransportPlugin,
  pairFromTransport,
  pendingMemoryRendezvous,
  type MemoryPipe,
  type MemoryPipeOptions,
  type TransportPair,
} from './memory-transport';
export {
  checkBackpressure,
  checkBufferedAmount,
  checkCleanClose,
  checkSlowReaderHoldsSender,
  describeTransportConformance,
  fromTransport,
  openPipes,
  PEER_A,
  PEER_B,
  type ConformanceFixture,
  type OpenPipes,
  type TransportFixtureOptions,
} from './conformance';
export { createTestConnection, type TestConnection } from './connection';
export { RecordingSink, BufferProbe, pattern, sameBytes } from './helpers';
export {
  GARBAGE_PARAM_VALUES,
  PEER_C,
  checkCancel,
  checkConcurrentAttempts,
  checkConnects,
  checkRefusal,
  checkRefusesCutLinks,
  checkRefusesGarbageLinks,
  describeSignalingConformance,
  type SignalingFixture,
} from './signaling-conformance';
export { watchAttempts, type AttemptWait } from './attempts';
export { createPortPair } from '../protocol/port';
export { createMemorySignaling, memorySignalingPlugin, type MemorySignalingOptions } from './memory-signaling';
