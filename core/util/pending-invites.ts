/**
 * The invites a broker signaling method has open. Each waits for the first offer that presents
 * its token and is then closed: an invite is single use. A token is compared in constant time
 * (anyone who can reach the broker may try tokens), and an invite ends with a `TransportError`
 * at 'signaling' when its attempt is aborted (the user closed it, it timed out) or the method
 * shuts down.
 */
import type { AttemptContext } from '../contracts/signaling';
import type { Pipe } from '../contracts/transport';
import { TransportError } from '../errors';

interface OpenInvite<Offer> {
  token: string;
  take(offer: Offer): void;
  fail(error: TransportError): void;
}

export class PendingInvites<Offer> {
  readonly #open = new Set<OpenInvite<Offer>>();

  /** How many are open. */
  get size(): number {
    return this.#open.size;
  }

  /** Open an invite for `token` until `ctx` aborts: the first offer presenting it goes to
   * `answer`, whose pipe this resolves with. */
  wait(ctx: AttemptContext, token: string, answer: (offer: Offer) => Promise<Pipe>): Promise<Pipe> {
    return new Promise<Pipe>((resolve, reject) => {
      const close = () => {
        this.#open.delete(invite);
        ctx.abort.removeEventListener('abort', onAbort);
      };
      const invite: OpenInvite<Offer> = {
        token,
        take: (offer) => {
          close();
          try {
            answer(offer).then(resolve, reject);
          } catch (error) {
            reject(error);
          }
        },
        fail: (error) => {
          close();
          reject(error);
        },
      };
      const onAbort = () => invite.fail(abortError(ctx.abort.reason));
      if (ctx.abort.aborted) return onAbort();
      this.#open.add(invite);
      ctx.abort.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Hand `offer` to the open invite `token` names, closing it. False when none does. */
  take(token: string, offer: Offer): boolean {
    for (const invite of this.#open) {
      if (!sameToken(invite.token, token)) continue;
      invite.take(offer);
      return true;
    }
    return false;
  }

  /** End every open invite with `error` (the method is shutting down). */
  failAll(error: TransportError): void {
    for (const invite of [...this.#open]) invite.fail(error);
  }
}

function abortError(reason: unknown): TransportError {
  if (reason instanceof TransportError) return reason;
  return new TransportError('signaling', `The invite was closed${reason instanceof Error ? `: ${reason.message}` : ''}.`, { cause: reason });
}

/** Equal strings, compared without stopping at the first difference (lengths are not secret:
 * tokens have one length). */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
