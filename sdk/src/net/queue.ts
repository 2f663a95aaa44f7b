/**
 * The outgoing backlog while the server is unreachable or a conference has no ucID yet.
 *
 * Bounded, so a long outage costs a fixed amount of memory. When it is full, stats go first:
 * a missing 15 s stats sample leaves a gap in a chart, while a missing event (a setup failure,
 * a termination) makes the conference's story wrong. Items marked `keep` (user joined) are never
 * dropped, since without them nothing else of the conference can be delivered.
 */

export interface QueueItem {
  kind: 'stats' | 'event';
  keep?: boolean;
}

export class BoundedQueue<T extends QueueItem> {
  readonly items: T[] = [];
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.items.length;
  }

  /** Appends `item`, returning whatever had to be dropped to make room (possibly `item` itself). */
  push(item: T): T[] {
    const dropped: T[] = [];
    while (this.items.length >= this.capacity) {
      const victim = this.victimIndex();
      // A sample never displaces an event: with no older stats to drop, the new one goes.
      if (victim < 0 || (item.kind === 'stats' && this.items[victim]!.kind !== 'stats')) {
        dropped.push(item);
        return dropped;
      }
      dropped.push(this.items.splice(victim, 1)[0]!);
    }
    this.items.push(item);
    return dropped;
  }

  remove(item: T): boolean {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
    return i >= 0;
  }

  /** Removes every item matching `pred`, returning them. */
  removeWhere(pred: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (pred(this.items[i]!)) out.unshift(this.items.splice(i, 1)[0]!);
    }
    return out;
  }

  private victimIndex(): number {
    const stats = this.items.findIndex((i) => i.kind === 'stats');
    if (stats >= 0) return stats;
    return this.items.findIndex((i) => !i.keep);
  }
}
