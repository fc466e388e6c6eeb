# A chat server with several clients: join and leave notices, broadcast to
# everyone but the sender, and a kick with an application close code.
extends Node

var tcp := TCPServer.new()
var members := {}  # id -> RustWebSocketPeer (server side)
var next_id := 1
var clients := {}  # name -> RustWebSocketPeer (client side)
var inbox := {}    # name -> Array of received lines
var step := 0
var deadline := 0


func _ready() -> void:
	tcp.listen(0, "127.0.0.1")
	var url := "ws://127.0.0.1:%d/chat" % tcp.get_local_port()
	for name in ["ana", "bo", "cy"]:
		var c := RustWebSocketPeer.new()
		c.supported_protocols = ["chat.v1"]
		c.handshake_headers = ["X-Nick: " + name]
		c.connect_to_url(url)
		clients[name] = c
		inbox[name] = []
	print("[chat] 3 clients connecting to ", url)
	deadline = Time.get_ticks_msec() + 10000


func _broadcast(text: String, except_id := 0) -> void:
	for id in members:
		if id != except_id and members[id].get_ready_state() == RustWebSocketPeer.STATE_OPEN:
			members[id].send_text(text)


func _server_poll() -> void:
	while tcp.is_connection_available():
		var peer := RustWebSocketPeer.new()
		peer.supported_protocols = ["chat.v1"]
		peer.accept_stream(tcp.take_connection())
		members[next_id] = peer
		peer.set_meta("joined", false)
		next_id += 1
	for id in members.keys():
		var peer: RustWebSocketPeer = members[id]
		peer.poll()
		if peer.get_ready_state() == RustWebSocketPeer.STATE_OPEN and not peer.get_meta("joined"):
			peer.set_meta("joined", true)
			_broadcast("* user %d joined" % id, id)
		while peer.get_available_packet_count() > 0:
			_broadcast("<%d> %s" % [id, peer.get_packet().get_string_from_utf8()], id)
		if peer.get_ready_state() == RustWebSocketPeer.STATE_CLOSED:
			print("[chat] server: user %d left (code %d)" % [id, peer.get_close_code()])
			members.erase(id)
			_broadcast("* user %d left" % id)


func _clients_poll() -> void:
	for name in clients:
		var c: RustWebSocketPeer = clients[name]
		c.poll()
		while c.get_available_packet_count() > 0:
			var line := c.get_packet().get_string_from_utf8()
			inbox[name].append(line)
			print("[chat] %s sees: %s" % [name, line])


func _all_open() -> bool:
	for name in clients:
		if clients[name].get_ready_state() != RustWebSocketPeer.STATE_OPEN:
			return false
	return members.size() == 3


func _process(_delta: float) -> void:
	_server_poll()
	_clients_poll()
	match step:
		0:
			if _all_open() and inbox["ana"].size() >= 2:
				print("[chat] all joined; subprotocol: ", clients["ana"].get_selected_protocol())
				clients["ana"].send_text("hi all")
				step = 1
		1:
			if inbox["bo"].has("<1> hi all") and inbox["cy"].has("<1> hi all"):
				print("[chat] broadcast reached bo and cy, not ana: ", not inbox["ana"].has("<1> hi all"))
				members[3].close(4000, "kicked")  # the server kicks cy
				step = 2
		2:
			if clients["cy"].get_ready_state() == RustWebSocketPeer.STATE_CLOSED and inbox["ana"].has("* user 3 left"):
				var cy: RustWebSocketPeer = clients["cy"]
				print("[chat] cy was kicked: code %d reason \"%s\"" % [cy.get_close_code(), cy.get_close_reason()])
				clients["bo"].close(1001, "going away")
				step = 3
		3:
			if clients["bo"].get_ready_state() == RustWebSocketPeer.STATE_CLOSED and inbox["ana"].has("* user 2 left"):
				var ok: bool = clients["cy"].get_close_code() == 4000 and clients["bo"].get_close_code() == 1001 \
					and not inbox["ana"].has("<1> hi all") and clients["ana"].get_selected_protocol() == "chat.v1"
				print("[chat] bo left with 1001; ana saw both leave")
				print("[chat] ", "OK" if ok else "FAILED")
				_finish(ok)
	if Time.get_ticks_msec() > deadline:
		print("[chat] FAILED: timed out at step ", step)
		_finish(false)


func _finish(ok: bool) -> void:
	for name in clients:
		clients[name].close()
	tcp.stop()
	set_process(false)
	get_tree().quit(0 if ok else 1)
