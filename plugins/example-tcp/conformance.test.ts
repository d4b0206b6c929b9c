/** What a third party does: run core's conformance suite against their transport. */
import { describeTransportConformance, fromTransport } from '@whatnext/core/testing';
import { createTcpTransport } from './index';

describeTransportConformance('example-tcp', fromTransport(createTcpTransport()));
