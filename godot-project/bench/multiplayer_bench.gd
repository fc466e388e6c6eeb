# The high-level multiplayer rows of bench/bench.gd: RustWebSocketMultiplayerPeer
# against the engine's WebSocketMultiplayerPeer, server and clients of the same
# class, over 127.0.0.1, default settings.
#
#   rpc s2c     a server and 100 clients, each client its own SceneMultiplayer on its own
#               branch; the server calls a reliable RPC on all clients (one rpc() = 100
#               messages), keeping at most WINDOW calls unanswered by the slowest client.
#               Every SceneMultiplayer is polled by hand in one loop (SceneTree polling off).
#               Rate = RPC messages delivered / s.
#   rpc c2s     the same session; every client calls rpc_id(1, ...) on the server, each
#               with at most WINDOW calls in flight.
#   relay       a server and 32 clients; every client calls rpc() to everyone, which the
#               server relays to the other 31 (SceneMultiplayer's server relay) and runs
#               itself: 32 deliveries per call. At most WINDOW calls per client in flight.
#   memory      VmRSS delta over connecting MEMORY_CLIENTS clients (client peer + the
#               server's connection, no SceneMultiplayer), per client; each class once, in
#               a fresh Godot process (bench/multiplayer_memory.gd), after one batch of 8.
#   connect     sequential clients: create_client, both sides see the connection (the
#               client has its ID, the server emitted peer_connected), client close(),
#               the server emitted peer_disconnected.
extends RefCounted

const OURS := "RustWebSocketMultiplayerPeer"
const ENGINE := "WebSocketMultiplayerPeer"
const PEER_OURS := "RustWebSocketPeer"
const RpcCounter := preload("res://bench/rpc_counter.gd")

const FANOUT_CLIENTS := 100
const RELAY_CLIENTS := 32
const MEMORY_CLIENTS := 500
## Unanswered calls allowed per sender (far below every default queue and buffer limit).
const WINDOW := 16
## The engine's TCPServer listens with a backlog of 8: clients are connected 8 at a time.
const BATCH := 8

var bench  # bench.gd (SceneTree): _metric, _record, _problem, _progress, _rss_kib, _wanted, duration_s


func _init(owner) -> void:
	bench = owner


func declare() -> void:
	bench._metric("mp_rpc_s2c_100", "multiplayer", "RPC server -> 100 clients", "msg/s", "higher", 2.0)
	bench._metric("mp_rpc_c2s_100", "multiplayer", "RPC 100 clients -> server", "msg/s", "higher", 2.0)
	bench._metric("mp_relay_32", "multiplayer", "RPC relay, 32 clients to all", "msg/s", "higher", 2.0)
	bench._metric("mp_memory_per_client", "multiplayer", "memory per connected client (%d)" % MEMORY_CLIENTS, "KiB", "lower", 0.2)
	bench._metric("mp_connect_rate", "multiplayer", "multiplayer connect+ID+close", "conn/s", "higher")


static func engine_class_of(peer_class: String) -> String:
	return OURS if peer_class == PEER_OURS else ENGINE


## One measurement of each rate row per class (`classes` are bench.gd's peer class names).
func run_round(classes: Array) -> void:
	for key in ["mp_rpc_s2c_100", "mp_rpc_c2s_100"]:
		if not bench._wanted(key):
			continue
		for peer_class in classes:
			var r := _measure_rpc(engine_class_of(peer_class), FANOUT_CLIENTS, key == "mp_rpc_s2c_100", false)
			if not r.is_empty():
				bench._record(key, peer_class, r.msgs_per_s, r)
				bench._progress(key, peer_class, "%d msg/s (%d messages, %.2f s)" % [r.msgs_per_s, r.messages, r.seconds])
	if bench._wanted("mp_relay_32"):
		for peer_class in classes:
			var r := _measure_rpc(engine_class_of(peer_class), RELAY_CLIENTS, false, true)
			if not r.is_empty():
				bench._record("mp_relay_32", peer_class, r.msgs_per_s, r)
				bench._progress("mp_relay_32", peer_class, "%d msg/s (%d messages, %.2f s)" % [r.msgs_per_s, r.messages, r.seconds])
	if bench._wanted("mp_connect_rate"):
		for peer_class in classes:
			var r := _measure_connect(engine_class_of(peer_class))
			if not r.is_empty():
				bench._record("mp_connect_rate", peer_class, r.conn_per_s, r)
				bench._progress("mp_connect_rate", peer_class, "%d conn/s (%d connections)" % [r.conn_per_s, r.connections])


## Memory per connected client, each class in a Godot process of its own.
func memory_phase(classes: Array) -> void:
	if not bench._wanted("mp_memory_per_client"):
		return
	for peer_class in classes:
		var r := _memory_in_child(engine_class_of(peer_class))
		if not r.is_empty():
			bench._record("mp_memory_per_client", peer_class, r.kib_per_client, r)
			bench._progress("mp_memory", peer_class, "RSS +%d KiB for %d clients: %.2f KiB/client (own process)" % [
				r.rss_delta_kib, r.clients, r.kib_per_client])


## Runs bench/multiplayer_memory.gd in a fresh process. scripts/bench names the Godot
## launcher in BENCH_GODOT (its Godot runs through a private loader, so the process's
## own executable path is not a runnable Godot).
func _memory_in_child(cls: String) -> Dictionary:
	var godot := OS.get_environment("BENCH_GODOT")
	if godot == "":
		godot = OS.get_executable_path()
	var args := ["--headless", "--path", ProjectSettings.globalize_path("res://"),
		"--script", "res://bench/multiplayer_memory.gd", "--", "--class=" + cls, "--clients=%d" % MEMORY_CLIENTS]
	var output := []
	var rc := OS.execute(godot, args, output, true)
	for line: String in "\n".join(output).split("\n"):
		if line.begins_with("MP_MEMORY "):
			var parsed = JSON.parse_string(line.trim_prefix("MP_MEMORY "))
			if parsed is Dictionary:
				return parsed
		elif line.begins_with("MP_MEMORY_PROBLEM "):
			bench._problem("%s: %s" % [cls, line.trim_prefix("MP_MEMORY_PROBLEM ")])
	bench._problem("%s: the memory process (%s) exited with %d and printed no result" % [cls, godot, rc])
	return {}


# --- sessions --------------------------------------------------------------------------------

func _listen(server: MultiplayerPeer) -> int:
	for attempt in 20:
		var port := 20000 + randi() % 40000
		if server.create_server(port, "127.0.0.1") == OK:
			return port
	bench._problem("create_server failed on 20 random ports")
	return 0


## A side of a session: its own SceneMultiplayer on its own branch /root/<name>/Bench.
func _side(cls: String, name: String) -> Dictionary:
	var branch := Node.new()
	branch.name = name
	var counter: Node = RpcCounter.new()
	counter.name = "Bench"
	branch.add_child(counter)
	bench.root.add_child(branch)
	var api := SceneMultiplayer.new()
	bench.set_multiplayer(api, branch.get_path())
	return {"peer": ClassDB.instantiate(cls), "api": api, "branch": branch, "node": counter}


func _free_side(side: Dictionary) -> void:
	side.peer.close()
	side.api.multiplayer_peer = null
	bench.set_multiplayer(null, side.branch.get_path())
	side.branch.free()


## A server and `n` connected clients, all SceneMultiplayer-attached. Returns
## {server, clients} or {} (after a problem) when they do not connect within 10 s.
func _open_session(cls: String, n: int) -> Dictionary:
	var server := _side(cls, "BenchServer")
	var port := _listen(server.peer)
	if port == 0:
		_free_side(server)
		return {}
	server.api.multiplayer_peer = server.peer
	var clients: Array = []
	var url := "ws://127.0.0.1:%d" % port
	var deadline := Time.get_ticks_msec() + 10000
	while clients.size() < n:
		var batch: Array = []
		for i in mini(BATCH, n - clients.size()):
			var c := _side(cls, "BenchClient%d" % (clients.size() + i))
			c.peer.create_client(url)
			c.api.multiplayer_peer = c.peer
			batch.append(c)
		clients.append_array(batch)
		while not batch.all(func(c): return c.api.get_unique_id() > 1) \
				or server.api.get_peers().size() < clients.size():
			server.api.poll()
			for c in batch:
				c.api.poll()
			if Time.get_ticks_msec() > deadline:
				bench._problem("%s: %d of %d clients connected within 10 s" % [cls, server.api.get_peers().size(), n])
				_close_session({"server": server, "clients": clients})
				return {}
	# Every client must know every other (the server announces them), or relayed calls
	# from a peer it has not heard of yet would be dropped.
	var session := {"server": server, "clients": clients}
	while not clients.all(func(c): return c.api.get_peers().size() == n):
		_poll_all(session)
		if Time.get_ticks_msec() > deadline:
			bench._problem("%s: not every client heard of the other %d within 10 s" % [cls, n - 1])
			_close_session(session)
			return {}
	return {"server": server, "clients": clients}


func _close_session(session: Dictionary) -> void:
	_free_side(session.server)
	for c in session.clients:
		_free_side(c)


func _poll_all(session: Dictionary) -> void:
	session.server.api.poll()
	for c in session.clients:
		c.api.poll()


## RPC messages delivered per second: server to all clients (`s2c`), every client to the
## server, or (`relay`) every client to everyone through the server.
func _measure_rpc(cls: String, n: int, s2c: bool, relay: bool) -> Dictionary:
	var tree_polls: bool = bench.multiplayer_poll
	bench.multiplayer_poll = false
	var session := _open_session(cls, n)
	if session.is_empty():
		bench.multiplayer_poll = tree_polls
		return {}
	var server: Dictionary = session.server
	var clients: Array = session.clients
	var sent := 0  # calls made (s2c: by the server; otherwise: by each client)
	var t0 := Time.get_ticks_usec()
	var stop_at := t0 + int(bench.duration_s * 1e6)
	while Time.get_ticks_usec() < stop_at:
		var slowest := _slowest(session, s2c, relay)
		while sent - slowest < WINDOW:
			if s2c:
				server.node.rpc("hit", sent)
			else:
				for c in clients:
					if relay:
						c.node.rpc("hit", sent)
					else:
						c.node.rpc_id(1, "hit", sent)
			sent += 1
		_poll_all(session)
	# Drain: everything sent must arrive.
	var deadline := Time.get_ticks_msec() + 10000
	while _slowest(session, s2c, relay) < sent and Time.get_ticks_msec() < deadline:
		_poll_all(session)
	var elapsed := (Time.get_ticks_usec() - t0) / 1e6
	var delivered: int = server.node.received
	for c in clients:
		delivered += c.node.received
	# s2c: each call reaches n clients; c2s: n clients' calls reach the server; relay: each
	# of n clients' calls reaches the server and the n - 1 other clients.
	var expected := sent * n * (n if relay else 1)
	var result := {}
	if delivered != expected:
		bench._problem("%s: %d RPC messages delivered, expected %d (%s, %d clients)" % [
			cls, delivered, expected, "relay" if relay else ("s2c" if s2c else "c2s"), n])
	else:
		result = {"msgs_per_s": delivered / elapsed, "messages": delivered, "calls": sent, "seconds": elapsed, "clients": n}
	_close_session(session)
	bench.multiplayer_poll = tree_polls
	return result


## The fewest calls that have fully arrived at the slowest receiver, per sender.
func _slowest(session: Dictionary, s2c: bool, relay: bool) -> int:
	var n: int = session.clients.size()
	if s2c:
		var least: int = session.clients[0].node.received
		for c in session.clients:
			least = mini(least, c.node.received)
		return least
	if not relay:
		@warning_ignore("integer_division")
		return session.server.node.received / n
	# Relay: the server gets n deliveries per call round, each client n - 1.
	@warning_ignore("integer_division")
	var least: int = session.server.node.received / n
	for c in session.clients:
		@warning_ignore("integer_division")
		least = mini(least, c.node.received / (n - 1))
	return least


func _measure_memory(cls: String, n: int) -> Dictionary:
	var server: MultiplayerPeer = ClassDB.instantiate(cls)
	var port := _listen(server)
	if port == 0:
		return {}
	var connected := [0]
	server.peer_connected.connect(func(_id): connected[0] += 1)
	var rss_before: int = bench._rss_kib()
	var clients: Array = []
	var deadline := Time.get_ticks_msec() + 30000
	while clients.size() < n:
		var batch: Array = []
		for i in mini(BATCH, n - clients.size()):
			var c: MultiplayerPeer = ClassDB.instantiate(cls)
			c.create_client("ws://127.0.0.1:%d" % port)
			batch.append(c)
		clients.append_array(batch)
		while connected[0] < clients.size() or not batch.all(func(c): return c.get_unique_id() > 1):
			server.poll()
			for c in batch:
				c.poll()
			if Time.get_ticks_msec() > deadline:
				bench._problem("%s: %d of %d clients connected within 30 s" % [cls, connected[0], n])
				return {}
	var rss_open: int = bench._rss_kib()
	for c in clients:
		c.close()
	server.close()
	if rss_before < 0 or rss_open < 0:
		bench._problem("cannot read VmRSS from /proc/self/status")
		return {}
	return {"rss_delta_kib": rss_open - rss_before, "kib_per_client": float(rss_open - rss_before) / n, "clients": n}


func _measure_connect(cls: String) -> Dictionary:
	var server: MultiplayerPeer = ClassDB.instantiate(cls)
	var port := _listen(server)
	if port == 0:
		return {}
	var joined := [0]
	var left := [0]
	server.peer_connected.connect(func(_id): joined[0] += 1)
	server.peer_disconnected.connect(func(_id): left[0] += 1)
	var url := "ws://127.0.0.1:%d" % port
	var done := 0
	var t0 := Time.get_ticks_usec()
	var stop_at := t0 + int(maxf(1.0, bench.duration_s * 2) * 1e6)
	while Time.get_ticks_usec() < stop_at:
		var client: MultiplayerPeer = ClassDB.instantiate(cls)
		client.create_client(url)
		var deadline := Time.get_ticks_msec() + 5000
		while joined[0] <= done or client.get_unique_id() <= 1:
			server.poll()
			client.poll()
			if Time.get_ticks_msec() > deadline:
				bench._problem("%s: connection %d did not complete within 5 s" % [cls, done])
				server.close()
				return {}
		client.close()
		while left[0] <= done:
			server.poll()
			if Time.get_ticks_msec() > deadline:
				bench._problem("%s: the server did not see client %d leave within 5 s" % [cls, done])
				server.close()
				return {}
		done += 1
	var elapsed := (Time.get_ticks_usec() - t0) / 1e6
	server.close()
	return {"conn_per_s": done / elapsed, "connections": done, "seconds": elapsed}
