# Where the engine's WebSocketPeer has a bug (engine-behaviour.md §13), we
# follow RFC 6455 instead. Each test asserts our documented behaviour and names
# the engine bug; the README lists the same differences.
extends "res://tests/test_case.gd"

const Pair := preload("res://tests/pair.gd")
const Raw := preload("res://tests/raw.gd")
const FakeServer := preload("res://tests/fake_server.gd")


# §13.4, godotengine/godot#107442: messages that arrive with the Close are lost.
func test_messages_before_the_peers_close_stay_readable() -> void:
	for server_cls in [WebSocketPeer, RustWebSocketPeer]:
		var p := Pair.new()
		await p.start(self, RustWebSocketPeer, server_cls)
		for i in 3:
			p.server.send_text("message %d" % i)
		p.server.close(1000, "done")
		await poll_for([p.server], 0.2)
		p.client.poll()  # one poll receives the three messages and the Close
		check_eq(p.client.get_ready_state(), Pair.OPEN, "OPEN while unread messages remain (%s server)" % server_cls)
		var got := []
		while p.client.get_available_packet_count() > 0:
			got.append(p.client.get_packet().get_string_from_utf8())
		check_eq(got, ["message 0", "message 1", "message 2"], "all three messages read")
		p.client.poll()
		check_eq(p.client.get_ready_state(), Pair.CLOSED, "CLOSED once read")
		check_eq([p.client.get_close_code(), p.client.get_close_reason()], [1000, "done"], "the peer's code and reason")


# §13.5: close() discards queued outbound data; the Close frame jumps the queue.
func test_close_sends_queued_messages_first() -> void:
	var p := Pair.new()
	# The server is ours too: the engine's loses what arrives with the Close (§13.4).
	await p.start(self, RustWebSocketPeer, RustWebSocketPeer, "/", Callable(), func(s): s.inbound_buffer_size = 1 << 20)
	p.client.outbound_buffer_size = 0  # unlimited: queue everything while the server is not reading
	var payload := PackedByteArray()
	payload.resize(500_000)
	for i in 40:
		payload[0] = i
		check_eq(p.client.put_packet(payload), OK, "queue message %d" % i)
	check(p.client.get_current_outbound_buffered_amount() > 0, "data is queued under backpressure")
	p.client.close(1000, "after the data")
	check_eq(p.client.get_ready_state(), 2, "CLOSING at once")
	var firsts := []
	await poll_until([p.client, p.server], func():
		while p.server.get_available_packet_count() > 0:
			firsts.append(p.server.get_packet()[0])
		return p.both_closed(), 20.0)
	check_eq(firsts.size(), 40, "every queued message arrived before the Close")
	check_eq(firsts, range(40), "in order")
	check_eq(p.server.get_close_code(), 1000, "then the Close")


# §13.6: a reason over 123 bytes sends nothing but enters CLOSING forever.
func test_overlong_close_reason_is_refused() -> void:
	var p := Pair.new()
	await p.start(self, RustWebSocketPeer, RustWebSocketPeer)
	p.client.close(1000, "x".repeat(124))
	check_eq(p.client.get_ready_state(), Pair.OPEN, "still OPEN after a refused close")
	p.client.close(1000, "é".repeat(61))  # 122 bytes of UTF-8
	await poll_until([p.client, p.server], p.both_closed, 5.0)
	check_eq(p.server.get_close_reason(), "é".repeat(61), "a 122-byte reason goes through")


# §13.11: IANA codes 1012-1014 are answered with 1002.
func test_close_codes_1012_to_1014_are_accepted() -> void:
	for code in [1012, 1013, 1014]:
		var p := Pair.new()
		await p.start(self, RustWebSocketPeer, RustWebSocketPeer)
		p.server.close(code, "restarting")
		await poll_until([p.client, p.server], p.both_closed, 5.0)
		check_eq([p.client.get_close_code(), p.server.get_close_code()], [code, code], "code %d both sides" % code)


# §13.10: a Close without status reports 0 instead of 1005.
func test_close_without_status_reports_1005() -> void:
	var r: Array = await FakeServer.open_client(self)
	var client = r[0]
	r[1].send(Raw.frame(true, 0x8, PackedByteArray()))
	await poll_until([client], func(): return client.get_ready_state() == Pair.CLOSED, 5.0)
	check_eq(client.get_close_code(), 1005, "1005 (no status received)")


# §13.3: control-frame payloads end up inside fragmented messages.
func test_control_frames_stay_out_of_fragmented_messages() -> void:
	var r: Array = await FakeServer.open_client(self)
	var client = r[0]
	r[1].send(Raw.frame(false, 0x1, Raw.text("Hel")))
	r[1].send(Raw.frame(true, 0x9, Raw.text("XX")))
	r[1].send(Raw.frame(true, 0x0, Raw.text("lo")))
	await poll_until([client], func(): return client.get_available_packet_count() > 0, 5.0)
	check_eq(client.get_packet().get_string_from_utf8(), "Hello", "the ping's payload is not in the message")
	check(client.was_string_packet(), "text")
	var pong: PackedByteArray = await r[1].read_for(self, client, 0.2)
	check(pong.size() >= 8 and pong[0] == 0x8a, "the ping was answered with a pong")


# §13.2: limits are checked per frame, so a fragmented message over the limit stalls or corrupts.
func test_fragmented_message_over_the_limit_closes_with_1009() -> void:
	var r: Array = await FakeServer.open_client(self)
	var client = r[0]
	var half := PackedByteArray()
	half.resize(40000)
	r[1].send(Raw.frame(false, 0x2, half))
	r[1].send(Raw.frame(true, 0x0, half))
	await poll_until([client], func(): return client.get_ready_state() == Pair.CLOSED, 5.0)
	check_eq(client.get_close_code(), 1009, "closed with 1009, no stall")
	check_eq(client.get_close_reason(), "Message too big", "the engine's reason text")


# §13.12: `Connection: Upgrade, keep-alive` is rejected.
func test_connection_header_is_a_token_list() -> void:
	var server := FakeServer.new()
	server.start(self)
	var client = own(RustWebSocketPeer.new())
	client.connect_to_url(server.url())
	await poll_until([client], func(): return server.tcp.is_connection_available(), 5.0)
	server.stream = own(server.tcp.take_connection())
	var request: String = await Raw.read_until(self, server.stream, [client], Raw.has_header_end)
	server.send(("HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % Raw.accept_key(Raw.request_key(request))).to_utf8_buffer())
	await poll_until([client], func(): return client.get_ready_state() != 0, 5.0)
	check_eq(client.get_ready_state(), Pair.OPEN, "OPEN")


# §13.14: a server with no subprotocols configured drops clients that offer some.
func test_server_ignores_offers_when_it_has_no_subprotocols() -> void:
	for client_cls in [WebSocketPeer, RustWebSocketPeer]:
		var p := Pair.new()
		await p.start(self, client_cls, RustWebSocketPeer, "/", func(c): c.supported_protocols = ["json"])
		await poll_until([p.client, p.server], func(): return p.server.get_ready_state() != 0, 2.0)
		# An engine client requires its offered protocol to be selected and
		# closes; ours does too. The server accepted (RFC 6455 §4.2.2).
		check_eq(p.server.get_selected_protocol(), "", "no protocol selected")
		check(p.server.get_ready_state() != 0, "the server answered instead of dropping the client")
