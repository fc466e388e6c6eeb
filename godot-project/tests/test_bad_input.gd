# Malformed requests, responses and frames from raw TCP peers: the right HTTP
# error or close code, no crash, no stall, nothing buffered without bound.
extends "res://tests/test_case.gd"

const Raw := preload("res://tests/raw.gd")
const FakeServer := preload("res://tests/fake_server.gd")

const CLOSED := 3

const VALID_REQUEST := "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"


## A RustWebSocketPeer server peer and the raw client connected to it.
func _server_with_raw_client() -> Array:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var raw: StreamPeerTCP = own(StreamPeerTCP.new())
	raw.connect_to_host("127.0.0.1", tcp.get_local_port())
	await poll_until([raw], func(): return tcp.is_connection_available(), 5.0)
	var server = own(RustWebSocketPeer.new())
	server.accept_stream(tcp.take_connection())
	await poll_until([raw], func(): return raw.get_status() == StreamPeerTCP.STATUS_CONNECTED, 5.0)
	return [server, raw]


## Sends `request` to a fresh server; returns [server state, HTTP answer].
func _request(request: PackedByteArray) -> Array:
	var r: Array = await _server_with_raw_client()
	var server = r[0]
	var raw: StreamPeerTCP = r[1]
	raw.put_data(request)
	var answer: String = await Raw.read_until(self, raw, [server], func(s): return s.contains("\r\n\r\n") and server.get_ready_state() == CLOSED, 5.0)
	return [server.get_ready_state(), answer]


func test_two_token_request_line_gets_400_not_a_crash() -> void:
	# §13.1: this request line aborts any engine WebSocket server.
	var r: Array = await _request("GET /\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".to_utf8_buffer())
	check_eq(r[0], CLOSED, "server peer CLOSED")
	check(r[1].begins_with("HTTP/1.1 400 Bad Request\r\n"), "HTTP 400, got %s" % r[1].c_escape())


func test_bad_requests_get_http_errors() -> void:
	var cases := {
		"version 12": [VALID_REQUEST.replace("Version: 13", "Version: 12"), "HTTP/1.1 426 Upgrade Required\r\n"],
		"POST": [VALID_REQUEST.replace("GET", "POST"), "HTTP/1.1 400"],
		"HTTP/1.0": [VALID_REQUEST.replace("HTTP/1.1", "HTTP/1.0"), "HTTP/1.1 400"],
		"no key": [VALID_REQUEST.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), "HTTP/1.1 400"],
		"short key": [VALID_REQUEST.replace("dGhlIHNhbXBsZSBub25jZQ==", "eA=="), "HTTP/1.1 400"],
		"no upgrade": [VALID_REQUEST.replace("Upgrade: websocket\r\n", ""), "HTTP/1.1 400"],
		"no host": [VALID_REQUEST.replace("Host: h\r\n", ""), "HTTP/1.1 400"],
		"binary garbage": [String.chr(1) + String.chr(0xff) + "\r\n\r\n", "HTTP/1.1 400"],
		"oversized headers": [VALID_REQUEST.replace("Host: h\r\n", "Host: h\r\nX-Big: %s\r\n" % "a".repeat(9000)), "HTTP/1.1 400"],
	}
	for name in cases:
		var r: Array = await _request(cases[name][0].to_utf8_buffer())
		check_eq(r[0], CLOSED, "%s: CLOSED" % name)
		check(r[1].begins_with(cases[name][1]), "%s: answered %s, got %s" % [name, cases[name][1].c_escape(), r[1].left(40).c_escape()])
	var r: Array = await _request(VALID_REQUEST.replace("Version: 13", "Version: 12").to_utf8_buffer())
	check(r[1].contains("Sec-WebSocket-Version: 13\r\n"), "426 names the supported version")


func test_silent_client_is_dropped_after_the_handshake_deadline() -> void:
	# §13.7: the engine keeps such a peer CONNECTING forever (slow-loris).
	var r: Array = await _server_with_raw_client()
	var server = r[0]
	r[1].put_data("GET / HTTP/1.1\r\n".to_utf8_buffer())
	var started := Time.get_ticks_msec()
	check(await poll_until([server], func(): return server.get_ready_state() == CLOSED, 15.0), "dropped")
	var seconds := (Time.get_ticks_msec() - started) / 1000.0
	check(seconds > 8.0 and seconds < 12.0, "after the 10 s handshake deadline (took %.1f s)" % seconds)


func test_unmasked_client_frame_closes_with_1002() -> void:
	var r: Array = await _server_with_raw_client()
	var server = r[0]
	var raw: StreamPeerTCP = r[1]
	raw.put_data(VALID_REQUEST.to_utf8_buffer())
	await poll_until([server], func(): return server.get_ready_state() == 1, 5.0)
	raw.put_data(Raw.frame(true, 0x1, Raw.text("not masked")))
	await poll_until([server], func(): return server.get_ready_state() == CLOSED, 5.0)
	check_eq(server.get_close_code(), 1002, "protocol error")


## A RustWebSocketPeer client talking to a fake server that sends `frames` after a valid handshake.
func _client_receiving(frames: PackedByteArray) -> Variant:
	var opened: Array = await FakeServer.open_client(self)
	var client = opened[0]
	opened[1].send(frames)
	await poll_until([client], func(): return client.get_ready_state() == CLOSED, 5.0)
	return client


func test_bad_frames_close_with_the_right_code() -> void:
	var big_ping := PackedByteArray()
	big_ping.resize(126)
	var cases := {
		"masked server frame": [Raw.frame(true, 0x2, Raw.text("x"), true), 1002],
		"invalid UTF-8": [Raw.frame(true, 0x1, PackedByteArray([0x61, 0xff])), 1007],
		"truncated UTF-8 across fragments": [Raw.frame(false, 0x1, PackedByteArray([0xe2, 0x82])) + Raw.frame(true, 0x0, PackedByteArray()), 1007],
		"reserved opcode": [Raw.frame(true, 0x3, PackedByteArray()), 1002],
		"RSV1 without extension": [PackedByteArray([0xc1, 0x00]), 1002],
		"ping over 125 bytes": [Raw.frame(true, 0x9, big_ping), 1002],
		"fragmented ping": [Raw.frame(false, 0x9, PackedByteArray()), 1002],
		"continuation without start": [Raw.frame(true, 0x0, Raw.text("x")), 1002],
		"close with 1-byte payload": [Raw.frame(true, 0x8, PackedByteArray([3])), 1002],
		"close with reserved code 1005": [Raw.frame(true, 0x8, Raw.close_payload(1005)), 1002],
		"close with invalid UTF-8 reason": [Raw.frame(true, 0x8, Raw.close_payload(1000) + PackedByteArray([0xff])), 1007],
		"2^62-byte frame": [PackedByteArray([0x82, 127, 0x40, 0, 0, 0, 0, 0, 0, 0]), 1009],
	}
	for name in cases:
		var client = await _client_receiving(cases[name][0])
		check_eq(client.get_ready_state(), CLOSED, "%s: CLOSED" % name)
		check_eq(client.get_close_code(), cases[name][1], "%s: close code" % name)


func test_bad_handshake_responses_close_the_client() -> void:
	var responses := {
		"403": "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
		"bad accept": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
		"no upgrade": "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n\r\n",
		"not HTTP": "SSH-2.0-OpenSSH_9.6\r\n\r\n",
		"endless header": "HTTP/1.1 101 OK\r\nX: %s" % "a".repeat(20000),
	}
	for name in responses:
		var server := FakeServer.new()
		server.start(self)
		var client = own(RustWebSocketPeer.new())
		client.connect_to_url(server.url())
		await server.handshake(self, client, "", responses[name])
		await poll_until([client], func(): return client.get_ready_state() == CLOSED, 5.0)
		check_eq([client.get_ready_state(), client.get_close_code()], [CLOSED, -1], "%s: CLOSED with -1" % name)


func test_flood_of_small_messages_is_bounded_by_the_queue() -> void:
	# The app never reads: the peer stops reading (TCP pushes back) instead of buffering.
	var server := FakeServer.new()
	server.start(self)
	var client = own(RustWebSocketPeer.new())
	client.max_queued_packets = 100
	client.connect_to_url(server.url())
	await server.handshake(self, client)
	await poll_until([client], func(): return client.get_ready_state() == 1, 5.0)
	var burst := PackedByteArray()
	for i in 2000:
		burst.append_array(Raw.frame(true, 0x2, PackedByteArray([i & 0xff])))
	server.send(burst)
	await poll_for([client], 0.3)
	check_eq(client.get_available_packet_count(), 100, "no more than max_queued_packets queued")
	var read := {"n": 0, "in_order": true}  # lambdas capture locals by value
	await poll_until([client], func():
		while client.get_available_packet_count() > 0:
			read["in_order"] = read["in_order"] and client.get_packet()[0] == read["n"] & 0xff
			read["n"] += 1
		return read["n"] == 2000, 5.0)
	check_eq(read["n"], 2000, "every message arrived once the app read")
	check(read["in_order"], "in order")
