// DNS over TCP puts a two-byte length before every message (RFC 1035 §4.2.2).
// dns-packet encodes and decodes one framed message (streamEncode); splitting
// a byte stream into messages is this small reader's job.
export class TcpFrames {
  private buffered: Buffer = Buffer.alloc(0);
  /** Set if more is buffered than one message can be: the stream is not DNS. */
  overflowed = false;

  /** Appends `chunk` and returns every complete message (without its length prefix). */
  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + length) break;
      messages.push(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
    }
    if (this.buffered.length > 2 + 65535) this.overflowed = true;
    return messages;
  }
}
