// The control plane's host:port flags (--listen, --http-listen), checked before anything starts.

/** "a:1, b:2" → ["a:1", "b:2"], each checked to be host:port. */
export function listenAddresses(list: string): string[] {
  const addresses = list.split(',').map((part) => part.trim()).filter((part) => part.length > 0);
  if (addresses.length === 0) throw new Error(`"${list}" names no host:port to listen on`);
  for (const address of addresses) splitHostPort(address);
  return addresses;
}

export function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${address}" is not host:port (for example 127.0.0.1:7401)`);
  }
  return [address.slice(0, colon), port];
}
