# The lobby node of the balancer tests, at the same path ("Lobby", under each side's
# multiplayer root) on the backends (tests/balancers/backend.gd) and on every client
# (clients.gd). A client calls hello(); the server answers welcome() with its own name
# and the address and port it sees for that client (get_peer_address / get_peer_port),
# which through a load balancer must be the player's, not the balancer's.
extends Node

## On the client: emitted with the server's answer.
signal welcomed(backend: String, address: String, port: int, text: String)

## The backend's name ("A", "B"), on the server.
var backend_name := ""
## On the server: how many hellos it answered.
var answered := 0


@rpc("any_peer", "reliable")
func hello(text: String) -> void:
	if not multiplayer.is_server():
		return
	var id := multiplayer.get_remote_sender_id()
	var peer = multiplayer.multiplayer_peer
	var address: String = peer.get_peer_address(id)
	var port: int = peer.get_peer_port(id)
	answered += 1
	print("lobby %s: hello from peer %d at %s:%d (%s)" % [backend_name, id, address, port, text])
	welcome.rpc_id(id, backend_name, address, port, text)


@rpc("authority", "reliable")
func welcome(backend: String, address: String, port: int, text: String) -> void:
	welcomed.emit(backend, address, port, text)
