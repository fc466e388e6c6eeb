# One side of a high-level multiplayer session inside the test process: its own
# SceneMultiplayer on its own branch of the tree (/root/<name>/Game), and a log of
# the SceneMultiplayer signals it saw, with peer IDs.
extends RefCounted

const RpcNode := preload("res://tests/multiplayer/rpc_node.gd")

var name: String
var root: Node
var game: Node
var api := SceneMultiplayer.new()
var peer  # WebSocketMultiplayerPeer or RustWebSocketMultiplayerPeer
var events: Array = []


func _init(tree: SceneTree, side_name: String, peer_class) -> void:
	name = side_name
	peer = peer_class.new()
	root = Node.new()
	root.name = side_name
	game = RpcNode.new()
	game.name = "Game"
	root.add_child(game)
	tree.root.add_child(root)
	tree.set_multiplayer(api, root.get_path())
	api.peer_connected.connect(func(id): events.append(["peer_connected", id]))
	api.peer_disconnected.connect(func(id): events.append(["peer_disconnected", id]))
	api.connected_to_server.connect(func(): events.append(["connected_to_server"]))
	api.connection_failed.connect(func(): events.append(["connection_failed"]))
	api.server_disconnected.connect(func(): events.append(["server_disconnected"]))


func attach() -> void:
	api.multiplayer_peer = peer


func id() -> int:
	return api.get_unique_id()


func free_all(tree: SceneTree) -> void:
	if peer != null:
		peer.close()
	# The handlers capture this object, which holds the API: break the cycle.
	for sig in ["peer_connected", "peer_disconnected", "connected_to_server", "connection_failed", "server_disconnected"]:
		for connection in api.get_signal_connection_list(sig):
			api.disconnect(sig, connection["callable"])
	api.multiplayer_peer = null
	tree.set_multiplayer(null, root.get_path())
	root.queue_free()
	peer = null
