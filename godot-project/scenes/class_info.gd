# Prints what RustWebSocketPeer offers next to the engine's WebSocketPeer.
extends Node


func _ready() -> void:
	var ok := ClassDB.class_exists("RustWebSocketPeer")
	print("RustWebSocketPeer registered: ", ok)
	if ok:
		var peer = ClassDB.instantiate("RustWebSocketPeer")
		print("  is PacketPeer: ", peer is PacketPeer)
		print("  methods: ", ClassDB.class_get_method_list("RustWebSocketPeer", true).size(),
			" (engine WebSocketPeer: ", ClassDB.class_get_method_list("WebSocketPeer", true).size(), ")")
	get_tree().quit(0 if ok else 1)
