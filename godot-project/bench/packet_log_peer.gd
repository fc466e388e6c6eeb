# A MultiplayerPeer that passes everything to another and logs every packet SceneMultiplayer
# puts and gets, as the bytes go on the wire (one WebSocket message each with the
# WebSocket multiplayer classes). For bench/scale_capture.gd.
extends MultiplayerPeerExtension

var inner: MultiplayerPeer
## [direction ("in"/"out"), phase, PackedByteArray], in order.
var log: Array = []
var phase := ""


func _init(wrapped: MultiplayerPeer) -> void:
	inner = wrapped
	# Bound methods, not lambdas: they do not keep this object alive (no cycle with inner).
	inner.peer_connected.connect(_on_peer_connected)
	inner.peer_disconnected.connect(_on_peer_disconnected)


func _on_peer_connected(id: int) -> void:
	peer_connected.emit(id)


func _on_peer_disconnected(id: int) -> void:
	peer_disconnected.emit(id)


func _get_packet_script() -> PackedByteArray:
	var packet := inner.get_packet()
	log.append(["in", phase, packet])
	return packet


func _put_packet_script(buffer: PackedByteArray) -> Error:
	log.append(["out", phase, buffer])
	return inner.put_packet(buffer)


func _get_available_packet_count() -> int:
	return inner.get_available_packet_count()


func _get_max_packet_size() -> int:
	return 1 << 20


func _get_packet_channel() -> int:
	return inner.get_packet_channel()


func _get_packet_mode() -> MultiplayerPeer.TransferMode:
	return inner.get_packet_mode()


func _get_packet_peer() -> int:
	return inner.get_packet_peer()


func _set_transfer_channel(channel: int) -> void:
	inner.transfer_channel = channel


func _get_transfer_channel() -> int:
	return inner.transfer_channel


func _set_transfer_mode(mode: MultiplayerPeer.TransferMode) -> void:
	inner.transfer_mode = mode


func _get_transfer_mode() -> MultiplayerPeer.TransferMode:
	return inner.transfer_mode


func _set_target_peer(peer: int) -> void:
	inner.set_target_peer(peer)


func _is_server() -> bool:
	return false


func _poll() -> void:
	inner.poll()


func _close() -> void:
	inner.close()


func _disconnect_peer(peer: int, force: bool) -> void:
	inner.disconnect_peer(peer, force)


func _get_unique_id() -> int:
	return inner.get_unique_id()


func _set_refuse_new_connections(enable: bool) -> void:
	inner.refuse_new_connections = enable


func _is_refusing_new_connections() -> bool:
	return inner.refuse_new_connections


func _is_server_relay_supported() -> bool:
	return inner.is_server_relay_supported()


func _get_connection_status() -> MultiplayerPeer.ConnectionStatus:
	return inner.get_connection_status()
