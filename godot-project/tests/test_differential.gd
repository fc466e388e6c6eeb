# Each scenario is written once and run with every pairing of the engine's
# WebSocketPeer and RustWebSocketPeer as client and server. The observations of
# every pairing must equal those of engine ↔ engine, except where we
# deliberately differ (see test_fixed_engine_bugs.gd and the README).
extends "res://tests/test_case.gd"

const Pair := preload("res://tests/pair.gd")

const PAIRINGS := [
	["engine", "engine"],
	["rust", "rust"],
	["rust", "engine"],
	["engine", "rust"],
]


func _cls(name: String):
	return RustWebSocketPeer if name == "rust" else WebSocketPeer


## Runs `scenario` (a Callable taking client_cls, server_cls, returning a
## Dictionary of observations) for every pairing and compares with engine ↔ engine.
func _differential(scenario: Callable) -> void:
	var baseline = null
	for pairing in PAIRINGS:
		var observed: Dictionary = await scenario.call(_cls(pairing[0]), _cls(pairing[1]))
		var label := "%s client ↔ %s server" % pairing
		if baseline == null:
			baseline = observed
			if OS.get_environment("TEST_VERBOSE") != "":
				print("  baseline: ", observed)
			continue
		for key in baseline:
			check_eq(observed.get(key), baseline[key], "%s: %s" % [label, key])
	await cleanup()


func test_open_exchange_and_close_from_client() -> void:
	await _differential(func(client_cls, server_cls):
		var p := Pair.new()
		var obs := {}
		obs["opened"] = await p.start(self, client_cls, server_cls)
		obs["states"] = [p.client.get_ready_state(), p.server.get_ready_state()]
		obs["client_url"] = p.client.get_requested_url() == p.url
		obs["server_url"] = p.server.get_requested_url() == "ws://127.0.0.1:%d/chat?room=1" % p.port
		obs["client_host"] = p.client.get_connected_host()
		obs["client_port"] = p.client.get_connected_port() == p.port
		obs["server_host"] = p.server.get_connected_host()
		obs["server_port_is_ephemeral"] = p.server.get_connected_port() > 0 and p.server.get_connected_port() != p.port
		obs["send_text"] = p.client.send_text("héllo")
		obs["send_binary"] = p.client.send(PackedByteArray([1, 2, 3]))
		obs["put_packet"] = p.client.put_packet(PackedByteArray([9]))
		obs["put_var"] = p.client.put_var({"a": [1, 2.5, "x"]})
		obs["send_empty"] = p.client.send(PackedByteArray(), RustWebSocketPeer.WRITE_MODE_TEXT)
		obs["server_sends"] = p.server.send_text("from server")
		await poll_until([p.client, p.server], func(): return p.server.get_available_packet_count() >= 5, 5.0)
		obs["server_count"] = p.server.get_available_packet_count()
		var got := []
		for i in 4:
			got.append([p.server.get_packet(), p.server.was_string_packet()])
		obs["server_got"] = got
		obs["server_var"] = p.server.get_var()
		obs["server_empty_error"] = [p.server.get_packet(), p.server.get_packet_error()]
		obs["server_was_string_after"] = p.server.was_string_packet()
		await poll_until([p.client, p.server], func(): return p.client.get_available_packet_count() >= 1, 5.0)
		obs["client_got"] = Pair.drain(p.client)
		p.client.close(4001, "bye now")
		await poll_until([p.client, p.server], p.both_closed, 5.0)
		obs["closed"] = [p.client.get_ready_state(), p.server.get_ready_state()]
		obs["client_close"] = [p.client.get_close_code(), p.client.get_close_reason()]
		obs["server_close"] = [p.server.get_close_code(), p.server.get_close_reason()]
		obs["send_after_close"] = p.client.send_text("late")
		return obs)


## Polls both ends of `p` for 12 frames with no traffic: ours then stops reading and
## waits for the readiness watcher.
func _idle(p) -> void:
	await poll_frames([p.client, p.server], 12)


# Both ends polled idle for a while (ours then stops reading idle sockets and waits
# for the readiness watcher), then traffic each way, and a peer end that goes away.
func test_idle_peers_still_see_messages_and_the_end() -> void:
	await _differential(func(client_cls, server_cls):
		var p := Pair.new()
		var obs := {}
		obs["opened"] = await p.start(self, client_cls, server_cls)
		for round in 3:
			await _idle(p)
			p.client.send_text("to server %d" % round)
			await poll_until([p.client, p.server], func(): return p.server.get_available_packet_count() > 0, 5.0)
			obs["server_got_%d" % round] = Pair.drain(p.server)
			await _idle(p)
			p.server.send(PackedByteArray([round, 2, 3]))
			await poll_until([p.client, p.server], func(): return p.client.get_available_packet_count() > 0, 5.0)
			obs["client_got_%d" % round] = Pair.drain(p.client)
		await _idle(p)
		p.client.close(-1)
		await poll_until([p.server], func(): return p.server.get_ready_state() == Pair.CLOSED, 5.0)
		obs["server_after_client_abort"] = [p.server.get_ready_state(), p.server.get_close_code()]
		return obs)


func test_close_from_server_with_each_allowed_code() -> void:
	await _differential(func(client_cls, server_cls):
		var obs := {}
		for code in [1000, 1001, 1003, 1011, 3000, 4999]:
			var p := Pair.new()
			await p.start(self, client_cls, server_cls)
			p.server.close(code, "reason %d" % code)
			obs["closing_%d" % code] = p.server.get_ready_state()
			await poll_until([p.client, p.server], p.both_closed, 5.0)
			obs["client_%d" % code] = [p.client.get_close_code(), p.client.get_close_reason()]
			obs["server_%d" % code] = [p.server.get_close_code(), p.server.get_close_reason()]
		return obs)


func test_subprotocol_negotiation() -> void:
	await _differential(func(client_cls, server_cls):
		var obs := {}
		var cases := {
			"client_order_wins": [["b", "a"], ["a", "b"]],
			"single": [["chat"], ["chat"]],
			"none_both": [[], []],
		}
		for name in cases:
			var offer: Array = cases[name][0]
			var accept: Array = cases[name][1]
			var p := Pair.new()
			obs[name + "_open"] = await p.start(self, client_cls, server_cls, "/",
				func(c): c.supported_protocols = offer,
				func(s): s.supported_protocols = accept)
			await poll_until([p.client, p.server], p.both_open, 2.0)
			obs[name] = [p.client.get_ready_state(), p.client.get_selected_protocol(), p.server.get_selected_protocol()]
		return obs)


func test_mismatched_subprotocol_fails_the_client() -> void:
	await _differential(func(client_cls, server_cls):
		var p := Pair.new()
		await p.start(self, client_cls, server_cls, "/",
			func(c): c.supported_protocols = ["x"],
			func(s): s.supported_protocols = ["y"])
		await poll_until([p.client, p.server], func(): return p.client.get_ready_state() == Pair.CLOSED, 5.0)
		return {"client": [p.client.get_ready_state(), p.client.get_close_code()]})


func test_outbound_limits_refuse_without_closing() -> void:
	await _differential(func(client_cls, server_cls):
		var p := Pair.new()
		await p.start(self, client_cls, server_cls)
		var obs := {}
		obs["too_big"] = p.client.send(_bytes(65536))
		obs["fits"] = p.client.send(_bytes(65535))
		obs["still_open"] = p.client.get_ready_state()
		p.client.max_queued_packets = 1
		p.client.outbound_buffer_size = 0
		# The server does not poll: the client's queue fills once the socket buffers do.
		var results := {}
		for i in 400:
			var err: int = p.client.send(_bytes(60000))
			results[err] = true
			if err != OK:
				break
		obs["queue_full"] = results.has(ERR_OUT_OF_MEMORY)
		obs["open_after_refusals"] = p.client.get_ready_state()
		return obs)


func test_message_over_inbound_limit_closes_with_1009() -> void:
	await _differential(func(client_cls, server_cls):
		var p := Pair.new()
		await p.start(self, client_cls, server_cls, "/", Callable(), func(s): s.inbound_buffer_size = 1000)
		var obs := {}
		obs["exact_fits"] = p.client.send(_bytes(1000))
		await poll_until([p.client, p.server], func(): return p.server.get_available_packet_count() == 1, 5.0)
		obs["exact_size"] = p.server.get_packet().size()
		obs["over"] = p.client.send(_bytes(1001))
		await poll_until([p.client, p.server], p.both_closed, 5.0)
		obs["server"] = [p.server.get_ready_state(), p.server.get_close_code(), p.server.get_close_reason()]
		obs["client"] = [p.client.get_ready_state(), p.client.get_close_code()]
		return obs)


func test_heartbeat_keeps_a_polled_peer_and_drops_a_silent_one() -> void:
	await _differential(func(client_cls, server_cls):
		var obs := {}
		var p := Pair.new()
		await p.start(self, client_cls, server_cls, "/", Callable(), func(s): s.heartbeat_interval = 0.1)
		await poll_for([p.client, p.server], 0.6)
		obs["answered_stays_open"] = [p.client.get_ready_state(), p.server.get_ready_state()]
		var started := Time.get_ticks_msec()
		await poll_until([p.server], func(): return p.server.get_ready_state() == Pair.CLOSED, 3.0)
		obs["silent_peer_dropped"] = [p.server.get_ready_state(), p.server.get_close_code()]
		obs["dropped_within_3_intervals"] = Time.get_ticks_msec() - started <= 300 + 100
		return obs)


func test_close_while_connecting() -> void:
	await _differential(func(client_cls, server_cls):
		var tcp: TCPServer = own(TCPServer.new())
		tcp.listen(0, "127.0.0.1")
		var c = own(client_cls.new())
		c.connect_to_url("ws://127.0.0.1:%d" % tcp.get_local_port())
		var connecting: int = c.get_ready_state()
		c.close()
		return {"before": connecting, "after": [c.get_ready_state(), c.get_close_code()]})


func test_connect_to_url_validation() -> void:
	await _differential(func(client_cls, _server_cls):
		var obs := {}
		for url in ["", "http://example.com", "ftp://h", "ws://", "ws://:8080", "ws://a:b:c", "ws://h:0", "ws://h:65536", "ws://[::1"]:
			var c = client_cls.new()
			obs[url] = [c.connect_to_url(url), c.get_ready_state(), c.get_requested_url()]
		var c = own(client_cls.new())
		obs["server_options"] = c.connect_to_url("wss://localhost", TLSOptions.server(Crypto.new().generate_rsa(1024), X509Certificate.new()))
		var tcp: TCPServer = own(TCPServer.new())
		tcp.listen(0, "127.0.0.1")
		var busy = own(client_cls.new())
		var u := "ws://user:pw@127.0.0.1:%d/p#frag" % tcp.get_local_port()
		obs["first"] = busy.connect_to_url(u)
		obs["again"] = busy.connect_to_url(u)
		obs["requested_url"] = busy.get_requested_url() == u
		obs["refused"] = [busy.get_ready_state()]
		return obs)


func test_refused_and_unresolvable_connections_close() -> void:
	await _differential(func(client_cls, _server_cls):
		var obs := {}
		var tcp := TCPServer.new()
		tcp.listen(0, "127.0.0.1")
		var dead_port := tcp.get_local_port()
		tcp.stop()
		for url in ["ws://127.0.0.1:%d" % dead_port, "ws://no-such-host.invalid:80"]:
			var c = own(client_cls.new())
			var err: int = c.connect_to_url(url)
			await poll_until([c], func(): return c.get_ready_state() == Pair.CLOSED, 10.0)
			obs[url.get_slice(":", 1)] = [err, c.get_ready_state(), c.get_close_code()]
		return obs)


func test_accept_stream_validation() -> void:
	await _differential(func(_client_cls, server_cls):
		var s = own(server_cls.new())
		return {
			"null": s.accept_stream(null),
			"buffer": s.accept_stream(StreamPeerBuffer.new()),
			"state": s.get_ready_state(),
		})


func test_handshake_headers_reach_the_server() -> void:
	# The engine exposes no request headers, so a raw TCP server reads them.
	await _differential(func(client_cls, _server_cls):
		var tcp: TCPServer = own(TCPServer.new())
		tcp.listen(0, "127.0.0.1")
		var c = own(client_cls.new())
		c.handshake_headers = ["X-Token: abc", "Cookie: a=b"]
		c.supported_protocols = ["p1", "p2"]
		c.connect_to_url("ws://127.0.0.1:%d/x?y=1" % tcp.get_local_port())
		await poll_until([c], func(): return tcp.is_connection_available(), 5.0)
		var raw: StreamPeerTCP = own(tcp.take_connection())
		var got := {"text": ""}  # lambdas capture locals by value: accumulate in a dictionary
		await poll_until([c], func():
			raw.poll()
			if raw.get_available_bytes() > 0:
				got["text"] += raw.get_data(raw.get_available_bytes())[1].get_string_from_utf8()
			return got["text"].ends_with("\r\n\r\n"), 5.0)
		var kept := []
		for line in got["text"].split("\r\n", false):
			if not line.begins_with("Sec-WebSocket-Key:"):
				kept.append(line.replace(":%d" % tcp.get_local_port(), ":PORT"))
		return {"request": kept})


func _bytes(n: int) -> PackedByteArray:
	var b := PackedByteArray()
	b.resize(n)
	return b
