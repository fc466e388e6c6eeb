# permessage-deflate (compression_enabled): negotiation as the handshake headers
# show it, round trips between two peers, and hostile compressed input: a
# decompression bomb, corrupt data, RSV1 where it is not allowed. With the
# property off, nothing is offered or accepted and RSV1 stays an error.
extends "res://tests/test_case.gd"

const Raw := preload("res://tests/raw.gd")
const Pair := preload("res://tests/pair.gd")

const OPEN := 1
const CLOSED := 3
const REQUEST := "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
const OFFER := "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
## RFC 7692 7.2.3.1: "Hello" compressed, tail removed.
const HELLO_DEFLATED := [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]


## A frame with RSV1 set on its first byte (a compressed message), masked when `mask`.
static func rsv1_frame(opcode: int, payload: PackedByteArray, mask: bool, fin := true) -> PackedByteArray:
	var f := Raw.frame(fin, opcode, payload, mask)
	f[0] |= 0x40
	return f


## A server peer (compression as given) and a raw client that sent `request`;
## returns [server, raw, the HTTP answer].
func _server_answering(compression: bool, request: String, inbound := 65535) -> Array:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var raw: StreamPeerTCP = own(StreamPeerTCP.new())
	raw.connect_to_host("127.0.0.1", tcp.get_local_port())
	await poll_until([raw], func(): return tcp.is_connection_available(), 5.0)
	var server = own(RustWebSocketPeer.new())
	server.compression_enabled = compression
	server.inbound_buffer_size = inbound
	server.accept_stream(tcp.take_connection())
	await poll_until([raw], func(): return raw.get_status() == StreamPeerTCP.STATUS_CONNECTED, 5.0)
	raw.put_data(request.to_utf8_buffer())
	var answer: String = await Raw.read_until(self, raw, [server], Raw.has_header_end, 5.0)
	await poll_until([server], func(): return server.get_ready_state() != 0, 5.0)
	return [server, raw, answer]


func test_a_server_accepts_an_offer_and_says_so_in_its_response() -> void:
	var r: Array = await _server_answering(true, REQUEST % OFFER)
	var server = r[0]
	check(r[2].contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"), "extension accepted: %s" % r[2].c_escape())
	check_eq(server.get_negotiated_extensions(), "permessage-deflate", "the server sees what it agreed")
	r[1].put_data(rsv1_frame(0x1, PackedByteArray(HELLO_DEFLATED), true))
	await poll_until([server], func(): return server.get_available_packet_count() > 0, 5.0)
	check_eq(server.get_packet().get_string_from_utf8(), "Hello", "compressed message inflated")
	check(server.was_string_packet(), "as text")
	check_eq(server.get_ready_state(), OPEN, "still open")


func test_a_server_declines_offers_it_cannot_accept() -> void:
	var bad := "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7, permessage-deflate; x=1\r\n"
	var r: Array = await _server_answering(true, REQUEST % bad)
	check_eq(r[0].get_ready_state(), OPEN, "handshake still succeeds")
	check(not r[2].contains("Sec-WebSocket-Extensions"), "no extension: %s" % r[2].c_escape())
	check_eq(r[0].get_negotiated_extensions(), "", "nothing agreed")


func test_with_compression_off_nothing_is_accepted_and_rsv1_is_an_error() -> void:
	var r: Array = await _server_answering(false, REQUEST % OFFER)
	var server = r[0]
	check(not r[2].contains("Sec-WebSocket-Extensions"), "not accepted: %s" % r[2].c_escape())
	r[1].put_data(rsv1_frame(0x1, PackedByteArray(HELLO_DEFLATED), true))
	await poll_until([server], func(): return server.get_ready_state() == CLOSED, 5.0)
	check_eq(server.get_close_code(), 1002, "RSV1 without the extension")
	# A client with it off offers nothing.
	var request := await _client_request(false)
	check(request.begins_with("GET ") and not request.contains("Sec-WebSocket-Extensions"), "no offer: %s" % request.c_escape())


## The handshake request a RustWebSocketPeer client sends, compression as given.
func _client_request(compression: bool) -> String:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var client = own(RustWebSocketPeer.new())
	client.compression_enabled = compression
	client.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
	await poll_until([client], func(): return tcp.is_connection_available(), 5.0)
	var stream: StreamPeerTCP = own(tcp.take_connection())
	return await Raw.read_until(self, stream, [client], Raw.has_header_end, 5.0)


## A RustWebSocketPeer client with compression on, answered by hand with
## `extensions` (a header value, or "" for none). Returns [client, stream].
func _client_answered(extensions: String) -> Array:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var client = own(RustWebSocketPeer.new())
	client.compression_enabled = true
	client.connect_to_url("ws://127.0.0.1:%d/" % tcp.get_local_port())
	await poll_until([client], func(): return tcp.is_connection_available(), 5.0)
	var stream: StreamPeerTCP = own(tcp.take_connection())
	var request: String = await Raw.read_until(self, stream, [client], Raw.has_header_end, 5.0)
	check(request.contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"), "client offers: %s" % request.c_escape())
	var extra := "" if extensions == "" else "Sec-WebSocket-Extensions: %s\r\n" % extensions
	stream.put_data(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n" % [
		Raw.accept_key(Raw.request_key(request)), extra]).to_utf8_buffer())
	await poll_until([client], func(): return client.get_ready_state() != 0, 5.0)
	return [client, stream]


func test_a_client_offers_and_inflates_when_the_server_accepts() -> void:
	var r: Array = await _client_answered("permessage-deflate")
	var client = r[0]
	check_eq(client.get_ready_state(), OPEN, "open")
	r[1].put_data(rsv1_frame(0x1, PackedByteArray(HELLO_DEFLATED), false))
	await poll_until([client], func(): return client.get_available_packet_count() > 0, 5.0)
	check_eq(client.get_packet().get_string_from_utf8(), "Hello", "compressed message inflated")
	check_eq(client.get_negotiated_extensions(), "permessage-deflate", "the client sees it agreed")
	# Declined: the client talks plain WebSocket, and can tell.
	r = await _client_answered("")
	check_eq(r[0].get_ready_state(), OPEN, "open without the extension")
	check_eq(r[0].get_negotiated_extensions(), "", "declined: nothing agreed")


func test_the_engine_server_declines_and_the_client_can_tell() -> void:
	var pair := Pair.new()
	if not await pair.start(self, RustWebSocketPeer, WebSocketPeer, "/", func(c): c.compression_enabled = true):
		return
	var client = pair.client
	var server = pair.server
	check(pair.both_open(), "open with the engine's server, which has no permessage-deflate")
	check_eq(client.get_negotiated_extensions(), "", "declined")
	client.send_text("plain")
	await poll_until([client, server], func(): return server.get_available_packet_count() > 0, 5.0)
	check_eq(server.get_packet().get_string_from_utf8(), "plain", "sent uncompressed")


func test_a_client_fails_the_handshake_on_an_invalid_answer() -> void:
	var answers := {
		"permessage-deflate; server_max_window_bits=7": "server_max_window_bits=7",
		"permessage-deflate; server_max_window_bits=16": "server_max_window_bits=16",
		"permessage-deflate; server_no_context_takeover; server_no_context_takeover": "server_no_context_takeover appears twice",
		"permessage-deflate; mystery": "unknown parameter mystery",
		"x-webkit-deflate-frame": "x-webkit-deflate-frame",
	}
	for answer in answers:
		var r: Array = await _client_answered(answer)
		var client = r[0]
		await poll_until([client], func(): return client.get_ready_state() == CLOSED, 5.0)
		check_eq(client.get_ready_state(), CLOSED, "%s: CLOSED" % answer)
		check(client.get_failure_reason().contains(answers[answer]), "%s: reason names it: %s" % [answer, client.get_failure_reason()])


func test_compressed_messages_round_trip_between_two_peers() -> void:
	var setup := func(p):
		p.compression_enabled = true
		p.inbound_buffer_size = 2 << 20
		p.outbound_buffer_size = 4 << 20
	var pair := Pair.new()
	if not await pair.start(self, RustWebSocketPeer, RustWebSocketPeer, "/", setup, setup):
		return
	await poll_until([pair.client, pair.server], pair.both_open, 5.0)
	var json := ""
	for i in 200:
		json += '{"id":%d,"pos":[%d.5,%d.25],"hp":%d},' % [i, i * 7 % 1000, i * 13 % 1000, i % 100]
	var big := PackedByteArray()
	big.resize(1 << 20)
	for i in big.size():
		big[i] = (i * 7919) % 251
	var messages := [["", true], [json, true], [PackedByteArray(), false], [PackedByteArray([1, 2, 3]), false], [big, false]]
	for m in messages:
		for dir in [[pair.client, pair.server], [pair.server, pair.client]]:
			var bytes: PackedByteArray = m[0].to_utf8_buffer() if m[1] else m[0]
			dir[0].send(bytes, RustWebSocketPeer.WRITE_MODE_TEXT if m[1] else RustWebSocketPeer.WRITE_MODE_BINARY)
			await poll_until([pair.client, pair.server], func(): return dir[1].get_available_packet_count() > 0, 10.0)
			var got: PackedByteArray = dir[1].get_packet()
			check(got == bytes, "%d bytes arrive intact" % bytes.size())
			check_eq(dir[1].was_string_packet(), m[1], "%d bytes keep their type" % bytes.size())


## This process's peak resident memory (VmHWM) or current (VmRSS), in bytes.
static func _status_bytes(field: String) -> int:
	var status := FileAccess.open("/proc/self/status", FileAccess.READ)
	while status != null and not status.eof_reached():
		var line := status.get_line()
		if line.begins_with(field + ":"):
			return int(line.split(":")[1].strip_edges().split(" ")[0]) * 1024
	return -1


func test_a_decompression_bomb_closes_with_1009_within_inbound_buffer_size() -> void:
	# 1 MiB of zeros deflates to ~1 KiB; 1024 copies of that stream are one
	# frame of ~1 MiB that inflates to 1 GiB.
	var zeros := PackedByteArray()
	zeros.resize(1 << 20)
	var zlib := zeros.compress(FileAccess.COMPRESSION_DEFLATE)
	var block := zlib.slice(2, zlib.size() - 4)  # raw DEFLATE: no zlib header or checksum
	var body := PackedByteArray()
	for i in 1024:
		body.append_array(block)
	var bomb := rsv1_frame(0x2, body, true)
	body = PackedByteArray()
	var inbound := 1 << 20
	var r: Array = await _server_answering(true, REQUEST % OFFER, inbound)
	var server = r[0]
	var raw: StreamPeerTCP = r[1]
	# Peak RSS from here on (Linux: writing 5 to clear_refs resets VmHWM).
	var clear := FileAccess.open("/proc/self/clear_refs", FileAccess.WRITE)
	if not check(clear != null, "can reset the peak RSS"):
		return
	clear.store_string("5")
	clear.close()
	var before := _status_bytes("VmRSS")
	var sent := {"n": 0}
	await poll_until([server], func():
		if sent["n"] < bomb.size() and raw.get_status() == StreamPeerTCP.STATUS_CONNECTED:
			var res: Array = raw.put_partial_data(bomb.slice(sent["n"], mini(sent["n"] + 65536, bomb.size())))
			if res[0] == OK:
				sent["n"] += res[1]
		return server.get_ready_state() == CLOSED, 20.0)
	check_eq(server.get_ready_state(), CLOSED, "bomb: CLOSED")
	check_eq(server.get_close_code(), 1009, "bomb: message too big")
	var rise := _status_bytes("VmHWM") - before
	print("  bomb: %d of %d bytes sent, peak RSS +%d KiB for inbound_buffer_size %d KiB" % [sent["n"], bomb.size(), rise / 1024, inbound / 1024])
	check(rise <= inbound * 2, "peak RSS rose %d bytes, inbound_buffer_size %d" % [rise, inbound])


func test_corrupt_data_and_misplaced_rsv1_close_with_the_right_code() -> void:
	var cases := {
		"corrupt deflate data": [rsv1_frame(0x2, PackedByteArray([0xff, 0xff, 0xff]), true), 1007],
		"RSV1 on a ping": [rsv1_frame(0x9, PackedByteArray(), true), 1002],
		"RSV1 on a continuation": [Raw.frame(false, 0x1, Raw.text("a"), true) + rsv1_frame(0x0, Raw.text("b"), true), 1002],
		"compressed text inflating to invalid UTF-8": [rsv1_frame(0x1, PackedByteArray([0x00, 0x01, 0x00, 0xfe, 0xff, 0xff]), true), 1007],
	}
	for name in cases:
		var r: Array = await _server_answering(true, REQUEST % OFFER)
		var server = r[0]
		r[1].put_data(cases[name][0])
		await poll_until([server], func(): return server.get_ready_state() == CLOSED, 5.0)
		check_eq(server.get_close_code(), cases[name][1], "%s: close code" % name)
