# A TCP relay that counts the bytes each way, for bench/json_stream_bench.gd's bytes-on-the-
# wire rows: a client connects to listen()'s port, the relay connects to 127.0.0.1:target
# and copies bytes both ways, unchanged, as pump() is called (same thread, no blocking
# writes: what the other side cannot take yet waits in a buffer, and the relay stops
# reading that direction until it drains). One connection per relay.
extends RefCounted

## Bytes read from one side before the other side took the previous ones.
const MAX_PENDING := 256 * 1024
const HEAD_BYTES := 4096

var listener := TCPServer.new()
var target_port := 0
var downstream: StreamPeerTCP  # the client's connection, accepted here
var upstream: StreamPeerTCP  # ours to the server
var client_to_server := 0
var server_to_client := 0
## The first bytes the server sent: its handshake response, for checking what was agreed.
var _head_down := PackedByteArray()
var _pending_up := PackedByteArray()
var _pending_down := PackedByteArray()


func _init(target: int) -> void:
	target_port = target


## Listens on a free loopback port; returns it, or 0.
func listen() -> int:
	if listener.listen(0, "127.0.0.1") != OK:
		return 0
	return listener.get_local_port()


## Moves what is readable and writable now; a broken connection ends the other one too.
func pump() -> void:
	if downstream == null:
		if not listener.is_connection_available():
			return
		downstream = listener.take_connection()
		upstream = StreamPeerTCP.new()
		upstream.connect_to_host("127.0.0.1", target_port)
	downstream.poll()
	upstream.poll()
	var down := downstream.get_status()
	var up := upstream.get_status()
	if up == StreamPeerTCP.STATUS_CONNECTING:
		return
	if down != StreamPeerTCP.STATUS_CONNECTED or up != StreamPeerTCP.STATUS_CONNECTED:
		downstream.disconnect_from_host()
		upstream.disconnect_from_host()
		return
	_pending_up = _move(downstream, upstream, _pending_up, true)
	_pending_down = _move(upstream, downstream, _pending_down, false)


## The server's HTTP response head (up to the blank line), as text.
func response_head() -> String:
	var text := _head_down.get_string_from_ascii()
	var end := text.find("\r\n\r\n")
	return text if end < 0 else text.substr(0, end)


func close() -> void:
	if downstream != null:
		downstream.disconnect_from_host()
		upstream.disconnect_from_host()
	listener.stop()


func _move(from: StreamPeerTCP, to: StreamPeerTCP, pending: PackedByteArray, up: bool) -> PackedByteArray:
	var available := from.get_available_bytes()
	if available > 0 and pending.size() < MAX_PENDING:
		var got: Array = from.get_partial_data(mini(available, MAX_PENDING))
		var data: PackedByteArray = got[1]
		pending.append_array(data)
		if up:
			client_to_server += data.size()
		else:
			server_to_client += data.size()
			if _head_down.size() < HEAD_BYTES:
				_head_down.append_array(data.slice(0, HEAD_BYTES - _head_down.size()))
	if not pending.is_empty():
		var put: Array = to.put_partial_data(pending)
		if put[0] == OK and put[1] > 0:
			pending = pending.slice(put[1])
	return pending
