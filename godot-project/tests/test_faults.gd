# What the application sees when a connection is cut under it: its own abort,
# a stream it disconnected itself.
extends "res://tests/test_case.gd"

const Pair := preload("res://tests/pair.gd")
const ErrorLog := preload("res://tests/error_log.gd")


# close(-1) is the app's own abort: CLOSED at once, whatever is unread, and
# the unread messages stay readable (as after any other end).
func test_abort_with_unread_messages_reads_closed_and_keeps_them() -> void:
	for side in ["client", "server"]:
		var p := Pair.new()
		await p.start(self, RustWebSocketPeer, RustWebSocketPeer)
		var sender = p.server if side == "client" else p.client
		var receiver = p.client if side == "client" else p.server
		for i in 3:
			sender.send_text("message %d" % i)
		await poll_until([p.client, p.server], func(): return receiver.get_available_packet_count() == 3, 5.0)
		receiver.close(-1)
		check_eq(receiver.get_ready_state(), Pair.CLOSED, "%s: CLOSED at once after close(-1)" % side)
		check_eq(receiver.get_close_code(), -1, "%s: no close code" % side)
		check_eq(receiver.get_available_packet_count(), 3, "%s: the messages are still there" % side)
		var got := []
		while receiver.get_available_packet_count() > 0:
			got.append(receiver.get_packet().get_string_from_utf8())
			check_eq(receiver.get_ready_state(), Pair.CLOSED, "%s: still CLOSED while reading" % side)
		check_eq(got, ["message 0", "message 1", "message 2"], "%s: read in order" % side)
		receiver.poll()
		check_eq(receiver.get_ready_state(), Pair.CLOSED, "%s: CLOSED after poll" % side)
		await poll_until([sender], func(): return sender.get_ready_state() == Pair.CLOSED, 5.0)
		check_eq(sender.get_close_code(), -1, "%s: the other end saw the connection drop" % side)


# The app disconnects the StreamPeerTCP it handed to accept_stream: the server
# peer reads CLOSED with -1, and the engine prints no error about the closed socket.
func test_stream_disconnected_by_the_app_closes_without_engine_errors() -> void:
	var tcp: TCPServer = own(TCPServer.new())
	check_eq(tcp.listen(0, "127.0.0.1"), OK, "listen")
	var client: RustWebSocketPeer = own(RustWebSocketPeer.new())
	var server: RustWebSocketPeer = own(RustWebSocketPeer.new())
	client.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
	await poll_until([client], func(): return tcp.is_connection_available(), 5.0)
	var stream := tcp.take_connection()
	server.accept_stream(stream)
	var open := func(): return client.get_ready_state() == Pair.OPEN and server.get_ready_state() == Pair.OPEN
	check(await poll_until([client, server], open, 5.0), "open")
	await poll_frames([client, server], 10)  # idle polls: ours then waits for the readiness watcher
	var errors := ErrorLog.new()
	errors.install()
	stream.disconnect_from_host()
	var closed := await poll_until([server], func(): return server.get_ready_state() == Pair.CLOSED, 5.0)
	await poll_frames([server], 5)  # a few more polls of the closed peer
	errors.uninstall()
	check(closed, "the server peer reads CLOSED")
	check_eq(server.get_close_code(), -1, "no close handshake: -1")
	check_eq(errors.lines(), PackedStringArray(), "no engine error lines")
	await poll_until([client], func(): return client.get_ready_state() == Pair.CLOSED, 5.0)
	check_eq(client.get_close_code(), -1, "the client saw the connection drop")
