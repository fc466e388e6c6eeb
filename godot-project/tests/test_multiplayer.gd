# RustWebSocketMultiplayerPeer under the high-level multiplayer API (SceneMultiplayer,
# RPCs), wire-compatible with the engine's WebSocketMultiplayerPeer: each session runs
# with every mix of engine and Rust classes for the server and two clients, and must
# observe what engine-only sessions observe.
extends "res://tests/test_case.gd"

const Game := preload("res://tests/multiplayer/game.gd")
const TlsServer := preload("res://tests/tls_server.gd")
const ErrorLog := preload("res://tests/error_log.gd")
## Clients of the crowd test (issue: 300 players whose process was killed at once).
const CROWD := 320

## [server, client a, client b]
## Every pairing; the engine-only one first, as the baseline.
const MIXES := [
	["engine", "engine", "engine"],
	["rust", "rust", "rust"],
	["rust", "engine", "rust"],
	["rust", "rust", "engine"],
	["rust", "engine", "engine"],
	["engine", "rust", "engine"],
	["engine", "engine", "rust"],
	["engine", "rust", "rust"],
]

var _games: Array = []


func _cls(name: String):
	return RustWebSocketMultiplayerPeer if name == "rust" else WebSocketMultiplayerPeer


func _game(side: String, cls):
	var game = Game.new(tree, side, cls)
	_games.append(game)
	return game


func _free_games() -> void:
	for game in _games:
		game.free_all(tree)
	_games.clear()
	await frame()


## Frames until `condition` holds (SceneTree polls every SceneMultiplayer each frame).
func _until(condition: Callable, timeout_s := 5.0) -> bool:
	var deadline := Time.get_ticks_msec() + int(timeout_s * 1000)
	while not condition.call():
		if Time.get_ticks_msec() > deadline:
			return false
		await frame()
	return true


## A server on a free port (the multiplayer peers don't report theirs).
func _listen(server, tls_options = null) -> int:
	for attempt in 20:
		var port := 20000 + randi() % 40000
		if server.peer.create_server(port, "127.0.0.1", tls_options) == OK:
			return port
	return 0


## Events with IDs replaced by role names, so sessions with random IDs compare.
func _named(events: Array, roles: Dictionary) -> Array:
	var out := []
	for event in events:
		var named: Array = event.duplicate()
		if named.size() > 1:
			named[1] = roles.get(named[1], "unknown id")
		out.append(named)
	return out


func _named_calls(calls: Array, roles: Dictionary) -> Array:
	return calls.map(func(c): return [roles.get(c[0], "unknown id"), c[1]])


func _has(game, event: Array) -> bool:
	return game.events.has(event)


## Server and two clients: IDs, signals on every side, RPCs both ways, relay between
## clients, many reliable RPCs in order, a graceful disconnect_peer and the server's close().
func _session(mix: Array, scheme := "ws", tls_server = null, tls_client = null) -> Dictionary:
	var obs := {}
	var server = _game("server", _cls(mix[0]))
	var a = _game("a", _cls(mix[1]))
	var b = _game("b", _cls(mix[2]))
	var port := _listen(server, tls_server)
	obs["listening"] = port > 0
	server.attach()
	var url := "%s://%s:%d" % [scheme, "localhost" if scheme == "wss" else "127.0.0.1", port]
	obs["create_client"] = [a.peer.create_client(url, tls_client), b.peer.create_client(url, tls_client)]
	a.attach()
	b.attach()
	obs["connected"] = await _until(func():
		return a.id() > 1 and b.id() > 1 and _has(a, ["peer_connected", b.id()]) \
			and _has(b, ["peer_connected", a.id()]) and _has(a, ["connected_to_server"]) \
			and _has(b, ["connected_to_server"]) and server.events.size() >= 2)
	var roles := {1: "server", a.id(): "a", b.id(): "b"}
	obs["ids"] = [server.id(), a.id() >= 2, b.id() >= 2, a.id() != b.id()]
	obs["status"] = [server.peer.get_connection_status(), a.peer.get_connection_status()]
	obs["is_server"] = [server.api.is_server(), a.api.is_server()]
	obs["relay"] = [server.peer.is_server_relay_supported(), a.peer.is_server_relay_supported()]
	obs["server_events"] = _named(server.events, roles)
	obs["server_events"].sort()
	obs["a_events"] = _named(a.events, roles)
	obs["b_events"] = _named(b.events, roles)
	obs["peer_address"] = server.peer.get_peer_address(a.id())
	obs["peer_port_is_clients"] = server.peer.get_peer_port(a.id()) > 0 and server.peer.get_peer_port(a.id()) != port
	obs["get_peer"] = [server.peer.get_peer(a.id()) != null, a.peer.get_peer(1) != null]

	# RPCs: to everyone (relayed by the server), to the server, from the server.
	a.game.rpc("say", "from a")
	b.game.rpc_id(1, "say", "b to server")
	server.game.rpc("say", "from server")
	for n in 50:
		server.game.rpc_id(b.id(), "count", n)
		a.game.rpc_id(b.id(), "count", 100 + n)
	obs["rpcs_arrived"] = await _until(func(): return b.game.calls.size() >= 102 and server.game.calls.size() >= 3)
	obs["server_calls"] = _named_calls(server.game.calls, roles)
	obs["server_calls"].sort()
	obs["a_calls"] = _named_calls(a.game.calls, roles)
	obs["a_calls"].sort()
	var b_calls := _named_calls(b.game.calls, roles)
	obs["b_from_server_in_order"] = b_calls.filter(func(c): return c[0] == "server" and c[1] is int)
	obs["b_from_a_in_order"] = b_calls.filter(func(c): return c[0] == "a" and c[1] is int)
	obs["b_says"] = b_calls.filter(func(c): return c[1] is String)
	obs["b_says"].sort()

	# The server lets client a go: everyone hears of it.
	server.peer.disconnect_peer(a.id())
	obs["a_gone"] = await _until(func():
		return _has(server, ["peer_disconnected", roles.find_key("a")]) and _has(b, ["peer_disconnected", roles.find_key("a")]) \
			and _has(a, ["server_disconnected"]))
	obs["a_after"] = [a.peer.get_connection_status(), a.id()]
	# The server shuts down: b hears of it.
	server.peer.close()
	obs["server_gone"] = await _until(func(): return _has(b, ["server_disconnected"]))
	obs["b_events_end"] = _named(b.events, roles).slice(-1)
	obs["server_status_after_close"] = server.peer.get_connection_status()
	await _free_games()
	return obs


func _differential(session: Callable) -> void:
	var baseline = null
	for mix in MIXES:
		var observed: Dictionary = await session.call(mix)
		var label := "server %s, clients %s and %s" % mix
		if baseline == null:
			baseline = observed
			if OS.get_environment("TEST_VERBOSE") != "":
				print("  baseline: ", observed)
			for key in ["listening", "connected", "rpcs_arrived", "a_gone", "server_gone"]:
				check_eq(observed.get(key), true, "%s (engine only): %s" % [label, key])
			continue
		for key in baseline:
			check_eq(observed.get(key), baseline[key], "%s: %s" % [label, key])


func test_session_matches_the_engine_in_every_mix_of_classes() -> void:
	await _differential(func(mix): return await _session(mix))


func test_wss_session_with_tls_options_on_both_sides() -> void:
	var creds: Array = TlsServer.credentials()
	var server_tls := TLSOptions.server(creds[0], creds[1])
	var client_tls := TLSOptions.client(creds[1])
	await _differential(func(mix): return await _session(mix, "wss", server_tls, client_tls))


## Clients that connect in the same frame are announced in the order they connected.
func _connect_order(cls) -> Array:
	var server = _game("server", cls)
	var port := _listen(server)
	server.attach()
	var clients := []
	for i in 4:
		var client = _game("c%d" % i, cls)
		client.peer.create_client("ws://127.0.0.1:%d" % port)
		client.attach()
		clients.append(client)
	await _until(func(): return server.events.size() >= 4 and clients.all(func(c): return c.id() > 1))
	var order := []
	for event in server.events:
		order.append(clients.map(func(c): return c.id()).find(event[1]))
	await _free_games()
	return order


func test_server_announces_clients_in_connect_order() -> void:
	var engine := await _connect_order(WebSocketMultiplayerPeer)
	check_eq(engine, [0, 1, 2, 3], "engine server: peer_connected in connect order (reference)")
	check_eq(await _connect_order(RustWebSocketMultiplayerPeer), engine, "our server: peer_connected in connect order")


## What a client does with a first message that is not a valid ID, for both classes.
func _client_against_raw_server(client_cls, first_message: PackedByteArray) -> Array:
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var client = _game("client", client_cls)
	client.peer.create_client("ws://127.0.0.1:%d" % tcp.get_local_port())
	client.attach()
	var server: RustWebSocketPeer = own(RustWebSocketPeer.new())
	await _until(func(): return tcp.is_connection_available())
	server.accept_stream(tcp.take_connection())
	await _until(func():
		server.poll()
		return server.get_ready_state() == RustWebSocketPeer.STATE_OPEN)
	server.put_packet(first_message)
	await _until(func():
		server.poll()
		return not client.events.is_empty(), 3.0)
	var seen: Array = client.events.duplicate()
	await _free_games()
	return seen


func test_client_drops_a_server_whose_first_message_is_not_a_peer_id() -> void:
	var bad := {
		"3 bytes": PackedByteArray([2, 0, 0]),
		"5 bytes": PackedByteArray([2, 0, 0, 0, 0]),
		"ID 1": PackedByteArray([1, 0, 0, 0]),
		"ID -5": PackedByteArray([251, 255, 255, 255]),
	}
	for what in bad:
		for cls_name in ["engine", "rust"]:
			var seen := await _client_against_raw_server(_cls(cls_name), bad[what])
			check_eq(seen, [["connection_failed"]], "%s client, first message %s" % [cls_name, what])
	var good := await _client_against_raw_server(RustWebSocketMultiplayerPeer, PackedByteArray([7, 0, 0, 0]))
	check_eq(good, [["connected_to_server"], ["peer_connected", 1]], "rust client, ID 7")


func test_handshake_timeout_covers_the_client_and_pending_server_peers() -> void:
	# A client against a TCP server that never upgrades.
	var tcp: TCPServer = own(TCPServer.new())
	tcp.listen(0, "127.0.0.1")
	var client = _game("client", RustWebSocketMultiplayerPeer)
	client.peer.handshake_timeout = 0.5
	client.peer.create_client("ws://127.0.0.1:%d" % tcp.get_local_port())
	client.attach()
	var started := Time.get_ticks_msec()
	check(await _until(func(): return not client.events.is_empty(), 3.0), "the client gave up")
	check_eq(client.events, [["connection_failed"]], "client events")
	check(Time.get_ticks_msec() - started >= 450, "not before the timeout")
	# A raw TCP client that never upgrades is dropped by the server; a real client is served.
	var server = _game("server", RustWebSocketMultiplayerPeer)
	server.peer.handshake_timeout = 0.5
	var port := _listen(server)
	server.attach()
	var silent: StreamPeerTCP = own(StreamPeerTCP.new())
	silent.connect_to_host("127.0.0.1", port)
	var real = _game("real", RustWebSocketMultiplayerPeer)
	real.peer.create_client("ws://127.0.0.1:%d" % port)
	real.attach()
	check(await _until(func(): return _has(real, ["connected_to_server"])), "a real client connects")
	var dropped := await _until(func():
		silent.poll()
		return silent.get_status() != StreamPeerTCP.STATUS_CONNECTED, 3.0)
	check(dropped, "the silent connection was dropped after handshake_timeout")
	check_eq(server.events.size(), 1, "the server saw only the real client")
	await _free_games()


## 100 clients (half engine, half ours) connecting at once, as after a server restart:
## our server listens with the system's backlog, so all of them are in within a few
## frames. (The engine's TCPServer queues 8; the rest retry after 1 s, 3 s, and many
## pass their handshake_timeout: 55 of 100 measured.)
func test_a_burst_of_100_connects_all_get_in() -> void:
	var server: MultiplayerPeer = RustWebSocketMultiplayerPeer.new()
	var port := 0
	for attempt in 20:
		port = 20000 + randi() % 40000
		if server.create_server(port, "127.0.0.1") == OK:
			break
	var joined := [0]
	server.peer_connected.connect(func(_id): joined[0] += 1)
	var clients := []
	for i in 100:
		var client: MultiplayerPeer = (WebSocketMultiplayerPeer if i % 2 else RustWebSocketMultiplayerPeer).new()
		client.create_client("ws://127.0.0.1:%d" % port)
		clients.append(client)
	var started := Time.get_ticks_msec()
	var all_in := await _until(func():
		server.poll()
		for client in clients:
			client.poll()
		return joined[0] == 100 and clients.all(func(c): return c.get_unique_id() > 1), 2.0)
	check(all_in, "all 100 connected within 2 s (%d joined in %d ms)" % [joined[0], Time.get_ticks_msec() - started])
	for client in clients:
		client.close()
	server.close()


## A client and a server peer used directly (no SceneMultiplayer), polled by hand.
func _raw_pair(cls) -> Array:
	var server: MultiplayerPeer = cls.new()  # closed by the caller (own() closes with a code)
	var port := 0
	for attempt in 20:
		port = 20000 + randi() % 40000
		if server.create_server(port, "127.0.0.1") == OK:
			break
	var client: MultiplayerPeer = cls.new()
	client.create_client("ws://127.0.0.1:%d" % port)
	await _until(func():
		server.poll()
		client.poll()
		return client.get_connection_status() == MultiplayerPeer.CONNECTION_CONNECTED and client.get_unique_id() > 1)
	return [server, client]


## Packets put in one frame leave together at its end (ours) or at once (the engine's):
## either way every one arrives, in order, without the sender polling again.
func test_packets_of_a_frame_arrive_in_order_without_another_poll() -> void:
	for cls_name in ["engine", "rust"]:
		var pair: Array = await _raw_pair(_cls(cls_name))
		var server: MultiplayerPeer = pair[0]
		var client: MultiplayerPeer = pair[1]
		client.set_target_peer(1)
		var sent := []
		for i in 100:  # 100 KiB: more than outbound_buffer_size holds unwritten
			var packet := PackedByteArray()
			packet.resize(1024)
			packet.fill(i)
			sent.append(packet)
			check_eq(client.put_packet(packet), OK, "%s: put_packet %d" % [cls_name, i])
		var got := []
		await _until(func():
			server.poll()
			while server.get_available_packet_count() > 0:
				got.append(server.get_packet())
			return got.size() >= sent.size(), 3.0)
		check_eq(got.size(), sent.size(), "%s: every packet arrived" % cls_name)
		check(got == sent, "%s: in order, intact" % cls_name)
		server.close()
		client.close()


func test_refuse_new_connections() -> void:
	for server_cls in ["engine", "rust"]:
		for client_cls in ["engine", "rust"]:
			var label := "%s server, %s client" % [server_cls, client_cls]
			var server = _game("server", _cls(server_cls))
			var port := _listen(server)
			server.attach()
			var early = _game("early", _cls(client_cls))
			early.peer.create_client("ws://127.0.0.1:%d" % port)
			early.attach()
			check(await _until(func(): return _has(early, ["connected_to_server"])), "%s: a client joins before" % label)
			server.api.refuse_new_connections = true
			check_eq(server.peer.is_refusing_new_connections(), true, "%s: refusing" % label)
			var client = _game("client", _cls(client_cls))
			client.peer.handshake_timeout = 3.0
			client.peer.create_client("ws://127.0.0.1:%d" % port)
			client.attach()
			var asked := Time.get_ticks_msec()
			check(await _until(func(): return not client.events.is_empty(), 4.0), "%s: the client gave up" % label)
			# Ours closes a refused connection at once; the engine's server leaves the
			# client to its handshake_timeout.
			if server_cls == "rust":
				check(Time.get_ticks_msec() - asked < 1500, "%s: refused at once, not at the client's timeout (%d ms)" % [
					label, Time.get_ticks_msec() - asked])
			check_eq(client.events, [["connection_failed"]], "%s: a refused client fails" % label)
			check_eq(server.events, [["peer_connected", early.id()]], "%s: the server saw only the earlier client" % label)
			# The earlier client is still served.
			early.game.rpc_id(1, "say", "still here")
			check(await _until(func(): return server.game.calls.size() == 1), "%s: the earlier client is still served" % label)
			await _free_games()


func test_forced_disconnect_emits_nothing_on_the_server() -> void:
	for cls_name in ["engine", "rust"]:
		var server = _game("server", _cls(cls_name))
		var port := _listen(server)
		server.attach()
		var client = _game("client", RustWebSocketMultiplayerPeer)
		client.peer.create_client("ws://127.0.0.1:%d" % port)
		client.attach()
		await _until(func(): return _has(client, ["connected_to_server"]))
		var id: int = client.id()
		server.peer.disconnect_peer(id, true)
		check(await _until(func(): return _has(client, ["server_disconnected"])), "%s: the client hears of it" % cls_name)
		await _until(func(): return false, 0.3)
		check_eq(server.events, [["peer_connected", id]], "%s server: no peer_disconnected after a forced one" % cls_name)
		await _free_games()


func test_arguments_and_misuse() -> void:
	var peer := RustWebSocketMultiplayerPeer.new()
	check_eq(peer.create_client("not a url"), ERR_INVALID_PARAMETER, "an invalid URL fails at once")
	check_eq(peer.get_connection_status(), MultiplayerPeer.CONNECTION_DISCONNECTED, "and stays disconnected")
	check_eq(peer.create_server(70000), ERR_INVALID_PARAMETER, "port out of range")
	check_eq(peer.create_server(0, "*", TLSOptions.client()), ERR_INVALID_PARAMETER, "client TLSOptions for a server")
	check_eq(peer.handshake_timeout, 3.0, "default handshake_timeout")
	peer.handshake_timeout = 0.0
	check_eq(peer.handshake_timeout, 3.0, "handshake_timeout must be > 0")
	check_eq(peer.get_unique_id(), 0, "no ID before connecting")
	# Listening: the same results as the engine's class.
	for cls_name in ["engine", "rust"]:
		var first: MultiplayerPeer = _cls(cls_name).new()
		var second: MultiplayerPeer = _cls(cls_name).new()
		var port := 20000 + randi() % 40000
		var results := [first.create_server(port, "127.0.0.1"), second.create_server(port, "127.0.0.1"),
			second.create_server(port + 1, "not an address"), second.get_connection_status()]
		check_eq(results, [OK, ERR_ALREADY_IN_USE, ERR_INVALID_PARAMETER, MultiplayerPeer.CONNECTION_DISCONNECTED],
			"%s: a port in use, a bind_address that is no IP" % cls_name)
		first.close()
	# Every address ("*") takes IPv4 and IPv6 clients alike (IPv6 where the machine
	# has an IPv6 loopback; the IPv4 half is checked everywhere).
	var probe := TCPServer.new()
	var has_ipv6 := probe.listen(0, "::1") == OK
	probe.stop()
	if not has_ipv6:
		print("  (no IPv6 loopback here: the dual-stack check covers IPv4 only)")
	var dual := RustWebSocketMultiplayerPeer.new()
	var dual_port := 20000 + randi() % 40000
	check_eq(dual.create_server(dual_port), OK, "listening on *")
	var joined := [0]
	dual.peer_connected.connect(func(_id): joined[0] += 1)
	var clients := {"127.0.0.1": RustWebSocketMultiplayerPeer.new()}
	if has_ipv6:
		clients["::1"] = RustWebSocketMultiplayerPeer.new()
	for address in clients:
		clients[address].create_client("ws://%s:%d" % ["[::1]" if address == "::1" else address, dual_port])
	check(await _until(func():
		dual.poll()
		for address in clients:
			clients[address].poll()
		return joined[0] == clients.size(), 3.0), "clients over %s joined a server on *" % ", ".join(clients.keys()))
	var seen := clients.keys().map(func(address): return dual.get_peer_address(clients[address].get_unique_id()))
	check_eq(seen, clients.keys(), "peer addresses (an IPv4 client is not shown as ::ffff:127.0.0.1)")
	for address in clients:
		clients[address].close()
	dual.close()


## get_peer() hands out a RustWebSocketPeer over the connection itself: the same object
## on every call, with the settings the connection was made with.
func test_get_peer_is_the_connection_with_its_settings() -> void:
	var server := RustWebSocketMultiplayerPeer.new()
	server.inbound_buffer_size = 12345
	server.supported_protocols = PackedStringArray(["game"])
	var port := 0
	for attempt in 20:
		port = 20000 + randi() % 40000
		if server.create_server(port, "127.0.0.1") == OK:
			break
	var client := RustWebSocketMultiplayerPeer.new()
	client.supported_protocols = PackedStringArray(["game"])
	check_eq(client.create_client("ws://127.0.0.1:%d" % port), OK, "create_client")
	var joined := []
	server.peer_connected.connect(func(id): joined.append(id))
	check(await poll_until([server, client], func(): return joined.size() == 1 and client.get_unique_id() != 0),
		"the client joined")
	if joined.is_empty():
		return
	var peer = server.get_peer(joined[0])
	check(peer is RustWebSocketPeer, "a RustWebSocketPeer")
	check(peer == server.get_peer(joined[0]), "the same object on every call")
	check_eq(peer.inbound_buffer_size, 12345, "the server's inbound_buffer_size")
	check_eq(peer.get_selected_protocol(), "game", "the connection's subprotocol")
	check_eq(peer.get_ready_state(), RustWebSocketPeer.STATE_OPEN, "open")
	check_eq(peer.get_connected_host(), "127.0.0.1", "its remote address")
	check_eq(client.get_peer(1).get_requested_url(), "ws://127.0.0.1:%d" % port, "the client's view of the server")
	server.close()
	client.close()


## Every client of a server reset at once: a crowd in another process, killed while
## SceneMultiplayer (server_relay on) still sends to the ones it has not yet been told
## have left. The server logs no error or warning, and every client leaves its peer list.
func test_a_crowd_killed_at_once_leaves_the_server_quietly() -> void:
	var godot := OS.get_environment("WS_GODOT")
	if not check(godot != "", "WS_GODOT names the Godot launcher (tests/godot-tests sets it)"):
		return
	var server = _game("server", RustWebSocketMultiplayerPeer)
	var port := _listen(server)
	server.attach()
	check(server.api.server_relay, "server_relay is on")
	var args := PackedStringArray(["--headless", "--path", ProjectSettings.globalize_path("res://"),
		"--script", "res://tests/multiplayer/crowd.gd", "--", "--url=ws://127.0.0.1:%d" % port, "--count=%d" % CROWD])
	var pid := OS.create_process(godot, args)
	if not check(pid > 0, "the crowd process started"):
		return
	var joined := await _until(func(): return server.api.get_peers().size() == CROWD, 60.0)
	if not check(joined, "%d clients joined (%d did)" % [CROWD, server.api.get_peers().size()]):
		OS.kill(pid)
		return
	await _until(func(): return false, 0.5)  # the relayed peer notifications settle
	var log := ErrorLog.new()
	log.install()
	OS.kill(pid)
	var left := await _until(func(): return server.api.get_peers().is_empty(), 30.0)
	log.uninstall()
	check(left, "every client left the peer list (%d remain)" % server.api.get_peers().size())
	check_eq(server.peer.get_connection_status(), MultiplayerPeer.CONNECTION_CONNECTED, "the server still listens")
	var errors := log.lines()
	var warnings := log.warnings()
	print("       crowd of %d killed: %d error and %d warning lines" % [CROWD, errors.size(), warnings.size()])
	check_eq(errors.slice(0, 3), PackedStringArray(), "no error line (%d in all)" % errors.size())
	check_eq(warnings.slice(0, 3), PackedStringArray(), "no warning line (%d in all)" % warnings.size())


func cleanup() -> void:
	await _free_games()
	await super.cleanup()


## A raw TCP client that completes the WebSocket upgrade by hand.
func _raw_upgraded_client(port: int) -> StreamPeerTCP:
	var tcp: StreamPeerTCP = own(StreamPeerTCP.new())
	tcp.connect_to_host("127.0.0.1", port)
	await _until(func():
		tcp.poll()
		return tcp.get_status() == StreamPeerTCP.STATUS_CONNECTED)
	tcp.put_data(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		+ "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").to_utf8_buffer())
	return tcp


func test_server_keeps_serving_while_raw_clients_misbehave() -> void:
	var server = _game("server", RustWebSocketMultiplayerPeer)
	server.peer.handshake_timeout = 1.0
	var port := _listen(server)
	server.attach()
	var real = _game("real", RustWebSocketMultiplayerPeer)
	real.peer.create_client("ws://127.0.0.1:%d" % port)
	real.attach()
	check(await _until(func(): return _has(real, ["connected_to_server"])), "a real client connects")
	# 200 connections that never send a byte, one that sends garbage after upgrading,
	# and one that upgrades and never reads while the server broadcasts.
	var silent := []
	for i in 200:
		var tcp: StreamPeerTCP = own(StreamPeerTCP.new())
		tcp.connect_to_host("127.0.0.1", port)
		silent.append(tcp)
	var garbage := await _raw_upgraded_client(port)
	var deaf := await _raw_upgraded_client(port)
	check(await _until(func(): return server.events.size() >= 3), "both raw clients were accepted")
	garbage.put_data(PackedByteArray([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))
	for i in 300:
		server.game.rpc("count", i)
		await frame()
	check(await _until(func(): return real.game.calls.size() >= 300, 10.0), "the real client got every broadcast")
	check_eq(real.game.calls.slice(0, 3), [[1, 0], [1, 1], [1, 2]], "in order")
	var garbage_gone := await _until(func(): return server.events.filter(func(e): return e[0] == "peer_disconnected").size() >= 1, 5.0)
	check(garbage_gone, "the client that sent garbage was disconnected")
	# Silent connections the server took are dropped after handshake_timeout. The
	# engine's TCPServer listens with a backlog of 8, so the rest trickle in as the
	# clients' kernels retry: at least a backlog's worth must be gone by now.
	var closed_count := func():
		for tcp in silent:
			tcp.poll()
		return silent.filter(func(t): return t.get_status() != StreamPeerTCP.STATUS_CONNECTED \
			and t.get_status() != StreamPeerTCP.STATUS_CONNECTING).size()
	check(await _until(func(): return closed_count.call() >= 8, 5.0), "silent connections were dropped after handshake_timeout")
	check(_has(real, ["connected_to_server"]) and not _has(real, ["server_disconnected"]), "the real client is still connected")
	real.game.rpc_id(1, "say", "still here")
	check(await _until(func(): return server.game.calls.has([real.id(), "still here"])), "and still heard")
	await _free_games()
