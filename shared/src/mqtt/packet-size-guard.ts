/** The parts of an aedes client this guard touches: its mqtt-packet parser. */
interface ParserLike {
  packet: { length: number; cmd?: string };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

export interface PacketSizeLimits {
  /** The largest packet (remaining length) a logged-in client may send. */
  readonly packetBytesMax: number;
  /** The largest packet before CONNECT is accepted: a CONNECT carries little. */
  readonly connectPacketBytesMax: number;
}

/**
 * Checks each packet's declared size the moment its length field is parsed, before its body
 * is read: a socket that declares a 256 MiB packet is closed after a few bytes instead of
 * having its body buffered whole. aedes parses with mqtt-packet, which has no limit of its
 * own; this wraps the parser's length step of one client. `onRefused` is told for metrics.
 */
export function limitPacketSize(
  client: { _parser: unknown; connected: boolean },
  limits: PacketSizeLimits,
  onRefused: (declaredBytes: number, loggedIn: boolean) => void,
): void {
  const parser = client._parser as ParserLike;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const done = parseLength();
    if (!done) return done;
    const max = client.connected ? limits.packetBytesMax : limits.connectPacketBytesMax;
    if (parser.packet.length <= max) return done;
    onRefused(parser.packet.length, client.connected);
    parser._emitError(
      new Error(`packet of ${parser.packet.length} bytes is over ${client.connected ? 'packetBytesMax' : 'connectPacketBytesMax'} ${max}`),
    );
    return false;
  };
}
