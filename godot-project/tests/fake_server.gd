# A server that answers a client's handshake by hand, then lets the test send
# crafted frames to it.
extends RefCounted

const Raw := preload("res://tests/raw.gd")

var tcp := TCPServer.new()
var stream: StreamPeerTCP
var port := 0


func start(test) -> void:
	test.own(tcp)
	tcp.listen(0, "127.0.0.1")
	port = tcp.get_local_port()


func url(path := "/") -> String:
	return "ws://127.0.0.1:%d%s" % [port, path]


## Accepts the client and answers its request: a valid 101 with `extra` header
## lines, or `response` verbatim when given.
func handshake(test, client, extra := "", response := "") -> bool:
	if not await test.poll_until([client], func(): return tcp.is_connection_available(), 5.0):
		return test.check(false, "client reached the fake server")
	stream = test.own(tcp.take_connection())
	var request: String = await Raw.read_until(test, stream, [client], Raw.has_header_end)
	if response == "":
		response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n" % [
			Raw.accept_key(Raw.request_key(request)), extra]
	stream.put_data(response.to_utf8_buffer())
	return true


func send(bytes: PackedByteArray) -> void:
	stream.put_data(bytes)


## Bytes the client sent after the handshake (its frames), read for `seconds`.
func read_for(test, client, seconds: float) -> PackedByteArray:
	var got := {"bytes": PackedByteArray()}
	await test.poll_until([client], func():
		stream.poll()
		var n := stream.get_available_bytes()
		if n > 0:
			got["bytes"].append_array(stream.get_data(n)[1])
		return false, seconds)
	return got["bytes"]


## A RustWebSocketPeer client (set up by `setup`) opened against a new fake
## server that answers with `extra` header lines. Returns [client, server].
static func open_client(test, extra := "", setup := Callable()) -> Array:
	var server = load("res://tests/fake_server.gd").new()
	server.start(test)
	var client = test.own(RustWebSocketPeer.new())
	if setup.is_valid():
		setup.call(client)
	client.connect_to_url(server.url())
	await server.handshake(test, client, extra)
	await test.poll_until([client], func(): return client.get_ready_state() != 0, 5.0)
	return [client, server]
