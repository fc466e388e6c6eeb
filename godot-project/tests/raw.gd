# Hand-made WebSocket bytes over a plain StreamPeerTCP: plays a misbehaving
# server or client, one crafted byte at a time if need be.
extends RefCounted

const GUID := "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


static func accept_key(key: String) -> String:
	var ctx := HashingContext.new()
	ctx.start(HashingContext.HASH_SHA1)
	ctx.update((key + GUID).to_utf8_buffer())
	return Marshalls.raw_to_base64(ctx.finish())


## One frame. `mask` true masks with a fixed key (what a client must do).
static func frame(fin: bool, opcode: int, payload: PackedByteArray, mask := false) -> PackedByteArray:
	var out := PackedByteArray()
	out.append((0x80 if fin else 0) | opcode)
	var mask_bit := 0x80 if mask else 0
	var n := payload.size()
	if n < 126:
		out.append(mask_bit | n)
	elif n < 65536:
		out.append(mask_bit | 126)
		out.append(n >> 8)
		out.append(n & 0xff)
	else:
		out.append(mask_bit | 127)
		for i in range(7, -1, -1):
			out.append((n >> (8 * i)) & 0xff)
	if mask:
		var key := PackedByteArray([0x12, 0x34, 0x56, 0x78])
		out.append_array(key)
		var masked := payload.duplicate()
		for i in masked.size():
			masked[i] ^= key[i % 4]
		out.append_array(masked)
	else:
		out.append_array(payload)
	return out


static func text(s: String) -> PackedByteArray:
	return s.to_utf8_buffer()


static func close_payload(code: int, reason := "") -> PackedByteArray:
	var p := PackedByteArray([code >> 8, code & 0xff])
	p.append_array(reason.to_utf8_buffer())
	return p


## Reads what `stream` has until `done(text)` holds; returns the text read.
static func read_until(test, stream: StreamPeerTCP, peers: Array, done: Callable, timeout_s := 5.0) -> String:
	var got := {"bytes": PackedByteArray()}
	await test.poll_until(peers, func():
		stream.poll()
		var n := stream.get_available_bytes()
		if n > 0:
			got["bytes"].append_array(stream.get_data(n)[1])
		return done.call(got["bytes"].get_string_from_utf8()), timeout_s)
	return got["bytes"].get_string_from_utf8()


static func has_header_end(s: String) -> bool:
	return s.contains("\r\n\r\n")


## The Sec-WebSocket-Key of a request.
static func request_key(request: String) -> String:
	for line in request.split("\r\n"):
		if line.to_lower().begins_with("sec-websocket-key:"):
			return line.substr(line.find(":") + 1).strip_edges()
	return ""
