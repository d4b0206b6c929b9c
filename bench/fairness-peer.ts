/**
 * The receiving peer of the fairness benchmark in a process of its own (bench/fairness.ts
 * drives it), as WhatNext runs a service per app: a PluginHost + ConnectionManager with the
 * manual method over simple-peer (bench/ours.ts), that answers an invite link, echoes every
 * request on `ping`, and tells the parent when each message on `bulk` has arrived whole.
 */
import { manual } from '../plugins/manual';
import { simplePeer } from '../plugins/simple-peer';
import { webrtc } from '../plugins/webrtc';
import { ourPeer, type OurPeer } from './ours';
import { exitSoon, replyToParent, serveParent } from './peer-child';

export type FairnessPeerCommand = { type: 'start'; interleave: boolean } | { type: 'answer'; link: string } | { type: 'stop' };
export type FairnessPeerReply =
  { type: 'started' } | { type: 'reply'; code: string } | { type: 'opened' } | { type: 'arrived' } | { type: 'error'; message: string };

let peer: OurPeer | undefined;

serveParent<FairnessPeerCommand>(async (command) => {
  switch (command.type) {
    case 'start':
      peer = await ourPeer('Bob', [manual(), webrtc(), simplePeer()], { interleave: command.interleave });
      replyToParent({ type: 'started' });
      return;
    case 'answer': {
      const request = await peer!.manager.openLink(command.link);
      peer!.manager.approve(request.id);
      const shown = await peer!.attempt(request.id, (s) => s.displays.length > 0);
      replyToParent({ type: 'reply', code: shown.displays[0]!.code! });
      const open = await peer!.attempt(request.id, (s) => s.state === 'open');
      const connection = peer!.manager.connection(open.connectionId!);
      connection.channel('ping').onRequest((message) => message);
      connection.channel('bulk').onMessage(() => replyToParent({ type: 'arrived' }));
      replyToParent({ type: 'opened' });
      return;
    }
    case 'stop':
      await peer?.stop();
      exitSoon();
      return;
  }
});
