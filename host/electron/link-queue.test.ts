import { describe, expect, it } from 'vitest';
import { LinkQueue, type LinkDelivery } from './link-queue';

/** A sink the test answers by hand, one link at a time. */
function manualSink() {
  const received: string[] = [];
  const answers: Array<(outcome: LinkDelivery) => void> = [];
  let arrived: (() => void) | undefined;
  return {
    received,
    sink: (link: string) =>
      new Promise<LinkDelivery>((resolve) => {
        received.push(link);
        answers.push(resolve);
        arrived?.();
      }),
    answer(outcome: LinkDelivery) {
      answers.shift()!(outcome);
    },
    /** Resolves once `count` links reached the sink. */
    until(count: number) {
      return new Promise<void>((resolve) => {
        const check = () => (received.length >= count ? resolve() : undefined);
        arrived = check;
        check();
      });
    },
  };
}

describe('LinkQueue', () => {
  it('holds links until the service is ready, then delivers them in order, one at a time', async () => {
    const queue = new LinkQueue();
    queue.push('whtnxt://a');
    queue.push('whtnxt://b');
    expect(queue.size).toBe(2);
    const sink = manualSink();
    queue.open(sink.sink);
    await sink.until(1);
    expect(sink.received).toEqual(['whtnxt://a']); // b waits for a's answer
    sink.answer('delivered');
    await sink.until(2);
    sink.answer('delivered');
    await queue.idle();
    expect(sink.received).toEqual(['whtnxt://a', 'whtnxt://b']);
    expect(queue.size).toBe(0);
  });

  it('delivers at once while open, and holds again after pause', async () => {
    const queue = new LinkQueue();
    const got: string[] = [];
    queue.open(async (link) => (got.push(link), 'delivered'));
    queue.push('whtnxt://1');
    await queue.idle();
    queue.pause();
    queue.push('whtnxt://2');
    await queue.idle();
    expect(got).toEqual(['whtnxt://1']);
    queue.open(async (link) => (got.push(link), 'delivered'));
    await queue.idle();
    expect(got).toEqual(['whtnxt://1', 'whtnxt://2']);
  });

  it('keeps a link the service never received at the head until the next open', async () => {
    const queue = new LinkQueue();
    queue.push('whtnxt://first');
    queue.push('whtnxt://second');
    const dead = manualSink();
    queue.open(dead.sink);
    await dead.until(1);
    dead.answer('unavailable');
    await queue.idle();
    expect(queue.size).toBe(2); // nothing lost, nothing retried on the dead service
    expect(dead.received).toEqual(['whtnxt://first']);

    const got: string[] = [];
    queue.open(async (link) => (got.push(link), 'delivered'));
    await queue.idle();
    expect(got).toEqual(['whtnxt://first', 'whtnxt://second']);
  });

  it('treats a throwing sink as unavailable', async () => {
    const queue = new LinkQueue();
    queue.push('whtnxt://x');
    queue.open(async () => {
      throw new Error('port closed');
    });
    await queue.idle();
    expect(queue.size).toBe(1);
  });

  it('is bounded: when full it drops the oldest link and says so', async () => {
    const dropped: string[] = [];
    const queue = new LinkQueue({ capacity: 3, onDrop: (link) => dropped.push(link) });
    for (const n of [1, 2, 3, 4, 5]) queue.push(`whtnxt://${n}`);
    expect(dropped).toEqual(['whtnxt://1', 'whtnxt://2']);
    const got: string[] = [];
    queue.open(async (link) => (got.push(link), 'delivered'));
    await queue.idle();
    expect(got).toEqual(['whtnxt://3', 'whtnxt://4', 'whtnxt://5']);
  });
});
