# Opens a client and a server peer of any two classes (engine WebSocketPeer or
# RustWebSocketPeer) over loopback TCP, inside one process.
extends RefCounted

const OPEN := 1
const CLOSED := 3

var client
var server
var tcp := TCPServer.new()
var port := 0
var url := ""


## `setup_client`/`setup_server` get the peer before connecting (set properties there).
func start(test, client_cls, server_cls, path := "/chat?room=1", setup_client := Callable(), setup_server := Callable()) -> bool:
	test.own(tcp)
	if not test.check_eq(tcp.listen(0, "127.0.0.1"), OK, "listen"):
		return false
	port = tcp.get_local_port()
	client = test.own(client_cls.new())
	server = test.own(server_cls.new())
	if setup_client.is_valid():
		setup_client.call(client)
	if setup_server.is_valid():
		setup_server.call(server)
	url = "ws://127.0.0.1:%d%s" % [port, path]
	if not test.check_eq(client.connect_to_url(url), OK, "connect_to_url"):
		return false
	if not await test.poll_until([client], func(): return tcp.is_connection_available(), 5.0):
		test.check(false, "TCP connection reached the server")
		return false
	test.check_eq(server.accept_stream(tcp.take_connection()), OK, "accept_stream")
	return await test.poll_until([client, server], func():
		return client.get_ready_state() != 0 and server.get_ready_state() != 0, 5.0)


func both_open() -> bool:
	return client.get_ready_state() == OPEN and server.get_ready_state() == OPEN


func both_closed() -> bool:
	return client.get_ready_state() == CLOSED and server.get_ready_state() == CLOSED


## Every packet available on `peer`, as [bytes, was_string] pairs.
static func drain(peer) -> Array:
	var out := []
	while peer.get_available_packet_count() > 0:
		var bytes: PackedByteArray = peer.get_packet()
		out.append([bytes, peer.was_string_packet(), peer.get_packet_error()])
	return out
