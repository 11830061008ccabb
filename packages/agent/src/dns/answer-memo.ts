// Encoded answers of the cluster domain, remembered by the bytes of the query
// that asked (everything after its two-byte id: flags, question, EDNS0). An
// answer from the zone is a pure function of those bytes and of the records,
// so while the records' generation stands, a repeated query is answered by
// copying the remembered bytes and writing the new id over the first two —
// no decode, no encode. This is the hot path that brings the server to
// dnsmasq's rate (bench:dns); everything else goes through dns-packet.
// Forwarded answers are never remembered here (their TTLs count down).

export const DEFAULT_MEMO_ENTRIES = 20_000;

export class AnswerMemo {
  private readonly entries = new Map<string, Buffer>();
  private generation = -1;

  constructor(
    /** The generation of the records the answers came from: a change forgets them all. */
    private readonly currentGeneration: () => number,
    private readonly maxEntries = DEFAULT_MEMO_ENTRIES,
  ) {}

  /** The remembered answer to `query` with its id, or undefined. */
  answer(query: Buffer): Buffer | undefined {
    if (query.length < 12 || this.generation !== this.currentGeneration()) return undefined;
    const stored = this.entries.get(query.toString('latin1', 2));
    if (stored === undefined) return undefined;
    const out = Buffer.allocUnsafe(stored.length);
    stored.copy(out);
    // The id is the header's first two bytes (RFC 1035 §4.1.1).
    out[0] = query[0] as number;
    out[1] = query[1] as number;
    return out;
  }

  /** Remembers `response` (encoded, already truncated as the query's transport needs) for `query`, from records of `generation`. */
  remember(query: Buffer, response: Buffer, generation: number): void {
    if (generation !== this.currentGeneration()) return;
    if (this.generation !== generation) {
      this.entries.clear();
      this.generation = generation;
    }
    // Bounded by forgetting everything: what is asked again is remembered again at once.
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(query.toString('latin1', 2), Buffer.from(response));
  }

  get size(): number {
    return this.entries.size;
  }
}
