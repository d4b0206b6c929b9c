/**
 * Every error code core and the service give, and what each means: the one table. A code is
 * snake_case and stable, since a UI tells errors apart by it after the error crossed a process
 * boundary as `{ code, message }`. A plugin lists its own codes in a table of its own
 * (`defineErrorCodes`, e.g. plugins/rxdb/errors.ts). tools/error-codes.test.ts checks that every
 * code written in the source is in one of these tables.
 */

/** A table of error codes (snake_case) with what each means. */
export function defineErrorCodes<const T extends Record<string, string>>(codes: T): Readonly<T> {
  for (const code of Object.keys(codes)) {
    if (!/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/.test(code)) throw new TypeError(`"${code}" is not an error code: use snake_case, like "unknown_playlist"`);
  }
  return Object.freeze({ ...codes });
}

export const ERROR_CODES = defineErrorCodes({
  // requests to the service
  bad_request: 'A request was malformed, or its parameters did not fit the method.',
  bad_response: 'The service answered with something that does not fit the method.',
  unknown_method: 'No plugin offers a method of that name.',
  too_large: 'A message is larger than the channel it would travel on carries.',
  disconnected: 'The connection to the service closed, or was never there.',
  busy: 'Too many requests wait for the service to start.',
  service_failed: 'The service stopped and was not restarted.',
  internal_error: 'Something failed that has no code of its own: a bug, to report.',
  stopping: 'The service is stopping.',
  host_state: 'The plugin host cannot do that in its current state.',
  // plugins
  plugin_config: 'A plugin was refused at start: bad options, an unsupported API, a missing dependency.',
  plugin_error: 'A plugin failed in a hook or a method (the message names plugin and hook).',
  plugin_timeout: 'A plugin did not finish a hook in time.',
  plugin_unavailable: 'A plugin that offers this failed or has not started.',
  unknown_plugin: 'No plugin of that name is loaded.',
  unknown_transport: 'No transport of that name is installed.',
  unknown_signaling_method: 'No signaling method of that name is installed.',
  unknown_signaling: 'The settings name a signaling method that is not installed.',
  no_signaling: 'No signaling method is installed.',
  plugins_file_invalid: "The data folder's plugins.json is not JSON, or not of its shape.",
  plugin_not_installed: "A package the data folder's plugins.json names is not installed in the data folder.",
  plugin_load_failed: 'A plugin package could not be loaded, or does not default-export a plugin.',
  unknown_external_plugin: "The settings enable a package the data folder's plugins.json does not name.",
  transport_not_supported: 'A signaling method was asked to drive a transport it cannot.',
  // links and attempts
  link_invalid: 'A link or code was refused; `reason` says why.',
  rejected: 'The user or a policy said no; `reason` is set when nobody answered in time.',
  refused_by_peer: 'The other side said no.',
  cancelled: 'The attempt was cancelled.',
  invite_expired: 'Nobody answered an invite in time.',
  invite_lost: 'An invite ended when the service restarted: a reply to it cannot connect.',
  too_many_invites: 'Too many invites wait for an answer.',
  unknown_attempt: 'No attempt of that id is pending.',
  not_awaiting_approval: 'The attempt is not waiting for approval.',
  no_such_question: 'The attempt is not waiting for that answer.',
  attempt_busy: 'The attempt already waits for an answer.',
  cannot_reach: 'No installed signaling method can reach that peer by its id (or it is this peer).',
  already_connected: 'There is an open connection to that peer already.',
  unknown_peer: 'No known peer has that id.',
  attempt_ended: 'The attempt ended before this could happen.',
  attempt_open: 'The attempt opened its connection: close the connection instead.',
  // connections
  transport_failed: 'A transport failed; `stage` says where.',
  unknown_connection: 'No open connection has that id.',
  connection_closed: 'The connection closed before this could happen.',
  request_timeout: 'A request on a connection got no answer in time.',
  remote_error: "The remote's request handler failed.",
  protocol_error: 'A message broke the protocol.',
});
export type ErrorCode = keyof typeof ERROR_CODES;
