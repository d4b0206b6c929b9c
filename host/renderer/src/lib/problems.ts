/**
 * Turns what the service reports (an `ErrorInfo`: code, message, and a stage, reason or plugin)
 * into words a person understands, with what to try next. The service's own message is kept
 * as the detail: core writes those for people too.
 */
import { APPROVAL_TIMED_OUT, type ErrorInfo } from '../api';

export interface Problem {
  code: string;
  /** One line: what happened. */
  title: string;
  /** The service's explanation. */
  detail: string;
  /** What to try next. */
  hint?: string;
  /** The finer cause, where the service gave one (`ErrorInfo.reason`). */
  reason?: string;
}

/** The `ErrorInfo` inside anything a request rejected with (or a stand-in for a plain error). */
export function errorInfoOf(error: unknown): ErrorInfo {
  if (typeof error === 'object' && error !== null) {
    const info = (error as { info?: unknown }).info;
    if (isErrorInfo(info)) return info;
    if (isErrorInfo(error)) return { code: error.code, message: error.message };
  }
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

function isErrorInfo(value: unknown): value is ErrorInfo {
  return typeof value === 'object' && value !== null && typeof (value as ErrorInfo).code === 'string' && typeof (value as ErrorInfo).message === 'string';
}

const LINK_REASONS: Record<string, [title: string, hint: string]> = {
  'too-long': ['This link is too long', 'Copy the link again; if it keeps happening, ask for a new invite.'],
  'not-a-url': ['This is not a WhatNext link', 'Paste the whole link (it starts with whtnxt://) or the invite code you were sent.'],
  'wrong-scheme': ['This link is not for WhatNext', 'WhatNext links start with whtnxt://. Check you copied the right thing.'],
  'wrong-action': ['WhatNext cannot open this kind of link', 'Only connection invites (whtnxt://connect?…) can be opened here.'],
  'unexpected-part': ['This link has been altered', 'Copy the link again exactly as you received it.'],
  'missing-version': ['This link is incomplete', 'It may have been cut off: copy the whole link again.'],
  'bad-version': ['This link is damaged', 'Copy the whole link again, or ask for a new invite.'],
  'unsupported-version': ['This link needs a newer WhatNext', 'Update WhatNext, or ask the sender for a link from the same version.'],
  'missing-method': ['This link does not say how to connect', 'It may have been cut off: copy the whole link again.'],
  'bad-method': ['This link names an invalid connection method', 'Copy the whole link again, or ask for a new invite.'],
  'unknown-method': [
    'This link uses a connection method you do not have',
    'Ask the sender to invite you with a method you both have (see Settings), or install the plugin it needs.',
  ],
  unresolved: ['No plugin could read this link', 'Ask the sender for a new invite.'],
  'bad-name': ['The name in this link is not valid', 'Ask the sender for a new invite.'],
  'bad-token': ['This link is damaged', 'Copy the whole link again, or ask for a new invite.'],
  'bad-param': ['This link is damaged', 'Copy the whole link again, or ask for a new invite.'],
  'duplicate-param': ['This link is damaged', 'Copy the whole link again, or ask for a new invite.'],
  'too-many-params': ['This link is damaged', 'Copy the whole link again, or ask for a new invite.'],
  'missing-param': ['This link is incomplete', 'It may have been cut off: copy the whole link again.'],
  corrupted: ['This code is damaged or incomplete', 'Copy the whole code again; chat apps sometimes cut long messages.'],
  'not-a-code': ['This is not a WhatNext code', 'Paste the code exactly as you received it.'],
  'wrong-code': ['That is the wrong kind of code', 'An invite code is opened under "Open an invite"; a reply code is pasted into the invite it answers.'],
  'wrong-invite': ['This reply answers a different invite', 'Paste the reply to this invite, or start a new invite.'],
  expired: ['This invite has expired', 'Ask for a new invite.'],
  'no-common-transport': [
    'You have no transport in common with this invite',
    'Install a plugin for one of the transports it names (Settings → Plugins), or ask the sender for an invite over one you have.',
  ],
  'wrong-transport': ['This reply takes a transport the invite did not offer', 'Paste the reply to this invite, or start a new invite.'],
  replayed: ['You already answered this invite', 'Each invite works once: ask for a new one.'],
  self: ['This is your own invite', 'Send it to the person you want to connect with; they open it in their WhatNext.'],
  'already-connected': ['You are already connected to this person', 'The open connection is listed under Peers.'],
};

const STAGE_PROBLEMS: Record<string, [title: string, hint: string]> = {
  signaling: [
    'Could not exchange connection details',
    'Check that both of you are online and the signaling method works for you both (Settings), then try again.',
  ],
  ice: [
    'No network path between you was found',
    'One of your networks blocks direct connections. Try another network, or a method with a relay (STUN/TURN servers in Settings).',
  ],
  channel: ['The secure channel did not open', 'Try again; if it keeps failing, try another signaling method.'],
  handshake: [
    'The other side answered, but not as expected',
    'Make sure you are both on a current WhatNext and that the invite came from the person you think.',
  ],
  open: ['The connection dropped', 'Try connecting again.'],
};

const CODES: Record<string, (info: ErrorInfo) => Omit<Problem, 'code' | 'detail'>> = {
  link_invalid: (info) => {
    const [title, hint] = LINK_REASONS[info.reason ?? ''] ?? ['This link cannot be opened', 'Copy it again, or ask for a new invite.'];
    return { title, hint };
  },
  transport_failed: (info) => {
    const [title, hint] = STAGE_PROBLEMS[info.stage ?? ''] ?? ['The connection failed', 'Try again.'];
    return { title: info.stage ? `${title} (at ${stageLabel(info.stage)})` : title, hint };
  },
  rejected: (info) =>
    info.reason === APPROVAL_TIMED_OUT
      ? { title: 'Nobody answered the request in time', hint: 'Try again when the other person is there.' }
      : { title: 'The request was declined', hint: 'Check with the other person, then send a new invite if they agree.' },
  refused_by_peer: () => ({ title: 'The other person declined the request', hint: 'Check with them, then try again if they agree.' }),
  invite_expired: () => ({ title: 'Nobody answered the invite in time', hint: 'Start a new invite and send it again.' }),
  invite_lost: () => ({
    title: 'This invite ended when WhatNext restarted',
    hint: 'A reply to it can no longer connect: make a new invite and send it again.',
  }),
  cancelled: () => ({ title: 'Cancelled' }),
  stopping: () => ({ title: 'WhatNext is shutting down', hint: 'Start it again to connect.' }),
  plugin_error: (info) => ({
    title: `The ${info.plugin ?? ''} plugin failed`.replace('  ', ' '),
    hint: 'Check its options in Settings; if it keeps failing, report it to the plugin author.',
  }),
  plugin_timeout: (info) => ({
    title: `The ${info.plugin ?? ''} plugin stopped responding`.replace('  ', ' '),
    hint: 'Try again; check its options in Settings.',
  }),
  plugin_config: () => ({ title: 'These options are not valid', hint: 'Fix the fields marked in red and save again.' }),
  unknown_plugin: () => ({ title: 'That plugin is not loaded', hint: 'Reload the page to see the plugins that are.' }),
  plugin_not_installed: () => ({
    title: 'This plugin is not installed',
    hint: 'Install it into the data folder with the npm command below, then restart WhatNext.',
  }),
  plugin_load_failed: () => ({
    title: 'This plugin could not be loaded',
    hint: 'Disable it, or install a version that works, then restart WhatNext. Report it to the plugin author.',
  }),
  plugins_file_invalid: () => ({
    title: 'plugins.json cannot be used',
    hint: 'Fix the file in the data folder, then reload this page. Until then no plugin of it loads.',
  }),
  unknown_external_plugin: () => ({ title: 'plugins.json does not name that package', hint: 'Reload the page: the file may have changed.' }),
  no_signaling: () => ({ title: 'No signaling method is installed', hint: 'Add one (manual, peerjs, …) to plugins.config.ts and restart WhatNext.' }),
  unknown_signaling: () => ({ title: 'That signaling method is not installed', hint: 'Pick one of the methods listed in Settings.' }),
  transport_not_supported: () => ({ title: 'This method cannot use that transport', hint: "Change the method's transport in Settings." }),
  not_awaiting_approval: () => ({ title: 'This request is no longer waiting for you', hint: 'It was answered, timed out or withdrawn.' }),
  unknown_attempt: () => ({ title: 'This request is gone', hint: 'It finished or timed out; start a new one if needed.' }),
  no_such_question: () => ({ title: 'This step is already done', hint: 'Nothing more to paste for this invite.' }),
  attempt_busy: () => ({ title: 'This attempt is busy', hint: 'Wait a moment and try again.' }),
  attempt_ended: () => ({ title: 'This attempt has ended', hint: 'Start a new invite.' }),
  attempt_open: () => ({ title: 'Already connected', hint: 'Disconnect from the Peers view instead.' }),
  unknown_connection: () => ({ title: 'This connection is already closed' }),
  disconnected: () => ({ title: 'Lost contact with the WhatNext service', hint: 'Reload the page; if that does not help, restart WhatNext.' }),
  no_api: () => ({ title: 'WhatNext is not running behind this page', hint: 'Open WhatNext from the app (or `npm run web`), not this file directly.' }),
  bad_request: () => ({ title: 'The service refused a request', hint: 'This is a bug in WhatNext: reload the page and report it if it happens again.' }),
  bad_response: () => ({ title: 'The service sent an unexpected answer', hint: 'Reload the page; make sure the app and service are the same version.' }),
  playlists_unavailable: () => ({ title: 'Playlists are not available yet', hint: 'The playlist database is still opening: try again in a moment.' }),
  plugin_unavailable: () => ({ title: 'That is not available', hint: 'The plugin that offers it failed or has not started: check Settings → Plugins.' }),
  not_owner: () => ({ title: 'Only the owner can do that', hint: 'Ask the person who created the playlist.' }),
  owner_cannot_leave: () => ({ title: 'You own this playlist', hint: 'Delete it, or stop sharing it with the others.' }),
  not_one_playlist: () => ({ title: 'Those tracks are in different playlists', hint: 'Change the tracks of one playlist at a time.' }),
  unknown_playlist: () => ({ title: 'This playlist is gone', hint: 'It was deleted, or it is no longer shared with you.' }),
  unknown_track: () => ({ title: 'This track is gone', hint: 'Someone removed it meanwhile.' }),
  deleted: () => ({ title: 'It was deleted meanwhile', hint: 'Someone else removed it while you were editing.' }),
  invalid_peer: () => ({ title: 'You cannot share with that peer' }),
  bad_import: () => ({ title: 'Nothing was added: a line could not be read', hint: 'Fix or remove that line, then import again.' }),
  write_failed: () => ({ title: 'Saving failed', hint: 'Try again; if it keeps failing, restart WhatNext.' }),
  internal_error: () => ({ title: 'Something went wrong', hint: 'Try again; if it keeps happening, restart WhatNext.' }),
};

export function describeProblem(info: ErrorInfo): Problem {
  const known = CODES[info.code]?.(info) ?? { title: 'Something went wrong', hint: 'Try again.' };
  const detail = info.message.charAt(0).toUpperCase() + info.message.slice(1);
  return { code: info.code, detail, ...known, ...(info.reason ? { reason: info.reason } : {}) };
}

export function problemOf(error: unknown): Problem {
  return describeProblem(errorInfoOf(error));
}

export function stageLabel(stage: string): string {
  return (
    { signaling: 'exchanging details', ice: 'finding a network path', channel: 'opening a secure channel', handshake: 'saying hello', open: 'open' }[stage] ??
    stage
  );
}
